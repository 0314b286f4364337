import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InflateError,
  MAX_ZIP_BYTES,
  MAX_ZIP_ENTRIES,
  METHOD_DEFLATE,
  METHOD_STORE,
  ZipError,
  crc32,
  createZip,
  deflateRaw,
  fromDosDateTime,
  inflateRaw,
  normaliseZipPath,
  readZip,
  toDosDateTime,
} from './zip';

const text = (s: string) => new TextEncoder().encode(s);
const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const modified = new Date(2024, 4, 17, 13, 45, 31); // local time; ZIP keeps 2-second steps

/** Offsets of the records in an archive written by createZip (one entry, no comment). */
function layout(zip: Uint8Array) {
  const end = zip.length - 22;
  const central = view(zip).getUint32(end + 16, true);
  return { local: 0, localName: 30, end, central, centralName: central + 46 };
}

/** Overwrites the name in both headers with a same-length string, as a hostile tool could. */
function renameInPlace(zip: Uint8Array, name: Uint8Array): Uint8Array {
  const copy = zip.slice();
  const { localName, centralName } = layout(copy);
  copy.set(name, localName);
  copy.set(name, centralName);
  return copy;
}

function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('crc32', () => {
  it('matches the standard check value and the empty input', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(text('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
  });
  it('continues across chunks', () => {
    expect(crc32(text('6789'), crc32(text('12345')))).toBe(0xcbf43926);
  });
});

describe('DOS timestamps', () => {
  it('round-trips local time at 2-second resolution', () => {
    expect(fromDosDateTime(toDosDateTime(modified))).toEqual(new Date(2024, 4, 17, 13, 45, 30));
  });
  it('clamps dates outside 1980–2107 and invalid dates', () => {
    expect(fromDosDateTime(toDosDateTime(new Date(1970, 0, 1)))).toEqual(new Date(1980, 0, 1));
    expect(fromDosDateTime(toDosDateTime(new Date(Number.NaN)))).toEqual(new Date(1980, 0, 1));
    expect(fromDosDateTime(toDosDateTime(new Date(2200, 0, 1)))).toEqual(new Date(2107, 11, 31, 23, 59, 58));
  });
});

describe('createZip', () => {
  it('writes the signatures, UTF-8 flag and end record where APPNOTE puts them', async () => {
    const zip = await createZip([{ path: 'café/ünï.txt', data: text('hello'), modified }], { compress: false });
    const v = view(zip);
    const { end, central } = layout(zip);
    expect(v.getUint32(0, true)).toBe(0x04034b50); // "PK\3\4"
    expect(Array.from(zip.subarray(0, 4))).toEqual([0x50, 0x4b, 0x03, 0x04]);
    expect(v.getUint16(6, true) & 0x0800).toBe(0x0800); // bit 11: UTF-8 name
    expect(v.getUint16(8, true)).toBe(METHOD_STORE);
    expect(v.getUint32(14, true)).toBe(crc32(text('hello')));
    expect(v.getUint32(central, true)).toBe(0x02014b50); // "PK\1\2"
    expect(v.getUint16(central + 8, true) & 0x0800).toBe(0x0800);
    expect(zip[central + 5]).toBe(3); // made by Unix, so unzip keeps UTF-8 names and reads the mode…
    expect(v.getUint32(central + 38, true) >>> 16).toBe(0o100644); // …a regular rw-r--r-- file
    expect(v.getUint32(end, true)).toBe(0x06054b50); // "PK\5\6"
    expect(v.getUint16(end + 8, true)).toBe(1); // entries on this disk
    expect(v.getUint16(end + 10, true)).toBe(1); // entries in total
    expect(v.getUint32(end + 12, true)).toBe(end - central); // central directory size
    expect(v.getUint16(end + 20, true)).toBe(0); // no comment
    const nameBytes = text('café/ünï.txt');
    expect(v.getUint16(26, true)).toBe(nameBytes.length);
    expect(zip.subarray(30, 30 + nameBytes.length)).toEqual(nameBytes);
    // Local header 30 + name + 5 data bytes, then the central header 46 + name.
    expect(central).toBe(30 + nameBytes.length + 5);
    expect(zip.length).toBe(central + 46 + nameBytes.length + 22);
  });

  it('round-trips stored entries, including an empty file and non-ASCII names', async () => {
    const binary = pseudoRandomBytes(1000);
    const entries = [
      { path: 'a.txt', data: text('alpha'), modified },
      { path: 'empty.bin', data: new Uint8Array(0), modified },
      { path: 'dir/sub/random.bin', data: binary, modified },
      { path: '猫/🐈.txt', data: text('meow'), modified },
    ];
    const read = readZip(await createZip(entries, { compress: false }));
    expect(read.map((e) => e.path)).toEqual(entries.map((e) => e.path));
    expect(read.every((e) => e.method === METHOD_STORE && e.compressedSize === e.size && !e.encrypted)).toBe(true);
    for (const [i, entry] of read.entries()) {
      expect(await entry.data()).toEqual(entries[i]!.data);
      expect(entry.modified).toEqual(new Date(2024, 4, 17, 13, 45, 30));
    }
  });

  it('round-trips deflated entries, storing the ones that would not shrink', async () => {
    const compressible = text('zero-shot '.repeat(5000));
    const incompressible = pseudoRandomBytes(4096, 7);
    const read = readZip(
      await createZip(
        [
          { path: 'text.txt', data: compressible },
          { path: 'noise.bin', data: incompressible },
        ],
        { compress: true },
      ),
    );
    expect(read[0]!.method).toBe(METHOD_DEFLATE);
    expect(read[0]!.compressedSize).toBeLessThan(compressible.length / 50);
    expect(await read[0]!.data()).toEqual(compressible);
    expect(read[1]!.method).toBe(METHOD_STORE);
    expect(await read[1]!.data()).toEqual(incompressible);
  });

  it('normalises backslashes and refuses unsafe, duplicate and directory paths', async () => {
    expect(readZip(await createZip([{ path: 'cat\\1.jpg', data: text('x') }], { compress: false }))[0]!.path).toBe('cat/1.jpg');
    for (const path of ['../evil', 'a/../../b', '/etc/passwd', 'C:/x', 'c:x', '', './', 'nul\0.txt'])
      await expect(createZip([{ path, data: text('x') }], { compress: false }), path).rejects.toThrow(ZipError);
    await expect(
      createZip(
        [
          { path: 'a/b', data: text('1') },
          { path: 'a\\b', data: text('2') },
        ],
        { compress: false },
      ),
    ).rejects.toThrow(/appears twice/);
    await expect(createZip([{ path: 'dir/', data: new Uint8Array(0) }], { compress: false })).rejects.toThrow(/directory entries/);
  });

  it('says ZIP64 is not supported past 65,535 entries or 4 GiB', async () => {
    const many = Array.from({ length: MAX_ZIP_ENTRIES + 1 }, (_, i) => ({ path: `${i}`, data: new Uint8Array(0) }));
    await expect(createZip(many, { compress: false })).rejects.toThrow(/ZIP64 is not supported/);
    // A stand-in with a huge byteLength: the size check happens before anything is read.
    const huge = { byteLength: MAX_ZIP_BYTES + 1, length: MAX_ZIP_BYTES + 1 } as unknown as Uint8Array;
    await expect(createZip([{ path: 'huge.bin', data: huge }], { compress: false })).rejects.toThrow(/ZIP64 is not supported/);
  });

  const unzip = (() => {
    try {
      execFileSync('unzip', ['-v'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  // The byte checks above are the real test; this only adds Info-ZIP's opinion where it is installed.
  it.skipIf(!unzip)('is accepted by Info-ZIP unzip when it is installed, UTF-8 names intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zip-test-'));
    try {
      const file = join(dir, 'out.zip');
      const zip = await createZip(
        [
          { path: 'cat/a.txt', data: text('zero-shot '.repeat(100)) },
          { path: 'dog/b.bin', data: pseudoRandomBytes(300) },
          { path: 'café/ünï.txt', data: text('accents') },
        ],
        { compress: true },
      );
      writeFileSync(file, zip);
      const env = { ...process.env, LC_ALL: 'C.UTF-8' };
      expect(execFileSync('unzip', ['-t', file], { encoding: 'utf8', env })).toMatch(/No errors detected/);
      execFileSync('unzip', ['-q', file, '-d', join(dir, 'out')], { env });
      expect(readFileSync(join(dir, 'out', 'café', 'ünï.txt'), 'utf8')).toBe('accents');
      expect(statSync(join(dir, 'out', 'dog', 'b.bin')).mode & 0o777).toBe(0o644 & ~process.umask());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readZip against damaged and hostile archives', () => {
  it('refuses path traversal in a crafted archive', async () => {
    const zip = await createZip([{ path: 'xx/evil.txt', data: text('x') }], { compress: false });
    expect(() => readZip(renameInPlace(zip, text('../evil.txt')))).toThrow(/"\.\." would leave/);
    expect(() => readZip(renameInPlace(zip, text('/x/evil.txt')))).toThrow(/absolute paths/);
    expect(() => readZip(renameInPlace(zip, text('..\\evil.txt')))).toThrow(/"\.\." would leave/);
    expect(readZip(renameInPlace(zip, text('xx\\evil.txt')))[0]!.path).toBe('xx/evil.txt');
  });

  it('leaves out directory entries', async () => {
    const zip = await createZip(
      [
        { path: 'dir_', data: new Uint8Array(0) },
        { path: 'dir/a.txt', data: text('a') },
      ],
      { compress: false },
    );
    const { localName, centralName } = layout(zip);
    zip[localName + 3] = 0x2f; // "dir_" → "dir/"
    zip[centralName + 3] = 0x2f;
    expect(readZip(zip).map((e) => e.path)).toEqual(['dir/a.txt']);
  });

  it('falls back to CP437 for names that are not UTF-8 and not flagged', async () => {
    const zip = await createZip([{ path: 'x.txt', data: text('x') }], { compress: false });
    const { central, localName, centralName } = layout(zip);
    view(zip).setUint16(central + 8, 0, true); // clear the UTF-8 flag
    zip[localName] = 0x80;
    zip[centralName] = 0x80;
    expect(readZip(zip)[0]!.path).toBe('Ç.txt');
  });

  it('detects a damaged byte through the CRC', async () => {
    const zip = await createZip([{ path: 'a.txt', data: text('hello world'), modified }], { compress: false });
    const firstDataByte = 30 + 'a.txt'.length;
    zip[firstDataByte] = zip[firstDataByte]! ^ 0xff;
    await expect(readZip(zip)[0]!.data()).rejects.toThrow(/CRC-32 mismatch/);
  });

  it('stops inflating at the declared size', async () => {
    const zip = await createZip([{ path: 'zeros.bin', data: new Uint8Array(1_000_000) }], { compress: true });
    const { central } = layout(zip);
    view(zip).setUint32(central + 24, 1000, true); // claim 1,000 bytes
    const [entry] = readZip(zip);
    expect(entry!.size).toBe(1000);
    await expect(entry!.data()).rejects.toThrow(/larger than its declared 1000 bytes/);
  });

  it('refuses what is not a ZIP, truncated archives and ZIP64 markers', async () => {
    expect(() => readZip(new Uint8Array(10))).toThrow(/too short/);
    expect(() => readZip(pseudoRandomBytes(5000))).toThrow(/not a ZIP archive/);
    const zip = await createZip([{ path: 'a.txt', data: text('a') }], { compress: false });
    expect(() => readZip(zip.subarray(0, zip.length - 1))).toThrow(ZipError);
    const { end } = layout(zip);
    const zip64 = zip.slice();
    view(zip64).setUint16(end + 10, 0xffff, true);
    expect(() => readZip(zip64)).toThrow(/ZIP64/);
    const noLocal = zip.slice();
    noLocal[0] = 0;
    expect(() => readZip(noLocal)).toThrow(/local header/);
  });

  it('refuses entries whose data overlap', async () => {
    const zip = await createZip(
      [
        { path: 'a.txt', data: text('aaaa') },
        { path: 'b.txt', data: text('bbbb') },
      ],
      { compress: false },
    );
    const { central } = layout(zip); // the first central header is the one for a.txt
    const secondCentral = central + 46 + 'a.txt'.length;
    view(zip).setUint32(secondCentral + 42, 0, true); // b.txt now points at a.txt's local header
    expect(() => readZip(zip)).toThrow(/appears twice|overlap/);
  });

  it('reads an entry given as a view into a larger buffer', async () => {
    const zip = await createZip([{ path: 'a.txt', data: text('inside') }], { compress: true });
    const padded = new Uint8Array(zip.length + 20);
    padded.set(zip, 10);
    const [entry] = readZip(padded.subarray(10, 10 + zip.length));
    expect(new TextDecoder().decode(await entry!.data())).toBe('inside');
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

describe('deflateRaw / inflateRaw', () => {
  it('round-trips', async () => {
    const data = text('abc'.repeat(1000));
    expect(await inflateRaw(await deflateRaw(data), data.length)).toEqual(data);
  });
  it('stops a bomb at the limit instead of inflating it all', async () => {
    const bomb = await deflateRaw(new Uint8Array(10 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    const failure = await inflateRaw(bomb, 256 * 1024).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InflateError);
    expect((failure as InflateError).reason).toBe('too-large');
  });
  it('reports damaged and truncated data as corrupt', async () => {
    const failure = await inflateRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 1000).catch((error: unknown) => error);
    expect((failure as InflateError).reason).toBe('corrupt');
    const whole = await deflateRaw(pseudoRandomBytes(2000));
    const truncated = await inflateRaw(whole.subarray(0, whole.length - 10), 10_000).catch((error: unknown) => error);
    expect((truncated as InflateError).reason).toBe('corrupt');
  });
});
