/**
 * A project file that is a zip bomb: ~10 MB on disk, 1,000 entries of 10 MiB of zeros each,
 * declared honestly (10 GB in all), plus a valid manifest naming them as media. Written byte by
 * byte here (Node's zlib for the deflating), apart from the app's reader and writer.
 */
import { deflateRawSync } from 'node:zlib';

const MIB = 1024 * 1024;

interface Entry {
  path: string;
  data: Uint8Array;
  declaredSize: number;
  method: 0 | 8;
  crc: number;
}

function zip(entries: readonly Entry[]): Buffer {
  const parts: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path, 'utf8');
    const local = Buffer.alloc(30 + name.length);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc, 14);
    local.writeUInt32LE(entry.data.length, 18);
    local.writeUInt32LE(entry.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    name.copy(local, 30);
    const central = Buffer.alloc(46 + name.length);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.method, 10);
    central.writeUInt32LE(entry.crc, 16);
    central.writeUInt32LE(entry.data.length, 20);
    central.writeUInt32LE(entry.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    name.copy(central, 46);
    parts.push(local, Buffer.from(entry.data));
    centrals.push(central);
    offset += local.length + entry.data.length;
  }
  const centralBytes = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBytes, end]);
}

/** CRC-32 for the (small) manifest, so the bomb fails on its sizes and nothing else. */
function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return ~crc >>> 0;
}

export const BOMB_ENTRIES = 1000;
export const BOMB_ENTRY_BYTES = 10 * MIB;

export function zipBombProject(): Buffer {
  const paths = Array.from({ length: BOMB_ENTRIES }, (_, i) => `media/${String(i).padStart(5, '0')}-bomb.png`);
  const manifest = Buffer.from(
    JSON.stringify({
      format: 'zero-shot-playground/project',
      version: 1,
      task: 'image',
      settings: { modelId: 'builtin/clip-shapes', labelsText: 'a\nb', template: '{}', calibration: 'none', aggregation: 'mean' },
      labels: ['a', 'b'],
      items: paths.map((path, i) => ({ path: `${i}.png`, name: `${i}.png`, truth: null, decision: 'none', finalLabel: null, predictions: [], media: { path, mime: 'image/png' } })),
    }),
  );
  const zeros = deflateRawSync(Buffer.alloc(BOMB_ENTRY_BYTES), { level: 9 });
  return zip([
    { path: 'project.json', data: manifest, declaredSize: manifest.length, method: 0, crc: crc32(manifest) },
    ...paths.map((path) => ({ path, data: zeros, declaredSize: BOMB_ENTRY_BYTES, method: 8 as const, crc: 0 })),
  ]);
}
