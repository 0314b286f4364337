/**
 * Reading ZIP archives that may be hostile (project import). The central directory is the truth,
 * as for Info-ZIP unzip: it gives each entry's declared sizes before anything is inflated, so
 * the caller can refuse an entry, or the whole archive, on size alone. Inflating goes through
 * fflate's streaming inflater with a running byte count (lib/compression), so an entry whose
 * header lies about its size stops at the declared size instead of inflating a bomb.
 *
 * Why not fflate's `unzipSync`: it inflates an entry into a buffer of the declared size without
 * noticing more output (the excess is dropped silently, after being computed: a lying 1 GiB entry
 * still costs the CPU of inflating a terabyte), checks no CRC, and its filter callback gives
 * sizes but not where an entry's data starts. Its streaming `Unzip` walks local headers, which
 * cannot delimit a STORED entry written with a data descriptor (client-zip writes every entry
 * that way) other than by searching the data for a signature. So the directory is read here
 * (ZIP64 included) and fflate does the inflating.
 */
import { CappedInflater, InflateError } from './compression';
import { END_RECORD_BYTES, END_RECORD_SIGNATURE, ZIP64_END_RECORD_BYTES, ZIP64_END_RECORD_SIGNATURE, ZIP64_LOCATOR_BYTES, ZIP64_LOCATOR_SIGNATURE, ZipError, normaliseZipPath } from './zipFormat';

export { ZipError } from './zipFormat';

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
/** The end record's comment is at most 65,535 bytes, so the record is within this of the end. */
const MAX_END_RECORD_SEARCH_BYTES = END_RECORD_BYTES + 0xffff;
const ZIP64_EXTRA_TAG = 0x0001;
/** General-purpose flag bit 0: the entry is encrypted. */
const FLAG_ENCRYPTED = 0x0001;
/** General-purpose flag bit 11: the name is UTF-8. */
const FLAG_UTF8 = 0x0800;
const ALL_ONES_16 = 0xffff;
const ALL_ONES_32 = 0xffffffff;

export interface ZipEntry {
  /** Normalised path (see `normaliseZipPath`). */
  path: string;
  /** Uncompressed size as the central directory declares it; reading stops past it. */
  size: number;
  compressedSize: number;
  /** METHOD_STORE, METHOD_DEFLATE, or another method `readZipEntry` refuses. */
  method: number;
  encrypted: boolean;
  crc32: number;
  /** Where the entry's (compressed) data starts in the archive. */
  dataStart: number;
}

export interface ZipDirectoryLimits {
  /** More entries than this (directories included) and the archive is refused unread. */
  maxEntries: number;
}

// ---------------------------------------------------------------------------------------------
// CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), to check what was read.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < bytes.length; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// ---------------------------------------------------------------------------------------------
// The directory.

/** IBM code page 437, bytes 0x80–0xFF: what APPNOTE says names without the UTF-8 flag are in. */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8Flag: boolean): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    if (utf8Flag) throw new ZipError('a file name is flagged as UTF-8 but is not valid UTF-8');
    // Unflagged names are formally CP437; most tools write UTF-8 anyway, so CP437 is the fallback.
    return Array.from(raw, (byte) => (byte < 0x80 ? String.fromCharCode(byte) : (CP437_HIGH[byte - 0x80] as string))).join('');
  }
}

/** A 64-bit field as a number; past 2^53 it is not a size any archive here can have. */
function uint64(view: DataView, offset: number): number {
  const value = view.getBigUint64(offset, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('damaged archive: a ZIP64 size or offset is out of range');
  return Number(value);
}

function findEndRecord(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - MAX_END_RECORD_SEARCH_BYTES);
  for (let p = bytes.length - END_RECORD_BYTES; p >= lowest; p--) {
    if (view.getUint32(p, true) !== END_RECORD_SIGNATURE) continue;
    // A signature inside the comment of a real end record would leave too few bytes for its own comment.
    if (p + END_RECORD_BYTES + view.getUint16(p + 20, true) <= bytes.length) return p;
  }
  throw new ZipError('not a ZIP archive (no end of central directory record)');
}

interface Directory {
  entryCount: number;
  centralOffset: number;
  centralSize: number;
  /** Where the records after the central directory start; entry data must end before it. */
  dataEnd: number;
}

