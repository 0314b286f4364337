/**
 * A minimal ZIP writer and reader (PKWARE APPNOTE 6.3.10, the subset every unzip tool reads):
 * STORE and DEFLATE entries, CRC-32, UTF-8 names, local headers + central directory + end record.
 * No ZIP64, encryption, multi-disk archives or data descriptors on the writing side. Compression
 * goes through the platform's CompressionStream('deflate-raw'), so both directions are async.
 *
 * The reader takes the central directory as the truth (as unzip does), checks every local header
 * it points to, and refuses archives whose paths would escape the folder they are extracted into.
 */

export class ZipError extends Error {
  override name = 'ZipError';
}

/** Thrown by `inflateRaw`: the data is not valid deflate, or it grows past the allowed size. */
export class InflateError extends Error {
  override name = 'InflateError';
  constructor(
    message: string,
    readonly reason: 'corrupt' | 'too-large',
  ) {
    super(message);
  }
}

const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const CENTRAL_HEADER_SIGNATURE = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const ZIP64_END_LOCATOR_SIGNATURE = 0x07064b50;
const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_OF_CENTRAL_DIRECTORY_BYTES = 22;
/** The end record's comment is at most 65,535 bytes, so the record is within this of the end. */
const MAX_END_RECORD_SEARCH_BYTES = END_OF_CENTRAL_DIRECTORY_BYTES + 0xffff;

export const METHOD_STORE = 0;
export const METHOD_DEFLATE = 8;
/** General-purpose flag bit 0: the entry is encrypted. */
const FLAG_ENCRYPTED = 0x0001;
/** General-purpose flag bit 11 ("language encoding"): the name is UTF-8. */
const FLAG_UTF8 = 0x0800;
/** 2.0: the version that introduced DEFLATE; STORE-only readers need 1.0. */
const VERSION_DEFLATE = 20;
const VERSION_STORE = 10;
/**
 * "Made by" Unix (host 3), spec 2.0. Not MS-DOS (host 0): Info-ZIP unzip translates the names of
 * DOS-made entries from the OEM code page even when the UTF-8 flag is set, so "café" came out as
 * "caf+�". A Unix host makes the external attributes a file mode, hence UNIX_FILE_ATTRIBUTES.
 */
const VERSION_MADE_BY = (3 << 8) | 20;
/** S_IFREG | 0644 in the high 16 bits: a regular file, readable by all, writable by the owner. */
const UNIX_FILE_ATTRIBUTES = (0o100644 << 16) >>> 0;

/** Without ZIP64, counts are 16-bit and sizes/offsets 32-bit, the all-ones value meaning "see ZIP64". */
export const MAX_ZIP_ENTRIES = 0xffff;
export const MAX_ZIP_BYTES = 0xfffffffe;
const MAX_NAME_BYTES = 0xffff;

/** DOS timestamps start in 1980 and end in 2107 (7 bits of years). */
const DOS_EPOCH_YEAR = 1980;
const DOS_LAST_YEAR = 2107;

// ---------------------------------------------------------------------------------------------
// CRC-32 (ISO 3309 / ITU-T V.42, reflected polynomial 0xEDB88320), one table lookup per byte.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of the bytes; pass an earlier result as `previous` to continue over several chunks. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous;
  for (let i = 0; i < bytes.length; i++) crc = (CRC_TABLE[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// ---------------------------------------------------------------------------------------------
// Raw deflate through the platform's streams.

/** Deflate expands at most ~1032:1, so this much input can't inflate past ~1 KiB per byte. */
const MAX_DEFLATE_RATIO = 1032;
const MIN_INPUT_CHUNK_BYTES = 1024;
const MAX_INPUT_CHUNK_BYTES = 64 * 1024;

/**
 * Feeds the bytes in slices, one per pull: a stream transforms a whole chunk before anyone can
 * look at its output, so small slices are what let `inflateRaw` stop a bomb within about
 * `MAX_DEFLATE_RATIO × chunk` bytes instead of after inflating everything at once.
 */
function sliceStream(bytes: Uint8Array, chunkBytes: number): ReadableStream<Uint8Array<ArrayBuffer>> {
  let offset = 0;
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      pull(controller) {
        if (offset >= bytes.length) {
          controller.close();
          return;
        }
        controller.enqueue(bytes.slice(offset, offset + chunkBytes));
        offset += chunkBytes;
      },
    },
    { highWaterMark: 0 },
  );
}

