/**
 * A demo-link encoder written apart from the app's (src/lib/shareFragment.ts), from the container
 * format documented there, with Node's zlib and Buffer's base64url: links built here check the
 * app's decoder against someone else's encoder, and can carry anything a hostile link might.
 *
 *   byte 0       container version (1)
 *   bytes 1..4   length of the JSON in bytes, unsigned big-endian
 *   JSON         UTF-8: the state, each example carrying `size` instead of its bytes
 *   bytes        the examples' bytes, back to back, in the order of `examples`
 *
 * then deflate-raw, then base64url without padding, after `#demo=`.
 */
import { deflateRawSync, inflateRawSync } from 'node:zlib';

const HEADER_BYTES = 5;

/** The fragment (`#demo=…`) for any bytes at all, container or not: deflated and base64url-encoded. */
export function packRawFragment(bytes: Uint8Array): string {
  return `#demo=${deflateRawSync(bytes).toString('base64url')}`;
}

/** The fragment (`#demo=…`) for any JSON and binary section. */
export function packShareFragment(wire: unknown, binary: Uint8Array = new Uint8Array(0), containerVersion = 1): string {
  const json = Buffer.from(JSON.stringify(wire), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt8(containerVersion, 0);
  header.writeUInt32BE(json.length, 1);
  return packRawFragment(Buffer.concat([header, json, binary]));
}

export interface WireExample {
  name: string;
  mime: string;
  bytes: Uint8Array;
}

/** A well-formed link: the examples' bytes go in the binary section, their sizes in the JSON. */
export function packShareState(state: Record<string, unknown>, examples: readonly WireExample[] = []): string {
  const wire = examples.length > 0 ? { ...state, examples: examples.map(({ name, mime, bytes }) => ({ name, mime, size: bytes.length })) } : state;
  return packShareFragment(wire, Buffer.concat(examples.map((example) => example.bytes)));
}

/** Reads a fragment back with Node alone: the JSON and the binary section, for checking the app's encoder. */
export function unpackShareFragment(fragment: string): { containerVersion: number; wire: unknown; binary: Buffer } {
  const payload = fragment.replace(/^#?demo=/, '');
  const container = inflateRawSync(Buffer.from(payload, 'base64url'));
  const jsonLength = container.readUInt32BE(1);
  return {
    containerVersion: container.readUInt8(0),
    wire: JSON.parse(container.subarray(HEADER_BYTES, HEADER_BYTES + jsonLength).toString('utf8')),
    binary: container.subarray(HEADER_BYTES + jsonLength),
  };
}
