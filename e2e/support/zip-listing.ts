/**
 * An independent, minimal ZIP central-directory reader for tests (the app's own reader is what is
 * under test): the end-of-central-directory record, then each central header's name and sizes.
 */
export interface ZipListingEntry {
  path: string;
  size: number;
  compressedSize: number;
  /** 0 STORE, 8 DEFLATE. */
  method: number;
}

export function listZip(bytes: Uint8Array): ZipListingEntry[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (view.getUint32(p, true) === 0x06054b50) {
      end = p;
      break;
    }
  }
  if (end < 0) throw new Error('no end of central directory record');
  const count = view.getUint16(end + 10, true);
  let p = view.getUint32(end + 16, true);
  const entries: ZipListingEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(p, true) !== 0x02014b50) throw new Error(`central header ${i} missing`);
    const method = view.getUint16(p + 10, true);
    const compressedSize = view.getUint32(p + 20, true);
    const size = view.getUint32(p + 24, true);
    const nameLength = view.getUint16(p + 28, true);
    const extraLength = view.getUint16(p + 30, true);
    const commentLength = view.getUint16(p + 32, true);
    const path = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLength));
    entries.push({ path, size, compressedSize, method });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}
