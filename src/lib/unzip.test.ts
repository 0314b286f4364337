/**
 * The reader against damaged and hostile archives. Fixtures come from fflate's writer (which
 * deflates) and the app's (which stores), then get patched the way a hostile tool could.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { zipStream } from './archive';
import { METHOD_DEFLATE, METHOD_STORE, ZipError, crc32, readZipDirectory, readZipEntry } from './unzip';
import { normaliseZipPath } from './zipFormat';

const text = (s: string) => new TextEncoder().encode(s);
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
const LIMITS = { maxEntries: 100 };

/** Offsets of the records of a one-entry archive without comment. */
function layout(zip: Uint8Array) {
  const end = zip.length - 22;
  const central = view(zip).getUint32(end + 16, true);
  return { end, central, localName: 30, centralName: central + 46 };
}

/** Overwrites the name in both headers with a same-length string, as a hostile tool could. */
function renameInPlace(zip: Uint8Array, name: Uint8Array): Uint8Array {
  const copy = zip.slice();
  const { localName, centralName } = layout(copy);
  copy.set(name, localName);
  copy.set(name, centralName);
  return copy;
}

/**
 * A one-entry archive whose entry is `deflated` (raw DEFLATE) but whose headers declare
 * `declaredSize` bytes: the lying-header zip bomb.
 */
function lyingZip(path: string, deflated: Uint8Array, declaredSize: number, crc = 0): Uint8Array {
  const name = text(path);
  const local = new Uint8Array(30 + name.length);
  const lv = view(local);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, 20, true);
  lv.setUint16(8, METHOD_DEFLATE, true);
  lv.setUint32(14, crc, true);
  lv.setUint32(18, deflated.length, true);
  lv.setUint32(22, declaredSize, true);
  lv.setUint16(26, name.length, true);
  local.set(name, 30);
  const central = new Uint8Array(46 + name.length);
  const cv = view(central);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(4, 20, true);
  cv.setUint16(6, 20, true);
  cv.setUint16(10, METHOD_DEFLATE, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, deflated.length, true);
  cv.setUint32(24, declaredSize, true);
  cv.setUint16(28, name.length, true);
  central.set(name, 46);
  const end = new Uint8Array(22);
  const ev = view(end);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, 1, true);
  ev.setUint16(10, 1, true);
  ev.setUint32(12, central.length, true);
  ev.setUint32(16, local.length + deflated.length, true);
  const out = new Uint8Array(local.length + deflated.length + central.length + end.length);
  out.set(local);
  out.set(deflated, local.length);
  out.set(central, local.length + deflated.length);
  out.set(end, local.length + deflated.length + central.length);
  return out;
}

