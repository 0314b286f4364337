/**
 * Zip bombs against the project file reader, counted from outside: fflate's `Inflate` is wrapped
 * so every byte it produces is counted by the test, whatever our own code believes it did. The
 * bombs are generated here, small on disk and gigabytes once inflated.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';

const inflated = vi.hoisted(() => ({ bytes: 0 }));

vi.mock('fflate', async (importOriginal) => {
  const real = await importOriginal<typeof import('fflate')>();
  class CountingInflate extends real.Inflate {
    constructor(ondata?: (chunk: Uint8Array, final: boolean) => void) {
      super((chunk, final) => {
        inflated.bytes += chunk.length;
        ondata?.(chunk, final);
      });
    }
  }
  return { ...real, Inflate: CountingInflate };
});

const { MAX_MEDIA_ENTRY_BYTES, PROJECT_MANIFEST_PATH, maxUnpackedBytes, readProjectFile } = await import('./projectFile');
const { crc32 } = await import('./unzip');

const MIB = 1024 * 1024;

/**
 * Not a timing assertion: the default 5 s limit is wall-clock, and a machine shared with other
 * work stretches these (many runs of 10,000-character strings; 10 MB archives) past it.
 */
const TEST_TIMEOUT_MS = 60_000;
vi.setConfig({ testTimeout: TEST_TIMEOUT_MS });
const encode = (s: string) => new TextEncoder().encode(s);

interface CraftedEntry {
  path: string;
  /** Raw DEFLATE data (method 8), or stored bytes when `stored`. */
  data: Uint8Array;
  /** What the headers claim the entry inflates to. */
  declaredSize: number;
  crc?: number;
  stored?: boolean;
}

/** A ZIP written byte by byte, so its headers say whatever the test wants them to. */
function craftZip(entries: readonly CraftedEntry[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encode(entry.path);
    const method = entry.stored ? 0 : 8;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0x0800, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, entry.crc ?? 0, true);
    lv.setUint32(18, entry.data.length, true);
    lv.setUint32(22, entry.declaredSize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0x0800, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, entry.crc ?? 0, true);
    cv.setUint32(20, entry.data.length, true);
    cv.setUint32(24, entry.declaredSize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local, entry.data);
    centrals.push(central);
    offset += local.length + entry.data.length;
  }
  const centralSize = centrals.reduce((sum, c) => sum + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, centralSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + centralSize + end.length);
  let p = 0;
  for (const part of [...locals, ...centrals, end]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

/**
 * Raw DEFLATE written by hand: one fixed-Huffman block of a literal 0 followed by `copies`
 * back-references of 258 bytes at distance 1 (13 bits each), so ~1.6 KB of output per byte.
 * zlib can't make such a stream without first holding the gigabytes it stands for.
 */
function zeroBomb(copies: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((3 + 8 + 13 * copies + 7) / 8) + 1);
  let at = 0;
  let buffer = 0;
  let held = 0;
  /** LSB first, as DEFLATE packs bits; a whole code is flushed a byte at a time. */
  const bits = (value: number, count: number) => {
    buffer |= value << held;
    held += count;
    while (held >= 8) {
      out[at++] = buffer & 0xff;
      buffer >>>= 8;
      held -= 8;
    }
  };
  /** Huffman codes go in most significant bit first. */
  const reversed = (value: number, count: number) => {
    let r = 0;
    for (let i = 0; i < count; i++) r |= ((value >> i) & 1) << (count - 1 - i);
    return r;
  };
  // Length code 285 (8 bits 11000101: 258 bytes) then distance code 0 (5 bits: distance 1).
  const copy = reversed(0xc5, 8) | (reversed(0, 5) << 8);
  bits(1, 1); // BFINAL
  bits(1, 2); // BTYPE 01: fixed Huffman codes
  bits(reversed(0x30, 8), 8); // literal 0
  for (let i = 0; i < copies; i++) bits(copy, 13);
  bits(0, 7); // end of block
  if (held > 0) out[at++] = buffer & 0xff;
  return out.subarray(0, at);
}

