/**
 * Raw DEFLATE (RFC 1951, no zlib or gzip wrapper) both ways, through fflate: share links carry
 * it, and it is the method ZIP entries use. Inflating is capped, so a small hostile input can't
 * fill memory. Both functions are async so callers don't depend on where the work runs.
 */
import { Inflate, deflateSync } from 'fflate';

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

/** Deflate expands at most ~1032:1, so one input slice can't inflate past ~1 KiB per input byte. */
const MAX_DEFLATE_RATIO = 1032;
const MIN_INPUT_SLICE_BYTES = 1024;
const MAX_INPUT_SLICE_BYTES = 64 * 1024;
/** fflate's default; 6 is zlib's too, so links stay the length they were with the platform's deflate. */
const DEFLATE_LEVEL = 6;

/** Synchronous inside; a promise so that callers (and a failure) work as they did with the platform's streams. */
export function deflateRaw(bytes: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve) => resolve(deflateSync(bytes, { level: DEFLATE_LEVEL })));
}

/**
 * A streaming inflater that counts what it produces and stops (InflateError 'too-large') as
 * soon as the output passes `maxBytes`. Feed it with `push`, then call `result`.
 */
export class CappedInflater {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;
  private overrun = false;
  private readonly inflate: Inflate;
  /** Input is fed in slices this big, so a bomb is caught within ~MAX_DEFLATE_RATIO × slice bytes. */
  readonly sliceBytes: number;

  constructor(readonly maxBytes: number) {
    this.sliceBytes = Math.min(MAX_INPUT_SLICE_BYTES, Math.max(MIN_INPUT_SLICE_BYTES, Math.floor(maxBytes / MAX_DEFLATE_RATIO)));
    this.inflate = new Inflate((chunk) => {
      this.total += chunk.length;
      if (this.total > maxBytes) this.overrun = true;
      else this.chunks.push(chunk);
    });
  }

  private received = 0;

  push(bytes: Uint8Array, final: boolean): void {
    this.received += bytes.length;
    // fflate takes no input at all as an empty stream; a deflate stream has at least its final block.
    if (final && this.received === 0) throw new InflateError('not valid deflate data (no data)', 'corrupt');
    if (bytes.length === 0) return this.feed(bytes, final);
    for (let offset = 0; offset < bytes.length; offset += this.sliceBytes) {
      const end = Math.min(bytes.length, offset + this.sliceBytes);
      this.feed(bytes.subarray(offset, end), final && end === bytes.length);
    }
  }

  private feed(slice: Uint8Array, final: boolean): void {
    try {
      this.inflate.push(slice, final);
    } catch (error) {
      throw new InflateError(`not valid deflate data (${error instanceof Error ? error.message : String(error)})`, 'corrupt');
    }
    if (this.overrun) throw new InflateError(`inflates to more than ${this.maxBytes} bytes`, 'too-large');
  }

  /** The inflated bytes, in one buffer. */
  result(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  }
}

/**
 * Inflates raw DEFLATE, giving up (InflateError 'too-large') as soon as the output passes
 * `maxBytes`. Damaged or truncated data is an InflateError 'corrupt'.
 */
export function inflateRaw(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  return new Promise((resolve) => {
    const inflater = new CappedInflater(maxBytes);
    inflater.push(bytes, true);
    resolve(inflater.result());
  });
}