describe('readZipDirectory / readZipEntry', () => {
  it('reads deflated entries from another writer, and stored ones from ours', async () => {
    const compressible = text('zero-shot '.repeat(5000));
    const theirs = zipSync({ 'text.txt': compressible, 'dir/a.bin': new Uint8Array([1, 2, 3]) });
    const [first, second] = readZipDirectory(theirs, LIMITS);
    expect(first).toMatchObject({ path: 'text.txt', method: METHOD_DEFLATE, size: compressible.length });
    expect(first!.compressedSize).toBeLessThan(compressible.length / 50);
    expect(await readZipEntry(theirs, first!)).toEqual(compressible);
    expect(await readZipEntry(theirs, second!)).toEqual(new Uint8Array([1, 2, 3]));
    const ours = await bytesOf(zipStream([{ path: 'x.jpg', data: new Blob(['jpeg']) }]));
    const [entry] = readZipDirectory(ours, LIMITS);
    expect(entry).toMatchObject({ path: 'x.jpg', method: METHOD_STORE, size: 4, compressedSize: 4 });
    expect(new TextDecoder().decode(await readZipEntry(ours, entry!))).toBe('jpeg');
  });

  it('stops a lying header at the declared size: 64 MiB of zeros declared as 1,000 bytes', async () => {
    const bomb = deflateRawSync(new Uint8Array(64 * 1024 * 1024));
    const zip = lyingZip('zeros.bin', bomb, 1000);
    expect(zip.length).toBeLessThan(100_000);
    const [entry] = readZipDirectory(zip, LIMITS);
    expect(entry!.size).toBe(1000);
    const started = performance.now();
    await expect(readZipEntry(zip, entry!)).rejects.toThrow(/larger than its declared 1000 bytes/);
    // Stopped after about one input slice, not after inflating all 64 MiB.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('refuses an entry that inflates to less than declared, or to the wrong CRC', async () => {
    const data = text('hello world');
    const short = lyingZip('a.txt', deflateRawSync(data), 20, crc32(data));
    await expect(readZipEntry(short, readZipDirectory(short, LIMITS)[0]!)).rejects.toThrow(/11 bytes instead of the declared 20/);
    const wrongCrc = lyingZip('a.txt', deflateRawSync(data), data.length, 12345);
    await expect(readZipEntry(wrongCrc, readZipDirectory(wrongCrc, LIMITS)[0]!)).rejects.toThrow(/CRC-32 mismatch/);
    const stored = await bytesOf(zipStream([{ path: 'a.txt', data: new Blob(['hello world']) }]));
    const first = 30 + 'a.txt'.length; // the first data byte
    stored[first] = (stored[first] as number) ^ 0xff;
    await expect(readZipEntry(stored, readZipDirectory(stored, LIMITS)[0]!)).rejects.toThrow(/CRC-32 mismatch/);
  });

  it('refuses path traversal, absolute paths, drive letters and control characters in a crafted archive', () => {
    const zip = zipSync({ 'xx/evil.txt': text('x') }, { level: 0 });
    expect(() => readZipDirectory(renameInPlace(zip, text('../evil.txt')), LIMITS)).toThrow(/"\.\." would leave/);
    expect(() => readZipDirectory(renameInPlace(zip, text('/x/evil.txt')), LIMITS)).toThrow(/absolute paths/);
    expect(() => readZipDirectory(renameInPlace(zip, text('..\\evil.txt')), LIMITS)).toThrow(/"\.\." would leave/);
    expect(() => readZipDirectory(renameInPlace(zip, text('C:/evil.txt')), LIMITS)).toThrow(/drive letters/);
    expect(() => readZipDirectory(renameInPlace(zip, text('xx/ev\nl.txt')), LIMITS)).toThrow(/control characters/);
    expect(readZipDirectory(renameInPlace(zip, text('xx\\evil.txt')), LIMITS)[0]!.path).toBe('xx/evil.txt');
  });

  it('refuses more entries than the limit before reading any of them', () => {
    const zip = zipSync(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`${i}.txt`, text('x')])));
    expect(readZipDirectory(zip, { maxEntries: 5 })).toHaveLength(5);
    expect(() => readZipDirectory(zip, { maxEntries: 4 })).toThrow(/more than 4 entries \(5\)/);
  });

  it('refuses what is not a ZIP, truncated archives, and ZIP64 markers without ZIP64 records', () => {
    expect(() => readZipDirectory(new Uint8Array(10), LIMITS)).toThrow(/too short/);
    expect(() => readZipDirectory(new Uint8Array(5000).fill(7), LIMITS)).toThrow(/not a ZIP archive/);
    const zip = zipSync({ 'a.txt': text('a') });
    expect(() => readZipDirectory(zip.subarray(0, zip.length - 1), LIMITS)).toThrow(ZipError);
    const fake64 = zip.slice();
    view(fake64).setUint16(layout(fake64).end + 10, 0xffff, true);
    expect(() => readZipDirectory(fake64, LIMITS)).toThrow(/ZIP64/);
    const noLocal = zip.slice();
    noLocal[0] = 0;
    expect(() => readZipDirectory(noLocal, LIMITS)).toThrow(/local header/);
  });

  it('refuses entries whose data overlap, and duplicate paths', () => {
    const zip = zipSync({ 'a.txt': text('aaaa'), 'b.txt': text('bbbb') }, { level: 0 });
    const { central } = layout(zip);
    const secondCentral = central + 46 + 'a.txt'.length;
    view(zip).setUint32(secondCentral + 42, 0, true); // b.txt now points at a.txt's local header
    expect(() => readZipDirectory(zip, LIMITS)).toThrow(/overlap/);
    const twice = zipSync({ 'a/b': text('1'), 'a\\b': text('2') });
    expect(() => readZipDirectory(twice, LIMITS)).toThrow(/appears twice/);
  });

  it('leaves out directory entries and refuses unsupported methods', async () => {
    const zip = zipSync({ 'dir/': new Uint8Array(0), 'dir/a.txt': text('a') });
    expect(readZipDirectory(zip, LIMITS).map((entry) => entry.path)).toEqual(['dir/a.txt']);
    const odd = zipSync({ 'a.txt': text('a') }, { level: 0 });
    view(odd).setUint16(layout(odd).central + 10, 12, true); // bzip2
    await expect(readZipEntry(odd, readZipDirectory(odd, LIMITS)[0]!)).rejects.toThrow(/compression method 12/);
  });
});

/**
 * A one-entry STORED archive whose sizes and offset live in ZIP64 extra fields (all-ones in the
 * 32-bit fields), as a writer does for entries past 4 GiB, with ZIP64 end records.
 */
