/** What the writer (lib/archive) and the reader (lib/unzip) agree on: the records' signatures and sizes, and what a path inside a ZIP may be. */

import { hasControlChars } from './schemas';

// APPNOTE.TXT 4.3: the end-of-central-directory records both sides write or look for.
export const END_RECORD_SIGNATURE = 0x06054b50;
export const ZIP64_END_RECORD_SIGNATURE = 0x06064b50;
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
export const END_RECORD_BYTES = 22;
export const ZIP64_END_RECORD_BYTES = 56;
export const ZIP64_LOCATOR_BYTES = 20;

export class ZipError extends Error {
  override name = 'ZipError';
}

/**
 * The path an entry may have inside an archive, or a ZipError saying why not. Backslashes become
 * slashes (Windows tools write them, and some unzips treat them as separators); "." and empty
 * segments are dropped; absolute paths, drive letters, ".." segments and control characters are
 * refused, since extracting them writes outside the target folder (the "Zip Slip" attack) or
 * under a name that is not the one shown.
 */
export function normaliseZipPath(path: string): string {
  const slashed = path.replace(/\\/g, '/');
  const problem = (why: string) => new ZipError(`zip entry "${path}": ${why}`);
  if (slashed.includes('\0')) throw problem('the path contains a NUL character');
  // A name holding control characters would show (or extract) as something else.
  if (hasControlChars(slashed)) throw problem('the path contains control characters');
  if (slashed.startsWith('/')) throw problem('absolute paths are not allowed');
  if (/^[A-Za-z]:/.test(slashed)) throw problem('drive letters are not allowed');
  const segments = slashed.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) throw problem('".." would leave the archive\'s folder');
  if (segments.length === 0) throw problem('the path is empty');
  return segments.join('/');
}