function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

async function readAll(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let result: ReadableStreamReadResult<Uint8Array>;
    try {
      result = await reader.read();
    } catch (error) {
      throw new InflateError(`not valid deflate data (${error instanceof Error ? error.message : String(error)})`, 'corrupt');
    }
    if (result.done) return concatBytes(chunks, total);
    total += result.value.length;
    if (total > maxBytes) {
      reader.cancel().catch(() => undefined);
      throw new InflateError(`inflates to more than ${maxBytes} bytes`, 'too-large');
    }
    chunks.push(result.value);
  }
}

/** Raw DEFLATE (RFC 1951, no zlib or gzip wrapper), as ZIP entries and share links store it. */
export async function deflateRaw(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return readAll(sliceStream(bytes, MAX_INPUT_CHUNK_BYTES).pipeThrough(new CompressionStream('deflate-raw')), Infinity);
}

/**
 * Inflates raw DEFLATE, giving up (InflateError 'too-large') as soon as the output passes
 * `maxBytes`, so a small hostile input can't fill memory. Damaged or truncated data is an
 * InflateError 'corrupt'.
 */
export async function inflateRaw(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const chunkBytes = Math.min(MAX_INPUT_CHUNK_BYTES, Math.max(MIN_INPUT_CHUNK_BYTES, Math.floor(maxBytes / MAX_DEFLATE_RATIO)));
  return readAll(sliceStream(bytes, chunkBytes).pipeThrough(new DecompressionStream('deflate-raw')), maxBytes);
}

// ---------------------------------------------------------------------------------------------
// Paths and timestamps.

/**
 * The path an entry may have inside an archive, or a ZipError saying why not. Backslashes become
 * slashes (Windows tools write them, and some unzips treat them as separators); "." and empty
 * segments are dropped; absolute paths, drive letters, ".." segments and NUL characters are
 * refused, since extracting them writes outside the target folder (the "Zip Slip" attack).
 */
