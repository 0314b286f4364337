/**
 * The one check for "this file is too big to be what it claims": made on File.size before a byte
 * is read, so a mistaken pick (a video as a CSV, a disk image as a head file) can't freeze the tab
 * reading it, and said the same way everywhere it is made.
 */
import { formatBytes } from './format';

export class FileTooLargeError extends Error {
  constructor(
    readonly fileName: string,
    readonly bytes: number,
    readonly maxBytes: number,
    /** What the file was taken for, with its article: "a head file", "a Label Studio export". */
    readonly what: string,
  ) {
    super(`${fileName} is ${formatBytes(bytes)}, larger than ${what} may be (${formatBytes(maxBytes)}); it was not read.`);
    this.name = 'FileTooLargeError';
  }
}

/** Throws FileTooLargeError when the file is over `maxBytes`; reads nothing. */
export function refuseIfLarger(file: { readonly name: string; readonly size: number }, maxBytes: number, what: string): void {
  if (file.size > maxBytes) throw new FileTooLargeError(file.name, file.size, maxBytes, what);
}