function readDirectoryRecords(bytes: Uint8Array, view: DataView): Directory {
  const end = findEndRecord(bytes, view);
  let diskNumber = view.getUint16(end + 4, true);
  let centralDisk = view.getUint16(end + 6, true);
  let entriesOnDisk = view.getUint16(end + 8, true);
  let entryCount = view.getUint16(end + 10, true);
  let centralSize = view.getUint32(end + 12, true);
  let centralOffset = view.getUint32(end + 16, true);
  let recordsStart = end;
  const locator = end - ZIP64_LOCATOR_BYTES;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR_SIGNATURE) {
    const record = uint64(view, locator + 8);
    if (record + ZIP64_END_RECORD_BYTES > locator || view.getUint32(record, true) !== ZIP64_END_RECORD_SIGNATURE)
      throw new ZipError('damaged archive: the ZIP64 end record is missing');
    diskNumber = view.getUint32(record + 16, true);
    centralDisk = view.getUint32(record + 20, true);
    entriesOnDisk = uint64(view, record + 24);
    entryCount = uint64(view, record + 32);
    centralSize = uint64(view, record + 40);
    centralOffset = uint64(view, record + 48);
    recordsStart = record;
  } else if (entryCount === ALL_ONES_16 || centralSize === ALL_ONES_32 || centralOffset === ALL_ONES_32) {
    throw new ZipError('damaged archive: the end record points to ZIP64 records that are not there');
  }
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== entryCount) throw new ZipError('multi-disk (split) archives are not supported');
  if (centralOffset + centralSize > recordsStart) throw new ZipError('damaged archive: the central directory runs past its end record');
  return { entryCount, centralOffset, centralSize, dataEnd: centralOffset };
}

/** The ZIP64 extended-information extra field: the 64-bit values of the fields that were all ones. */
function zip64Values(view: DataView, start: number, length: number, wanted: { size: boolean; compressedSize: boolean; offset: boolean }) {
  for (let p = start; p + 4 <= start + length; ) {
    const tag = view.getUint16(p, true);
    const dataLength = view.getUint16(p + 2, true);
    if (p + 4 + dataLength > start + length) break;
    if (tag === ZIP64_EXTRA_TAG) {
      // The values appear in this order, each only when its 32-bit field is all ones.
      let q = p + 4;
      const next = () => {
        if (q + 8 > p + 4 + dataLength) throw new ZipError('damaged archive: a ZIP64 extra field is too short');
        const value = uint64(view, q);
        q += 8;
        return value;
      };
      const size = wanted.size ? next() : undefined;
      const compressedSize = wanted.compressedSize ? next() : undefined;
      const offset = wanted.offset ? next() : undefined;
      return { size, compressedSize, offset };
    }
    p += 4 + dataLength;
  }
  throw new ZipError('damaged archive: an entry needs a ZIP64 extra field it does not have');
}

/**
 * Lists the files in an archive from its central directory (ZIP64 included; directory entries
 * are left out, their paths are implied by the files'). Nothing is inflated. Throws a ZipError
 * for anything malformed, multi-disk, unsafe or duplicate paths, more entries than the limit,
 * or entries whose data overlap (a known zip-bomb construction).
 */