export function normaliseZipPath(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  const problem = (why: string) => new ZipError(`zip entry "${path}": ${why}`);
  if (slashed.includes('\0')) throw problem('the path contains a NUL character');
  if (slashed.startsWith('/')) throw problem('absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(slashed)) throw problem('drive letters are not allowed');
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw problem('".." would leave the archive\'s folder');
  if (segments.length === 0) throw problem('the path is empty');
  return segments.join('/');
}

interface DosDateTime {
  date: number;
  time: number;
}

/** ZIP stores local wall-clock time at 2-second resolution; out-of-range dates are clamped. */
export function toDosDateTime(moment: Date): DosDateTime {
  const year = moment.getFullYear();
  if (Number.isNaN(year) || year < DOS_EPOCH_YEAR) return { date: (1 << 5) | 1, time: 0 };
  if (year > DOS_LAST_YEAR) return { date: ((DOS_LAST_YEAR - DOS_EPOCH_YEAR) << 9) | (12 << 5) | 31, time: (23 << 11) | (59 << 5) | 29 };
  return {
    date: ((year - DOS_EPOCH_YEAR) << 9) | ((moment.getMonth() + 1) << 5) | moment.getDate(),
    time: (moment.getHours() << 11) | (moment.getMinutes() << 5) | (moment.getSeconds() >> 1),
  };
}

export function fromDosDateTime({ date, time }: DosDateTime): Date {
  return new Date(
    DOS_EPOCH_YEAR + (date >> 9),
    ((date >> 5) & 0x0f) - 1,
    date & 0x1f,
    time >> 11,
    (time >> 5) & 0x3f,
    (time & 0x1f) * 2,
  );
}

// ---------------------------------------------------------------------------------------------
// Writing.

export interface ZipInputEntry {
  /** Slash-separated path inside the archive, e.g. "cat/001.jpg"; normalised by `normaliseZipPath`. */
  path: string;
  data: Uint8Array;
  /** Default: the time `createZip` was called. */
  modified?: Date;
}

export interface CreateZipOptions {
  /** DEFLATE the entries; an entry that doesn't get smaller (a JPEG, say) is stored instead. */
  compress: boolean;
}

interface PreparedEntry {
  name: Uint8Array;
  method: number;
  crc: number;
  size: number;
  body: Uint8Array;
  dos: DosDateTime;
  localOffset: number;
}

function tooBig(what: string): ZipError {
  return new ZipError(`${what}: ZIP64 is not supported, so archives are limited to ${MAX_ZIP_ENTRIES} entries and 4 GiB`);
}

export async function createZip(entries: readonly ZipInputEntry[], options: CreateZipOptions): Promise<Uint8Array<ArrayBuffer>> {
  if (entries.length > MAX_ZIP_ENTRIES) throw tooBig(`${entries.length} entries`);
  const encoder = new TextEncoder();
  const now = new Date();
  const seen = new Set<string>();
  const prepared: PreparedEntry[] = [];
  let offset = 0;

  for (const entry of entries) {
    if (/[/\\]$/.test(entry.path)) throw new ZipError(`zip entry "${entry.path}": directory entries are not written; a file's folders are implied by its path`);
    const path = normaliseZipPath(entry.path);
    if (seen.has(path)) throw new ZipError(`zip entry "${path}" appears twice`);
    seen.add(path);
    const name = encoder.encode(path);
    if (name.length > MAX_NAME_BYTES) throw new ZipError(`zip entry "${path.slice(0, 80)}…": the name is longer than ${MAX_NAME_BYTES} bytes`);
    if (entry.data.byteLength > MAX_ZIP_BYTES) throw tooBig(`zip entry "${path}" is ${entry.data.byteLength} bytes`);

    let method = METHOD_STORE;
    let body: Uint8Array = entry.data;
    if (options.compress && entry.data.length > 0) {
      const deflated = await deflateRaw(entry.data);
      if (deflated.length < entry.data.length) {
        method = METHOD_DEFLATE;
        body = deflated;
      }
    }
    prepared.push({ name, method, crc: crc32(entry.data), size: entry.data.length, body, dos: toDosDateTime(entry.modified ?? now), localOffset: offset });
    offset += LOCAL_HEADER_BYTES + name.length + body.length;
    if (offset > MAX_ZIP_BYTES) throw tooBig('the archive would pass 4 GiB');
  }

  const centralOffset = offset;
  const centralSize = prepared.reduce((sum, entry) => sum + CENTRAL_HEADER_BYTES + entry.name.length, 0);
  if (centralOffset + centralSize > MAX_ZIP_BYTES) throw tooBig('the archive would pass 4 GiB');
  const out = new Uint8Array(centralOffset + centralSize + END_OF_CENTRAL_DIRECTORY_BYTES);
  const view = new DataView(out.buffer);

  for (const entry of prepared) {
    let p = entry.localOffset;
    view.setUint32(p, LOCAL_HEADER_SIGNATURE, true);
    view.setUint16(p + 4, entry.method === METHOD_DEFLATE ? VERSION_DEFLATE : VERSION_STORE, true);
    view.setUint16(p + 6, FLAG_UTF8, true);
    view.setUint16(p + 8, entry.method, true);
    view.setUint16(p + 10, entry.dos.time, true);
    view.setUint16(p + 12, entry.dos.date, true);
    view.setUint32(p + 14, entry.crc, true);
    view.setUint32(p + 18, entry.body.length, true);
    view.setUint32(p + 22, entry.size, true);
    view.setUint16(p + 26, entry.name.length, true);
    view.setUint16(p + 28, 0, true); // no extra field
    p += LOCAL_HEADER_BYTES;
    out.set(entry.name, p);
    out.set(entry.body, p + entry.name.length);
  }

  let p = centralOffset;
  for (const entry of prepared) {
    view.setUint32(p, CENTRAL_HEADER_SIGNATURE, true);
    view.setUint16(p + 4, VERSION_MADE_BY, true);
    view.setUint16(p + 6, entry.method === METHOD_DEFLATE ? VERSION_DEFLATE : VERSION_STORE, true);
    view.setUint16(p + 8, FLAG_UTF8, true);
    view.setUint16(p + 10, entry.method, true);
    view.setUint16(p + 12, entry.dos.time, true);
    view.setUint16(p + 14, entry.dos.date, true);
    view.setUint32(p + 16, entry.crc, true);
    view.setUint32(p + 20, entry.body.length, true);
    view.setUint32(p + 24, entry.size, true);
    view.setUint16(p + 28, entry.name.length, true);
    // 30: extra length, 32: comment length, 34: disk, 36: internal attributes, all 0.
    view.setUint32(p + 38, UNIX_FILE_ATTRIBUTES, true);
    view.setUint32(p + 42, entry.localOffset, true);
    out.set(entry.name, p + CENTRAL_HEADER_BYTES);
    p += CENTRAL_HEADER_BYTES + entry.name.length;
  }

  view.setUint32(p, END_OF_CENTRAL_DIRECTORY_SIGNATURE, true);
  // 4: this disk, 6: disk with the central directory, both 0.
  view.setUint16(p + 8, prepared.length, true);
  view.setUint16(p + 10, prepared.length, true);
  view.setUint32(p + 12, centralSize, true);
  view.setUint32(p + 16, centralOffset, true);
  // 20: comment length 0.
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading.

export interface ZipEntry {
  /** Normalised path (see `normaliseZipPath`). */
  path: string;
  /** Uncompressed size as the archive declares it; `data()` checks it. */
  size: number;
  compressedSize: number;
  /** METHOD_STORE, METHOD_DEFLATE, or another method `data()` will refuse. */
  method: number;
  encrypted: boolean;
  crc32: number;
  modified: Date;
  /** The entry's bytes, inflated and checked against the declared size and CRC-32 (ZipError if not). */
  data(): Promise<Uint8Array<ArrayBuffer>>;
}

/** IBM code page 437, bytes 0x80–0xFF: what APPNOTE says names without the UTF-8 flag are in. */
const CP437_HIGH = 'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decodeName(raw: Uint8Array, utf8Flag: boolean): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    if (utf8Flag) throw new ZipError('a file name is flagged as UTF-8 but is not valid UTF-8');
    // Without the flag the name is formally CP437; most tools nowadays write UTF-8 anyway, so
    // UTF-8 is tried first and CP437 is the fallback when the bytes can't be UTF-8.
    return Array.from(raw, (byte) => (byte < 0x80 ? String.fromCharCode(byte) : (CP437_HIGH[byte - 0x80] as string))).join('');
  }
}

