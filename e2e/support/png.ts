/**
 * A minimal PNG encoder (8-bit RGB/RGBA, no interlace, filter 0) so the tests need no image library.
 * `encodePng` works on a whole buffer; `encodePngStreaming` builds huge images row by row so a
 * 10000×10000 fixture never needs its ~300 MB of raw pixels in memory at once.
 */
import { crc32, createDeflate, deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData) >>> 0);
  return Buffer.concat([length, typeAndData, crc]);
}

function header(width: number, height: number, channels: 3 | 4): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 4 ? 6 : 2; // colour type: RGBA or RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  return ihdr;
}

/** Encodes tightly packed 8-bit pixels (`channels` bytes per pixel, rows top to bottom). */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 3 | 4 = 4): Buffer {
  const stride = width * channels;
  if (pixels.length !== stride * height) throw new Error(`encodePng: expected ${stride * height} bytes, got ${pixels.length}`);
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0;
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(width, height, channels)),
    chunk('IDAT', deflateSync(raw, { level: 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Encodes an RGB image whose rows are produced on demand by `fillRow(y, row)`. */
export async function encodePngStreaming(
  width: number,
  height: number,
  fillRow: (y: number, row: Uint8Array) => void,
): Promise<Buffer> {
  const deflate = createDeflate({ level: 6 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const row = new Uint8Array(width * 3);
  const line = Buffer.alloc(width * 3 + 1);
  for (let y = 0; y < height; y++) {
    fillRow(y, row);
    line[0] = 0;
    line.set(row, 1);
    // Copy: the stream may hold on to the buffer until it is consumed.
    if (!deflate.write(Buffer.from(line))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header(width, height, 3)),
    chunk('IDAT', Buffer.concat(out)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
