/**
 * Awkward inputs, generated at test time into a temporary directory (ImageMagick `convert`
 * for the JPEG/GIF encodings, the local PNG encoder for the rest):
 *
 *   notes.png                 a text file with an image name              -> error
 *   empty.png                 0 bytes                                     -> error
 *   huge-red-circle.png       10000×10000 PNG, large red circle           -> red circle
 *   exif-blue-triangle.jpg    pixels stored rotated 90° CCW + EXIF Orientation=6 (RightTop),
 *                             upright it is a blue triangle pointing up   -> blue triangle
 *   animated-green-square.gif first frame green square, later frames red circle / blue star -> green square
 *   cmyk-red-circle.jpg       CMYK JPEG (Adobe APP14) of a red circle    -> red circle
 *   purple-star.svg           SVG polygon star                            -> purple star
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodePngStreaming } from './png';
import { REPO_ROOT } from './hub-server';
import { COLOURS, UNIT_POLYGONS, shapePng, type ShapeSpec } from './shapes';

const run = promisify(execFile);

export interface Fixture {
  name: string;
  mimeType: string;
  buffer: Buffer;
  /** The label that must rank first, or undefined when the app must report an error for it. */
  expectedLabel?: string;
}

const hex = (rgb: readonly number[]) => `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;

/** Runs ImageMagick's `convert` (fails the test with its stderr if missing or failing). */
export async function convert(args: string[], cwd: string): Promise<void> {
  try {
    await run('convert', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`convert ${args.join(' ')} failed: ${e.stderr || e.message}`, { cause: error });
  }
}

export async function identify(format: string, file: string): Promise<string> {
  const { stdout } = await run('identify', ['-format', format, file]);
  return stdout.trim();
}

/**
 * Inserts a minimal EXIF APP1 segment (IFD0 with a single Orientation entry) right after the JPEG's
 * SOI marker. ImageMagick's `-orient` does not write the tag when the image has no EXIF profile.
 */
export function withExifOrientation(jpeg: Buffer, orientation: number): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG');
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write('II', 0, 'ascii'); // little-endian
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4); // IFD0 offset
  tiff.writeUInt16LE(1, 8); // one entry
  tiff.writeUInt16LE(0x0112, 10); // Orientation
  tiff.writeUInt16LE(3, 12); // SHORT
  tiff.writeUInt32LE(1, 14); // count
  tiff.writeUInt16LE(orientation, 18); // value (left-justified in the 4-byte field)
  tiff.writeUInt32LE(0, 22); // no next IFD
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const header = Buffer.alloc(4);
  header.writeUInt16BE(0xffe1, 0);
  header.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, payload, jpeg.subarray(2)]);
}

function starPoints(cx: number, cy: number, radius: number): string {
  return UNIT_POLYGONS.star.map(([x, y]) => `${(cx + x * radius).toFixed(2)},${(cy + y * radius).toFixed(2)}`).join(' ');
}

export async function makeHugeRedCircle(side = 10_000): Promise<Buffer> {
  const [r, g, b] = COLOURS.red;
  const c = side / 2;
  const radius = side * 0.35;
  return encodePngStreaming(side, side, (y, row) => {
    row.fill(255);
    const dy = y + 0.5 - c;
    if (Math.abs(dy) >= radius) return;
    const half = Math.sqrt(radius * radius - dy * dy);
    const x0 = Math.max(0, Math.round(c - half));
    const x1 = Math.min(side, Math.round(c + half));
    for (let x = x0; x < x1; x++) {
      row[x * 3] = r;
      row[x * 3 + 1] = g;
      row[x * 3 + 2] = b;
    }
  });
}

export interface BadInputs {
  dir: string;
  files: Fixture[];
  byName(name: string): Fixture;
  cleanup(): Promise<void>;
}

/** Builds every fixture in a fresh directory under e2e/.tmp/ (git-ignored). */
export async function makeBadInputs(): Promise<BadInputs> {
  const base = join(REPO_ROOT, 'e2e', '.tmp');
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'bad-inputs-'));
  const files: Fixture[] = [];
  const add = async (name: string, mimeType: string, buffer: Buffer, expectedLabel?: string) => {
    await writeFile(join(dir, name), buffer);
    files.push({ name, mimeType, buffer, ...(expectedLabel ? { expectedLabel } : {}) });
  };
  const png = (spec: Omit<ShapeSpec, 'width' | 'height'> & Partial<Pick<ShapeSpec, 'width' | 'height'>>) =>
    shapePng({ width: 300, height: 300, ...spec });

  await add('notes.png', 'image/png', Buffer.from('Shopping list:\n- milk\n- eggs\nThis is not a picture.\n'));
  await add('empty.png', 'image/png', Buffer.alloc(0));
  await add('huge-red-circle.png', 'image/png', await makeHugeRedCircle(), 'red circle');

  // Upright: a blue triangle pointing up, portrait. Stored: rotated 90° counter-clockwise, tagged
  // Orientation=6 ("rotate 90° clockwise to display").
  await writeFile(join(dir, 'exif-upright.png'), png({ shape: 'triangle', colour: 'blue', size: 0.8, width: 300, height: 420 }));
  await convert(['exif-upright.png', '-rotate', '-90', '-strip', '-quality', '95', 'exif-stored.jpg'], dir);
  const exif = withExifOrientation(await readFile(join(dir, 'exif-stored.jpg')), 6);
  await add('exif-blue-triangle.jpg', 'image/jpeg', exif, 'blue triangle');

  await writeFile(join(dir, 'gif-1.png'), png({ shape: 'square', colour: 'green', size: 0.6 }));
  await writeFile(join(dir, 'gif-2.png'), png({ shape: 'circle', colour: 'red', size: 0.7 }));
  await writeFile(join(dir, 'gif-3.png'), png({ shape: 'star', colour: 'blue', size: 0.8 }));
  await convert(['-delay', '50', 'gif-1.png', 'gif-2.png', 'gif-3.png', '-loop', '0', 'animated.gif'], dir);
  await add('animated-green-square.gif', 'image/gif', await readFile(join(dir, 'animated.gif')), 'green square');

  await writeFile(join(dir, 'cmyk-src.png'), png({ shape: 'circle', colour: 'red', size: 0.7, width: 320, height: 240 }));
  await convert(['cmyk-src.png', '-colorspace', 'CMYK', '-quality', '95', 'cmyk.jpg'], dir);
  await add('cmyk-red-circle.jpg', 'image/jpeg', await readFile(join(dir, 'cmyk.jpg')), 'red circle');

  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300">` +
    `<rect width="300" height="300" fill="#ffffff"/>` +
    `<polygon fill="${hex(COLOURS.purple)}" points="${starPoints(150, 150, 120)}"/></svg>\n`;
  await add('purple-star.svg', 'image/svg+xml', Buffer.from(svg), 'purple star');

  return {
    dir,
    files,
    byName(name) {
      const f = files.find((x) => x.name === name);
      if (!f) throw new Error(`no fixture ${name}`);
      return f;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
