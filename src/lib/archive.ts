/**
 * Writing ZIP archives as a stream, through client-zip: entries are STORED (no deflate: the
 * media in an export are JPEG/PNG/WebP/MP3/…, already compressed, and deflating them costs CPU
 * for nothing), CRC-32 is computed as the bytes stream past, and ZIP64 records are written when
 * an entry or the archive passes 4 GiB. Nothing here holds the whole archive; the caller pipes
 * the stream to a file or assembles one Blob from it.
 *
 * client-zip 2.5.1 has one gap this module closes: past 65,535 entries in an archive under
 * 4 GiB it writes no ZIP64 end records, so the 16-bit entry count in the end record is clamped
 * and readers (Info-ZIP unzip, fflate) stop at entry 65,535. `withZip64EntryCount` adds them.
 *
 * DOM-free: runs in the archive worker and in Node (the unit tests).
 */
import { makeZip } from 'client-zip';
import { END_RECORD_BYTES, END_RECORD_SIGNATURE, ZIP64_END_RECORD_BYTES, ZIP64_END_RECORD_SIGNATURE, ZIP64_LOCATOR_BYTES, ZIP64_LOCATOR_SIGNATURE, ZipError, normaliseZipPath } from './zipFormat';

export interface ArchiveEntry {
  /** Slash-separated path inside the archive, e.g. "cat/001.jpg"; normalised by `normaliseZipPath`. */
  path: string;
  /** Blobs (IndexedDB's, or small text ones) are streamed, never read whole. */
  data: Blob;
  /** Default: the time the archive is written. */
  modified?: Date;
}

/** The 16-bit entry count in the end record; at this value readers look for the ZIP64 record. */
const MAX_ZIP32_ENTRIES = 0xffff;
/** 4.5: the APPNOTE version that introduced ZIP64 (client-zip writes the same), made on Unix (3). */
const ZIP64_VERSION = 45;
const MADE_BY_UNIX = 3 << 8;

/** The paths as they will be written, or a ZipError for an unsafe, duplicate or directory path. */
export function checkedArchivePaths(entries: readonly ArchiveEntry[]): string[] {
  const seen = new Set<string>();
  return entries.map((entry) => {
    if (/[/\\]$/.test(entry.path)) throw new ZipError(`zip entry "${entry.path}": directory entries are not written; a file's folders are implied by its path`);
    const path = normaliseZipPath(entry.path);
    // Compared case-insensitively: extracting "A.jpg" and "a.jpg" on macOS or Windows keeps one.
    const key = path.toLowerCase();
    if (seen.has(key)) throw new ZipError(`zip entry "${path}" appears twice`);
    seen.add(key);
    return path;
  });
}

/**
 * The archive of these entries as a byte stream. Paths are checked before anything is written
 * (ZipError); cancelling the stream cancels the reads of the entries' Blobs.
 */
export function zipStream(entries: readonly ArchiveEntry[]): ReadableStream<Uint8Array> {
  const paths = checkedArchivePaths(entries);
  const now = new Date();
  const files = entries.map((entry, index) => ({
    name: paths[index] as string,
    input: entry.data,
    size: entry.data.size,
    lastModified: entry.modified ?? now,
  }));
  const zip = makeZip(files);
  return entries.length >= MAX_ZIP32_ENTRIES ? zip.pipeThrough(withZip64EntryCount(entries.length)) : zip;
}

/**
 * Holds back the end record and, unless client-zip already wrote ZIP64 end records before it,
 * writes them (APPNOTE 4.3.14/4.3.15) with the true entry count, then the end record with its
 * count set to 0xFFFF ("see ZIP64"). Sizes and offsets are client-zip's: it writes the ZIP64
 * records itself whenever those pass 32 bits, so here they always fit.
 */
function withZip64EntryCount(entryCount: number): TransformStream<Uint8Array, Uint8Array> {
  const held = END_RECORD_BYTES + ZIP64_END_RECORD_BYTES + ZIP64_LOCATOR_BYTES;
  // Chunks pass through untouched until only the last `held` bytes (or a little more) are
  // pending: client-zip yields the end records as chunks of their own, and copying every chunk
  // of a 70,000-entry archive would cost more than writing it.
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let written = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pending.length > 1 && pendingBytes - (pending[0] as Uint8Array).length >= held) {
        const released = pending.shift() as Uint8Array;
        controller.enqueue(released);
        pendingBytes -= released.length;
        written += released.length;
      }
    },
    flush(controller) {
      const tail = new Uint8Array(pendingBytes);
      let offset = 0;
      for (const chunk of pending) {
        tail.set(chunk, offset);
        offset += chunk.length;
      }
      const end = tail.length - END_RECORD_BYTES;
      const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
      if (end < 0 || view.getUint32(end, true) !== END_RECORD_SIGNATURE) {
        controller.error(new ZipError('the archive writer ended without an end record'));
        return;
      }
      const hasZip64 = end >= ZIP64_LOCATOR_BYTES && view.getUint32(end - ZIP64_LOCATOR_BYTES, true) === ZIP64_LOCATOR_SIGNATURE;
      if (hasZip64) {
        controller.enqueue(tail);
        return;
      }
      const centralSize = view.getUint32(end + 12, true);
      const centralOffset = view.getUint32(end + 16, true);
      const before = tail.subarray(0, end);
      const zip64EndOffset = written + before.length;
      const out = new Uint8Array(before.length + ZIP64_END_RECORD_BYTES + ZIP64_LOCATOR_BYTES + END_RECORD_BYTES);
      out.set(before);
      const w = new DataView(out.buffer);
      let p = before.length;
      w.setUint32(p, ZIP64_END_RECORD_SIGNATURE, true);
      w.setBigUint64(p + 4, BigInt(ZIP64_END_RECORD_BYTES - 12), true); // size of the rest of the record
      w.setUint16(p + 12, MADE_BY_UNIX | ZIP64_VERSION, true);
      w.setUint16(p + 14, ZIP64_VERSION, true);
      // 16: this disk, 20: disk with the central directory, both 0.
      w.setBigUint64(p + 24, BigInt(entryCount), true);
      w.setBigUint64(p + 32, BigInt(entryCount), true);
      w.setBigUint64(p + 40, BigInt(centralSize), true);
      w.setBigUint64(p + 48, BigInt(centralOffset), true);
      p += ZIP64_END_RECORD_BYTES;
      w.setUint32(p, ZIP64_LOCATOR_SIGNATURE, true);
      // 4: disk with the ZIP64 end record, 0.
      w.setBigUint64(p + 8, BigInt(zip64EndOffset), true);
      w.setUint32(p + 16, 1, true); // total number of disks
      p += ZIP64_LOCATOR_BYTES;
      out.set(tail.subarray(end), p);
      w.setUint16(p + 8, MAX_ZIP32_ENTRIES, true);
      w.setUint16(p + 10, MAX_ZIP32_ENTRIES, true);
      controller.enqueue(out);
    },
  });
}