function zip64ExtraArchive(path: string, data: Uint8Array): Uint8Array {
  const name = text(path);
  const crc = crc32(data);
  const localExtra = 4 + 16;
  const local = new Uint8Array(30 + name.length + localExtra);
  const lv = view(local);
  lv.setUint32(0, 0x04034b50, true);
  lv.setUint16(4, 45, true);
  lv.setUint32(14, crc, true);
  lv.setUint32(18, 0xffffffff, true);
  lv.setUint32(22, 0xffffffff, true);
  lv.setUint16(26, name.length, true);
  lv.setUint16(28, localExtra, true);
  local.set(name, 30);
  let p = 30 + name.length;
  lv.setUint16(p, 1, true);
  lv.setUint16(p + 2, 16, true);
  lv.setBigUint64(p + 4, BigInt(data.length), true);
  lv.setBigUint64(p + 12, BigInt(data.length), true);
  const centralExtra = 4 + 24;
  const central = new Uint8Array(46 + name.length + centralExtra);
  const cv = view(central);
  cv.setUint32(0, 0x02014b50, true);
  cv.setUint16(4, (3 << 8) | 45, true);
  cv.setUint16(6, 45, true);
  cv.setUint32(16, crc, true);
  cv.setUint32(20, 0xffffffff, true);
  cv.setUint32(24, 0xffffffff, true);
  cv.setUint16(28, name.length, true);
  cv.setUint16(30, centralExtra, true);
  cv.setUint32(38, (0o100644 << 16) >>> 0, true);
  cv.setUint32(42, 0xffffffff, true);
  central.set(name, 46);
  p = 46 + name.length;
  cv.setUint16(p, 1, true);
  cv.setUint16(p + 2, 24, true);
  cv.setBigUint64(p + 4, BigInt(data.length), true); // uncompressed size
  cv.setBigUint64(p + 12, BigInt(data.length), true); // compressed size
  cv.setBigUint64(p + 20, 0n, true); // local header offset
  const centralOffset = local.length + data.length;
  const records = new Uint8Array(56 + 20 + 22);
  const rv = view(records);
  rv.setUint32(0, 0x06064b50, true);
  rv.setBigUint64(4, 44n, true);
  rv.setUint16(12, (3 << 8) | 45, true);
  rv.setUint16(14, 45, true);
  rv.setBigUint64(24, 1n, true);
  rv.setBigUint64(32, 1n, true);
  rv.setBigUint64(40, BigInt(central.length), true);
  rv.setBigUint64(48, BigInt(centralOffset), true);
  rv.setUint32(56, 0x07064b50, true);
  rv.setBigUint64(64, BigInt(centralOffset + central.length), true);
  rv.setUint32(72, 1, true);
  rv.setUint32(76, 0x06054b50, true);
  rv.setUint16(84, 0xffff, true);
  rv.setUint16(86, 0xffff, true);
  rv.setUint32(88, 0xffffffff, true);
  rv.setUint32(92, 0xffffffff, true);
  const out = new Uint8Array(centralOffset + central.length + records.length);
  out.set(local);
  out.set(data, local.length);
  out.set(central, centralOffset);
  out.set(records, centralOffset + central.length);
  return out;
}

describe('ZIP64 extra fields', () => {
  it('reads sizes and offsets from ZIP64 extra fields, in an archive Info-ZIP accepts as well', async () => {
    const data = text('sizes past 4 GiB live in the extra field');
    const zip = zip64ExtraArchive('big/entry.bin', data);
    const dir = mkdtempSync(join(tmpdir(), 'unzip-test-'));
    try {
      const file = join(dir, 'zip64.zip');
      writeFileSync(file, zip);
      expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8' })).toMatch(/No errors detected/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const [entry] = readZipDirectory(zip, LIMITS);
    expect(entry).toMatchObject({ path: 'big/entry.bin', size: data.length, compressedSize: data.length, method: METHOD_STORE });
    expect(await readZipEntry(zip, entry!)).toEqual(data);
    // The all-ones fields without the extra field they point to are refused.
    const missing = zip.slice();
    const centralOffset = view(missing).getBigUint64(missing.length - 98 + 48, true);
    view(missing).setUint16(Number(centralOffset) + 46 + 'big/entry.bin'.length, 0x9999, true); // not the ZIP64 tag
    expect(() => readZipDirectory(missing, LIMITS)).toThrow(/ZIP64 extra field/);
  });
});

describe('normaliseZipPath', () => {
  it('drops "." and empty segments and turns backslashes into slashes', () => {
    expect(normaliseZipPath('./a//b\\c.txt')).toBe('a/b/c.txt');
  });
  it('keeps names that only look like dots', () => {
    expect(normaliseZipPath('a/..b/c..')).toBe('a/..b/c..');
  });
});