function findEndOfCentralDirectory(bytes: Uint8Array, view: DataView): number {
  const lowest = Math.max(0, bytes.length - MAX_END_RECORD_SEARCH_BYTES);
  for (let p = bytes.length - END_OF_CENTRAL_DIRECTORY_BYTES; p >= lowest; p--) {
    if (view.getUint32(p, true) !== END_OF_CENTRAL_DIRECTORY_SIGNATURE) continue;
    // A signature inside the comment of a real end record would leave too few bytes for its own comment.
    if (p + END_OF_CENTRAL_DIRECTORY_BYTES + view.getUint16(p + 20, true) <= bytes.length) return p;
  }
  throw new ZipError('not a ZIP archive (no end of central directory record)');
}

/**
 * Lists the files in an archive (directory entries are left out: their paths are implied by the
 * files'). Throws a ZipError for anything malformed, ZIP64, multi-disk, unsafe or duplicate
 * paths, or entries whose data overlap (a known zip-bomb construction). Data is only read and
 * inflated when an entry's `data()` is called; check `size` first to bound memory.
 */
export function readZip(bytes: Uint8Array): ZipEntry[] {
  if (bytes.length < END_OF_CENTRAL_DIRECTORY_BYTES) throw new ZipError('not a ZIP archive (too short)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = findEndOfCentralDirectory(bytes, view);
  const diskNumber = view.getUint16(end + 4, true);
  const centralDisk = view.getUint16(end + 6, true);
  const entriesOnDisk = view.getUint16(end + 8, true);
  const entryCount = view.getUint16(end + 10, true);
  const centralSize = view.getUint32(end + 12, true);
  const centralOffset = view.getUint32(end + 16, true);
  const zip64Locator = end >= 20 && view.getUint32(end - 20, true) === ZIP64_END_LOCATOR_SIGNATURE;
  if (zip64Locator || entryCount === 0xffff || centralSize === 0xffffffff || centralOffset === 0xffffffff)
    throw new ZipError('ZIP64 archives are not supported');
  if (diskNumber !== 0 || centralDisk !== 0 || entriesOnDisk !== entryCount) throw new ZipError('multi-disk (split) archives are not supported');
  if (centralOffset + centralSize > end) throw new ZipError('damaged archive: the central directory runs past its end record');

  const entries: (ZipEntry & { dataStart: number; localOffset: number })[] = [];
  const seen = new Set<string>();
  let p = centralOffset;
  for (let index = 0; index < entryCount; index++) {
    if (p + CENTRAL_HEADER_BYTES > centralOffset + centralSize || view.getUint32(p, true) !== CENTRAL_HEADER_SIGNATURE)
      throw new ZipError(`damaged archive: central directory entry ${index + 1} of ${entryCount} is missing`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const time = view.getUint16(p + 12, true);
    const date = view.getUint16(p + 14, true);
    const crc = view.getUint32(p + 16, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const localOffset = view.getUint32(p + 42, true);
    const next = p + CENTRAL_HEADER_BYTES + nameLength + extraLength + commentLength;
    if (next > centralOffset + centralSize) throw new ZipError(`damaged archive: central directory entry ${index + 1} runs past the directory`);
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff) throw new ZipError('ZIP64 archives are not supported');
    const rawName = decodeName(bytes.subarray(p + CENTRAL_HEADER_BYTES, p + CENTRAL_HEADER_BYTES + nameLength), (flags & FLAG_UTF8) !== 0);
    p = next;

    if (/[/\\]$/.test(rawName) && size === 0) {
      normaliseZipPath(rawName); // a hostile directory name is still a reason to refuse the archive
      continue;
    }
    const path = normaliseZipPath(rawName);
    if (seen.has(path)) throw new ZipError(`zip entry "${path}" appears twice`);
    seen.add(path);

    if (localOffset + LOCAL_HEADER_BYTES > centralOffset || view.getUint32(localOffset, true) !== LOCAL_HEADER_SIGNATURE)
      throw new ZipError(`damaged archive: the local header of "${path}" is missing`);
    const dataStart = localOffset + LOCAL_HEADER_BYTES + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    const dataEnd = dataStart + compressedSize;
    if (dataEnd > centralOffset) throw new ZipError(`damaged archive: the data of "${path}" runs past the central directory`);

    entries.push({
      path,
      size,
      compressedSize,
      method,
      encrypted: (flags & FLAG_ENCRYPTED) !== 0,
      crc32: crc,
      modified: fromDosDateTime({ date, time }),
      dataStart,
      localOffset,
      data: () => readEntryData(bytes, { path, method, flags, crc, size, dataStart, dataEnd }),
    });
  }

  const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  for (let i = 1; i < byOffset.length; i++) {
    const previous = byOffset[i - 1] as (typeof entries)[number];
    const current = byOffset[i] as (typeof entries)[number];
    if (previous.dataStart + previous.compressedSize > current.localOffset)
      throw new ZipError(`damaged or hostile archive: "${previous.path}" and "${current.path}" overlap`);
  }
  return entries.map(({ dataStart: _dataStart, localOffset: _localOffset, ...entry }) => entry);
}

interface EntryLocation {
  path: string;
  method: number;
  flags: number;
  crc: number;
  size: number;
  dataStart: number;
  dataEnd: number;
}

async function readEntryData(bytes: Uint8Array, entry: EntryLocation): Promise<Uint8Array<ArrayBuffer>> {
  const name = `zip entry "${entry.path}"`;
  if (entry.flags & FLAG_ENCRYPTED) throw new ZipError(`${name} is encrypted, which is not supported`);
  const body = bytes.subarray(entry.dataStart, entry.dataEnd);
  let data: Uint8Array<ArrayBuffer>;
  if (entry.method === METHOD_STORE) data = body.slice();
  else if (entry.method === METHOD_DEFLATE) {
    try {
      data = await inflateRaw(body, entry.size);
    } catch (error) {
      if (error instanceof InflateError) throw new ZipError(`${name}: ${error.reason === 'too-large' ? `larger than its declared ${entry.size} bytes` : error.message}`);
      throw error;
    }
  } else throw new ZipError(`${name} uses compression method ${entry.method}; only STORE (0) and DEFLATE (8) are supported`);
  if (data.length !== entry.size) throw new ZipError(`${name}: ${data.length} bytes instead of the declared ${entry.size}`);
  if (crc32(data) !== entry.crc) throw new ZipError(`${name}: CRC-32 mismatch, the data is damaged`);
  return data;
}
