/** What a path inside a ZIP may be, for the writer (lib/archive) and the reader (lib/unzip) alike. */

import { hasControlChars } from './schemas';

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