function manifestFor(mediaPaths: readonly string[]) {
  return {
    format: 'zero-shot-playground/project',
    version: 1,
    task: 'image',
    settings: { modelId: 'builtin/clip-shapes', labelsText: 'a\nb', template: '{}', calibration: 'none', aggregation: 'mean' },
    labels: ['a', 'b'],
    items: mediaPaths.map((path, i) => ({ path: `${i}.png`, name: `${i}.png`, truth: null, decision: 'none', finalLabel: null, predictions: [], media: { path, mime: 'image/png' } })),
  };
}

function manifestEntry(mediaPaths: readonly string[]): CraftedEntry {
  const json = encode(JSON.stringify(manifestFor(mediaPaths)));
  return { path: PROJECT_MANIFEST_PATH, data: json, declaredSize: json.length, crc: crc32(json), stored: true };
}

describe('zip bombs in project files', () => {
  it('the hand-made stream really inflates ~1.6 KB per byte (checked with Node’s zlib on a small one)', async () => {
    const { inflateRawSync } = await import('node:zlib');
    const small = zeroBomb(4000);
    const out = inflateRawSync(small);
    expect(out.length).toBe(1 + 4000 * 258);
    expect(out.every((byte) => byte === 0)).toBe(true);
    expect(out.length / small.length).toBeGreaterThan(150);
  });

  it('refuses a 10 MB file of 1,000 honest entries that unpack to 10 GB, from the directory, inflating nothing', async () => {
    const tenMiBOfZeros = deflateRawSync(Buffer.alloc(10 * MIB), { level: 9 });
    const paths = Array.from({ length: 1000 }, (_, i) => `media/${String(i).padStart(4, '0')}.png`);
    const zip = craftZip([manifestEntry(paths), ...paths.map((path) => ({ path, data: tenMiBOfZeros, declaredSize: 10 * MIB }))]);
    expect(zip.length).toBeGreaterThan(9 * MIB);
    expect(zip.length).toBeLessThan(12 * MIB);
    inflated.bytes = 0;
    const result = await readProjectFile(zip);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      `the file would unpack to 10001 MB, more than the ${Math.ceil(maxUnpackedBytes(zip.length) / MIB)} MB a project file of ${Math.ceil(zip.length / MIB)} MB may (a zip bomb?); nothing was unpacked`,
    ]);
    expect(inflated.bytes).toBe(0);
  });

  it('stops a 10 MB entry that inflates to 1.6 GB behind a header claiming 1 MB, at about 1 MB', async () => {
    const bomb = zeroBomb(6_400_000);
    expect(bomb.length).toBeGreaterThan(9 * MIB);
    const zip = craftZip([manifestEntry(['media/bomb.png']), { path: 'media/bomb.png', data: bomb, declaredSize: MIB }]);
    inflated.bytes = 0;
    const result = await readProjectFile(zip);
    expect(result.ok ? [] : result.problems).toEqual(['not a readable ZIP: zip entry "media/bomb.png": larger than its declared 1048576 bytes']);
    // The inflater is fed in slices, so it stops within one slice's output (≤ 1032 × 1 KiB) past the claim.
    expect(inflated.bytes).toBeLessThanOrEqual(MIB + 1032 * 1024);
    expect(inflated.bytes).toBeGreaterThan(MIB);
  });

  it('many lying entries under the total cap: stops at the first, never past the total the directory allows', async () => {
    const bomb = zeroBomb(400_000); // ~650 KB each, 103 MB inflated
    const paths = Array.from({ length: 10 }, (_, i) => `media/${i}.png`);
    const zip = craftZip([manifestEntry(paths), ...paths.map((path) => ({ path, data: bomb, declaredSize: MAX_MEDIA_ENTRY_BYTES / 16 }))]);
    inflated.bytes = 0;
    const result = await readProjectFile(zip);
    expect(result.ok).toBe(false);
    expect(result.ok ? '' : result.problems[0]).toMatch(/^not a readable ZIP: zip entry "media\/0\.png": (larger than its declared|\d+ bytes instead of the declared) /);
    expect(inflated.bytes).toBeLessThanOrEqual(maxUnpackedBytes(zip.length));
  });
});