export function readZipDirectory(bytes: Uint8Array, limits: ZipDirectoryLimits): ZipEntry[] {
  if (bytes.length < END_RECORD_BYTES) throw new ZipError('not a ZIP archive (too short)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { entryCount, centralOffset, centralSize, dataEnd } = readDirectoryRecords(bytes, view);
  if (entryCount > limits.maxEntries) throw new ZipError(`more than ${limits.maxEntries} entries (${entryCount})`);

  const entries: (ZipEntry & { localOffset: number })[] = [];
  const seen = new Set<string>();
  const centralEnd = centralOffset + centralSize;
  let p = centralOffset;
  for (let index = 0; index < entryCount; index++) {
    if (p + CENTRAL_HEADER_BYTES > centralEnd || view.getUint32(p, true) !== CENTRAL_HEADER_SIGNATURE)
      throw new ZipError(`damaged archive: central directory entry ${index + 1} of ${entryCount} is missing`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const extraStart = p + CENTRAL_HEADER_BYTES + nameLength;
    const next = extraStart + extraLength + commentLength;
    if (next > centralEnd) throw new ZipError(`damaged archive: central directory entry ${index + 1} runs past the directory`);
    if (size === ALL_ONES_32 || compressedSize === ALL_ONES_32 || localOffset === ALL_ONES_32) {
      const wide = zip64Values(view, extraStart, extraLength, {
        size: size === ALL_ONES_32,
        compressedSize: compressedSize === ALL_ONES_32,
        offset: localOffset === ALL_ONES_32,
      });
      size = wide.size ?? size;
      compressedSize = wide.compressedSize ?? compressedSize;
      localOffset = wide.offset ?? localOffset;
    }
    const rawName = decodeName(bytes.subarray(p + CENTRAL_HEADER_BYTES, extraStart), (flags & FLAG_UTF8) !== 0);
    p = next;

    if (/[/\\]$/.test(rawName) && size === 0) {
      normaliseZipPath(rawName); // a hostile directory name is still a reason to refuse the archive
      continue;
    }
    const path = normaliseZipPath(rawName);
    if (seen.has(path)) throw new ZipError(`zip entry "${path}" appears twice`);
    seen.add(path);

    if (localOffset + LOCAL_HEADER_BYTES > dataEnd || view.getUint32(localOffset, true) !== LOCAL_HEADER_SIGNATURE)
      throw new ZipError(`damaged archive: the local header of "${path}" is missing`);
    const dataStart = localOffset + LOCAL_HEADER_BYTES + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > dataEnd) throw new ZipError(`damaged archive: the data of "${path}" runs past the central directory`);
    entries.push({ path, size, compressedSize, method, encrypted: (flags & FLAG_ENCRYPTED) !== 0, crc32: crc, dataStart, localOffset });
  }

  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1] as (typeof entries)[number];
    const current = byOffset[i] as (typeof entries)[number];
    if (previous.dataStart + previous.compressedSize > current.localOffset)
      throw new ZipError(`damaged or hostile archive: "${previous.path}" and "${current.path}" overlap`);
  }
  return entries.map(({ localOffset: _localOffset, ...entry }) => entry);
}

// ---------------------------------------------------------------------------------------------
// The data.

/**
 * One entry's bytes, inflated and checked against the declared size and CRC-32 (ZipError if
 * not). Inflating stops as soon as the output passes the declared size, so check `size` against
 * a cap before calling this, and a header that lies about it costs no more than the cap.
 */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry): Promise<Uint8Array<ArrayBuffer>> {
  // Synchronous inside (fflate); a promise so a damaged entry is a rejection like any other read failure.
  return new Promise((resolve) => resolve(inflateEntry(bytes, entry)));
}

function inflateEntry(bytes: Uint8Array, entry: ZipEntry): Uint8Array<ArrayBuffer> {
  const name = `zip entry "${entry.path}"`;
  if (entry.encrypted) throw new ZipError(`${name} is encrypted, which is not supported`);
  const body = bytes.subarray(entry.dataStart, entry.dataStart + entry.compressedSize);
  let data: Uint8Array<ArrayBuffer>;
  if (entry.method === METHOD_STORE) {
    if (body.length !== entry.size) throw new ZipError(`${name}: ${body.length} bytes stored instead of the declared ${entry.size}`);
    data = body.slice();
  } else if (entry.method === METHOD_DEFLATE) {
    const inflater = new CappedInflater(entry.size);
    try {
      inflater.push(body, true);
    } catch (error) {
      if (error instanceof InflateError) throw new ZipError(`${name}: ${error.reason === 'too-large' ? `larger than its declared ${entry.size} bytes` : error.message}`);
      throw error;
    }
    data = inflater.result();
  } else throw new ZipError(`${name} uses compression method ${entry.method}; only STORE (0) and DEFLATE (8) are supported`);
  if (data.length !== entry.size) throw new ZipError(`${name}: ${data.length} bytes instead of the declared ${entry.size}`);
  if (crc32(data) !== entry.crc32) throw new ZipError(`${name}: CRC-32 mismatch, the data is damaged`);
  return data;
}
