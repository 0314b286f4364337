/**
 * The archive writer (client-zip plus the ZIP64 end records it leaves out), checked with two
 * readers that are not the app's: Info-ZIP's unzip, and the independent central-directory
 * listing in e2e/support. Info-ZIP is required, not optional: scripts/install-test-deps.sh
 * installs it, and these tests fail without it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { listZip } from '../../e2e/support/zip-listing';
import { zipStream, type ArchiveEntry } from './archive';
import { METHOD_STORE, readZipDirectory, readZipEntry } from './unzip';
import { ZipError } from './zipFormat';
import { seededBytes } from './random';

const text = (s: string) => new TextEncoder().encode(s);
const blob = (s: string | Uint8Array) => new Blob([typeof s === 'string' ? s : s.slice()]);
const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
const UNZIP_ENV = { ...process.env, LC_ALL: 'C.UTF-8' };
const dir = mkdtempSync(join(tmpdir(), 'archive-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeTemp(name: string, bytes: Uint8Array): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** Runs Info-ZIP's unzip; a missing unzip fails the test, saying how to get it. */
function unzip(args: string[]): string {
  try {
    return execFileSync('unzip', args, { encoding: 'utf8', env: UNZIP_ENV, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') throw new Error('Info-ZIP unzip is required for these tests: run scripts/install-test-deps.sh', { cause: error });
    throw error;
  }
}

/** Info-ZIP's test of every entry's CRC; throws (failing the test) when unzip is unhappy. */
const unzipTest = (file: string) => unzip(['-t', file]);

const pseudoRandomBytes = (length: number, seed = 1) => seededBytes(length, seed);

describe('zipStream', () => {
  it('writes an archive Info-ZIP accepts, UTF-8 names intact, every entry stored', async () => {
    const jpeg = pseudoRandomBytes(5000, 3);
    const entries: ArchiveEntry[] = [
      { path: 'cat/a.jpg', data: blob(jpeg) },
      { path: 'dog/b.png', data: blob(pseudoRandomBytes(300)) },
      { path: 'café/ünï.webp', data: blob('accents') },
      { path: 'clips/x.mp3', data: blob(pseudoRandomBytes(1000, 9)) },
      { path: 'empty.txt', data: blob('') },
      { path: 'project.json', data: blob('{"a":1}\n'.repeat(100)) },
    ];
    const zip = await bytesOf(zipStream(entries));
    const file = writeTemp('small.zip', zip);
    expect(unzipTest(file)).toMatch(/No errors detected in compressed data of .*small\.zip\./);
    unzip(['-q', file, '-d', join(dir, 'small')]);
    expect(readFileSync(join(dir, 'small', 'café', 'ünï.webp'), 'utf8')).toBe('accents');
    expect(new Uint8Array(readFileSync(join(dir, 'small', 'cat', 'a.jpg')))).toEqual(jpeg);

    // Method 0 in the central directory, per the independent listing and per unzip -v.
    const listing = listZip(zip);
    expect(listing.map((entry) => entry.path)).toEqual(entries.map((entry) => entry.path));
    for (const entry of listing) {
      expect(entry.method, entry.path).toBe(METHOD_STORE);
      expect(entry.compressedSize, entry.path).toBe(entry.size);
    }
    const verbose = unzip(['-v', file]);
    expect(verbose.split('\n').filter((line) => /\bStored\b/.test(line))).toHaveLength(entries.length);
    expect(verbose).not.toMatch(/\bDefl/);
  });

  it('round-trips through the app reader and fflate, bytes and sizes', async () => {
    const entries = [
      { path: 'a.txt', data: text('alpha') },
      { path: 'dir/sub/random.bin', data: pseudoRandomBytes(70_000) },
      { path: '猫/🐈.txt', data: text('meow') },
    ];
    const zip = await bytesOf(zipStream(entries.map((entry) => ({ path: entry.path, data: blob(entry.data) }))));
    const read = readZipDirectory(zip, { maxEntries: 10 });
    expect(read.map((entry) => entry.path)).toEqual(entries.map((entry) => entry.path));
    for (const [index, entry] of read.entries()) expect(await readZipEntry(zip, entry)).toEqual(entries[index]!.data);
    const theirs = unzipSync(zip);
    for (const entry of entries) expect(theirs[entry.path]).toEqual(entry.data);
  });

  it('normalises backslashes and refuses unsafe, duplicate and directory paths before writing anything', async () => {
    const listing = listZip(await bytesOf(zipStream([{ path: 'cat\\1.jpg', data: blob('x') }])));
    expect(listing.map((entry) => entry.path)).toEqual(['cat/1.jpg']);
    for (const path of ['../evil', 'a/../../b', '/etc/passwd', 'C:/x', 'c:x', '', './', 'nul\0.txt', 'line\nbreak.txt', 'tab\t.txt', 'del\u007f'])
      expect(() => zipStream([{ path, data: blob('x') }]), JSON.stringify(path)).toThrow(ZipError);
    expect(() =>
      zipStream([
        { path: 'a/b', data: blob('1') },
        { path: 'a\\b', data: blob('2') },
      ]),
    ).toThrow(/appears twice/);
    expect(() =>
      zipStream([
        { path: 'A.jpg', data: blob('1') },
        { path: 'a.jpg', data: blob('2') },
      ]),
    ).toThrow(/appears twice/);
    expect(() => zipStream([{ path: 'dir/', data: blob('') }])).toThrow(/directory entries/);
  });

  it('cancelling the stream stops reading the entries', async () => {
    let opened = 0;
    /** A Blob that counts how many times its bytes are streamed, standing in for IndexedDB's. */
    class CountingBlob extends Blob {
      override stream() {
        opened++;
        return super.stream();
      }
    }
    const entries = Array.from({ length: 50 }, (_, i) => ({ path: `${i}.bin`, data: new CountingBlob([pseudoRandomBytes(256 * 1024, i).slice()]) }));
    const reader = zipStream(entries).getReader();
    let received = 0;
    while (received < 600 * 1024) {
      const { done, value } = await reader.read();
      if (done) throw new Error('the archive ended early');
      received += value.length;
    }
    await reader.cancel();
    const openedAtCancel = opened;
    expect(openedAtCancel).toBeGreaterThanOrEqual(3);
    expect(openedAtCancel).toBeLessThan(10);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(opened).toBe(openedAtCancel);
  });

  it('streams an export of 10,000 images without holding the archive: memory stays far below its size', async () => {
    const image = new Blob([pseudoRandomBytes(32 * 1024, 11)]);
    const entries = Array.from({ length: 10_000 }, (_, i) => ({ path: `label/${i}.jpg`, data: image }));
    const before = process.memoryUsage();
    let peakGrowth = 0;
    let archiveBytes = 0;
    await zipStream(entries).pipeTo(
      new WritableStream<Uint8Array>({
        write(chunk) {
          archiveBytes += chunk.length;
          const now = process.memoryUsage();
          peakGrowth = Math.max(peakGrowth, now.arrayBuffers + now.heapUsed - before.arrayBuffers - before.heapUsed);
        },
      }),
    );
    console.info(`10,000-entry export: ${archiveBytes} bytes streamed, peak memory growth ${Math.round(peakGrowth / 1024 / 1024)} MiB`);
    expect(archiveBytes).toBeGreaterThan(10_000 * 32 * 1024);
    // Holding the archive would grow memory by at least its size (~320 MiB); garbage not yet collected stays well under that.
    expect(peakGrowth).toBeLessThan(archiveBytes / 3);
  }, 120_000);

  it('writes ZIP64 past 65,535 entries: 70,000 entries that unzip, fflate and the app reader list in full', async () => {
    const count = 70_000;
    const entries = Array.from({ length: count }, (_, i) => ({ path: `f/${i}.jpg`, data: blob(String(i)), modified: new Date(2024, 0, 1) }));
    const zip = await bytesOf(zipStream(entries));
    const file = writeTemp('70k.zip', zip);
    const report = unzipTest(file);
    const summary = report.trim().split('\n').at(-1);
    console.info(`70,000-entry archive: ${zip.length} bytes; unzip -t: ${summary}`);
    expect(summary).toMatch(/^No errors detected in compressed data of .*70k\.zip\.$/);
    expect(report.match(/^\s+testing: .* OK$/gm)).toHaveLength(count);
    const listed = unzip(['-l', file]);
    expect(listed.trim().split('\n').at(-1)).toMatch(new RegExp(`\\s${count} files$`));

    const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
    expect(view.getUint16(zip.length - 22 + 10, true)).toBe(0xffff); // the end record says "see ZIP64"…
    expect(view.getUint32(zip.length - 22 - 20, true)).toBe(0x07064b50); // …and the locator is there
    const read = readZipDirectory(zip, { maxEntries: count });
    expect(read).toHaveLength(count);
    expect(read.at(-1)?.path).toBe(`f/${count - 1}.jpg`);
    expect(new TextDecoder().decode(await readZipEntry(zip, read.at(-1)!))).toBe(String(count - 1));
    expect(() => readZipDirectory(zip, { maxEntries: count - 1 })).toThrow(/more than 69999 entries/);
    // fflate reads ZIP64 end records too: its filter sees every entry from the central directory.
    let seen = 0;
    unzipSync(zip, { filter: () => (seen++, false) });
    expect(seen).toBe(count);
  }, 120_000);
});
