/**
 * A shareable demo packed into the URL fragment (`#demo=…`): task, model, labels, templates,
 * calibration and up to four small example files. The fragment never reaches a server, so the
 * examples stay between the people sharing the link.
 *
 * Wire format: base64url( deflate-raw( container ) ), where the container is
 *   byte 0       CONTAINER_VERSION (1)
 *   bytes 1..4   length of the JSON in bytes, unsigned big-endian
 *   JSON         UTF-8: the state, each example carrying `size` instead of its bytes
 *   bytes        the examples' bytes, back to back, in the order of `examples`
 *
 * Why the examples are a binary section and not base64 inside the JSON: the 256 KB limit on
 * what a link may unpack to then counts real bytes, so it holds a third more media; the link
 * is shorter (measured on a 44 KB WAV: 31.0k vs 33.2k characters; ~0.5% for already-compressed
 * media, where deflate recovers most of base64's overhead anyway); and the JSON is checked on
 * its own before any example bytes are touched.
 *
 * The state's own version (`v`) says which fields it may hold: 1 is the original demo, 2 adds
 * `live` (open straight into live mode). The encoder writes the lowest version that carries the
 * state, so a demo without live mode stays a version-1 link that copies of the app from before
 * live mode (a service worker keeps an installed copy for a while) still open; they refuse a
 * version-2 link saying it is from a newer version.
 *
 * Decoding treats the link as hostile: every step is bounded, every field is checked against
 * the schema below, and the answer is a list of readable problems instead of an exception.
 * Strings come back as data (text that looks like HTML markup is refused outright); the UI must
 * still render them as text.
 */
import * as v from 'valibot';
import { MAX_LABELS } from './labels';
import {
  calibrationSchema,
  capProblems,
  checkWith,
  describeType,
  isPlainObject,
  labelsSchema,
  list,
  modelIdSchema,
  notAnObject,
  record,
  taskSchema,
  templateSchema,
  text,
  type Json,
} from './schemas';
import { LIVE_SOURCES, MAX_TEMPLATE_CHARS, taskOfLiveSource, type LiveSource } from './urlState';
import { InflateError, deflateRaw, inflateRaw } from './compression';

export const SHARE_FRAGMENT_KEY = 'demo';
/** The newest state version this app reads and writes (see the header: 2 adds `live`). */
export const SHARE_STATE_VERSION = 2;
/** Every state version this app reads, oldest first. */
export const SHARE_STATE_VERSIONS = [1, 2] as const;
export type ShareStateVersion = (typeof SHARE_STATE_VERSIONS)[number];
/** The first state version that may carry `live`. */
const LIVE_SINCE_VERSION = 2;
const CONTAINER_VERSION = 1;
const CONTAINER_HEADER_BYTES = 5;

/** Shorter than the labels box allows (MAX_LABEL_CHARS): a link is for showing, not for prompt experiments. */
export const MAX_SHARED_LABEL_CHARS = 200;
export const MAX_SHARED_LABELS = MAX_LABELS;
export const MAX_SHARED_TEMPLATES = 8;
export const MAX_SHARED_TEMPLATE_CHARS = MAX_TEMPLATE_CHARS;
export const MAX_SHARED_EXAMPLES = 4;
export const MAX_EXAMPLE_NAME_CHARS = 200;
export const MAX_EXAMPLE_BYTES = 64 * 1024;
/** Everything a link unpacks to (header, JSON and examples); inflating stops as soon as it passes this. */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024;
/**
 * A link longer than this can't be one we made: deflate adds at most a few bytes per 64 KiB
 * block to incompressible data (1 KiB of headroom), and base64 turns 3 bytes into 4 characters.
 */
export const MAX_PAYLOAD_CHARS = Math.ceil(((MAX_DECOMPRESSED_BYTES + 1024) * 4) / 3);

export const SHARED_EXAMPLE_MIME_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
  'audio/wav',
  'audio/mpeg',
  'audio/ogg',
  'audio/webm',
  'audio/flac',
] as const;
export type SharedExampleMime = (typeof SHARED_EXAMPLE_MIME_TYPES)[number];

export type ShareResult<T> = { ok: true } & T | { ok: false; problems: string[] };

// ---------------------------------------------------------------------------------------------
// base64url (RFC 4648 §5), no padding on output; padding is tolerated on input.
//
// The platform does the work: `Uint8Array.prototype.toBase64` / `Uint8Array.fromBase64` where they
// exist (Chromium 140+, Firefox 133+, Safari 18.2+), `btoa` / `atob` elsewhere. The fallback stays
// because older browsers still open links, and Node 20 (the unit tests) has neither method. The
// alphabet is checked here first, so both paths accept exactly the same text and a bad link gets
// the position of its first bad character.

const NOT_BASE64URL = /[^A-Za-z0-9_-]/;
/** btoa/atob work on "binary strings"; 32 Ki code units per fromCharCode call stays under engines' argument limits. */
const BINARY_STRING_CHUNK_CHARS = 0x8000;

// The platform's base64 (Baseline 2025: Chromium 140, Firefox 133, Safari 18.2) is not in
// TypeScript 5.9's lib yet; typed optional here, since Node 20 and older browsers lack it.
interface PlatformToBase64 {
  toBase64?: (options: { alphabet: 'base64url'; omitPadding: boolean }) => string;
}
interface PlatformFromBase64 {
  fromBase64?: (text: string, options: { alphabet: 'base64url' }) => Uint8Array<ArrayBuffer>;
}
const Uint8ArrayWithBase64: Uint8ArrayConstructor & PlatformFromBase64 = Uint8Array;

export function toBase64Url(bytes: Uint8Array): string {
  const platform: Uint8Array & PlatformToBase64 = bytes;
  if (platform.toBase64) return platform.toBase64({ alphabet: 'base64url', omitPadding: true });
  let binary = '';
  for (let i = 0; i < bytes.length; i += BINARY_STRING_CHUNK_CHARS) binary += String.fromCharCode(...bytes.subarray(i, i + BINARY_STRING_CHUNK_CHARS));
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes, or a sentence saying why the text isn't base64url. */
export function fromBase64Url(text: string): { bytes: Uint8Array } | { problem: string } {
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length % 4 === 1) return { problem: 'its length is impossible for base64url (cut short?)' };
  const bad = unpadded.search(NOT_BASE64URL);
  if (bad >= 0) return { problem: `character ${bad + 1} is not base64url` };
  if (Uint8ArrayWithBase64.fromBase64) return { bytes: Uint8ArrayWithBase64.fromBase64(unpadded, { alphabet: 'base64url' }) };
  const binary = atob(unpadded.replace(/-/g, '+').replace(/_/g, '/'));
  return { bytes: Uint8Array.from(binary, (char) => char.charCodeAt(0)) };
}

// ---------------------------------------------------------------------------------------------
// The schema (building blocks shared with project files in ./schemas).

/** Named in markup problems: "looks like HTML markup, which a demo link may not carry". */
const CARRIER = 'a demo link';

const exampleSchema = record(
  {
    name: text({ maxChars: MAX_EXAMPLE_NAME_CHARS, refuseMarkupIn: CARRIER }),
    mime: v.picklist(SHARED_EXAMPLE_MIME_TYPES, 'not allowed'),
    bytes: v.pipe(
      v.instance(Uint8Array, (issue) => `must be bytes, not ${describeType(issue.input)}`),
      v.maxLength(MAX_EXAMPLE_BYTES, `larger than ${MAX_EXAMPLE_BYTES / 1024} KB`),
      // A copy: the state must not share memory with the link's buffer (or the caller's).
      v.transform((bytes): Uint8Array => bytes.slice()),
    ),
  },
  notAnObject,
);

/** Like schemas' `version`, for a field that may hold any of several versions. */
const stateVersionSchema = v.picklist(SHARE_STATE_VERSIONS, (issue) =>
  typeof issue.input === 'number'
    ? `version ${issue.input} is not one this app reads (it reads ${SHARE_STATE_VERSIONS.join(' and ')}); the link may be from a newer version`
    : `must be the number ${SHARE_STATE_VERSIONS.join(' or ')}, not ${describeType(issue.input)}`,
);

const shareStateFields = record(
  {
    v: stateVersionSchema,
    task: taskSchema,
    model: modelIdSchema,
    labels: labelsSchema({ minItems: 1, maxChars: MAX_SHARED_LABEL_CHARS, refuseMarkupIn: CARRIER }),
    templates: list(templateSchema({ maxChars: MAX_SHARED_TEMPLATE_CHARS, refuseMarkupIn: CARRIER }), {
      maxItems: MAX_SHARED_TEMPLATES,
      of: 'text',
      noun: 'items',
    }),
    calibration: v.optional(calibrationSchema),
    examples: v.optional(list(exampleSchema, { maxItems: MAX_SHARED_EXAMPLES })),
    live: v.optional(v.picklist(LIVE_SOURCES, `must be ${LIVE_SOURCES.join(' or ')}`)),
  },
  (input) => `the link holds ${describeType(input)}, not a demo`,
);

/** The fields together: live mode needs a version that has it, and belongs to one task. */
const shareStateSchema = v.pipe(
  shareStateFields,
  v.forward(
    v.check(
      (state) => state.live === undefined || state.v >= LIVE_SINCE_VERSION,
      (issue) => `needs a version ${LIVE_SINCE_VERSION} link, and this one says version ${issue.input.v}`,
    ),
    ['live'],
  ),
  v.forward(
    v.check(
      (state) => state.live === undefined || taskOfLiveSource(state.live) === state.task,
      (issue) => {
        const { live, task } = issue.input;
        return live === undefined ? 'not allowed' : `${live} belongs to the ${taskOfLiveSource(live)} task, and the demo is for the ${task} task`;
      },
    ),
    ['live'],
  ),
);

export type SharedExample = v.InferOutput<typeof exampleSchema>;
export type ShareState = v.InferOutput<typeof shareStateSchema>;

/** The lowest state version that carries this much: 2 with live mode, else 1 (see the header). */
export function shareStateVersionFor(live: LiveSource | undefined): ShareStateVersion {
  return live === undefined ? 1 : LIVE_SINCE_VERSION;
}

/**
 * Live mode once a demo is opened: the demo's own source, or none; a `?live=` of the link's query
 * is kept only when the demo didn't ask for another task (the demo wins over the query).
 */
export function liveRequestForDemo(state: ShareState, fromQuery: LiveSource | null): LiveSource | null {
  if (state.live !== undefined) return state.live;
  return fromQuery !== null && taskOfLiveSource(fromQuery) === state.task ? fromQuery : null;
}

/**
 * Checks anything against the share schema. On success the state is a fresh copy holding only
 * the known fields, so nothing else from the input (extra keys, prototypes) comes along.
 */
export function validateShareState(value: unknown): ShareResult<{ state: ShareState }> {
  const checked = checkWith(shareStateSchema, value);
  return checked.ok ? { ok: true, state: checked.value } : { ok: false, problems: capProblems(checked.problems) };
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function buildContainer(state: ShareState): Uint8Array<ArrayBuffer> {
  const wire: Json = { v: state.v, task: state.task, model: state.model, labels: state.labels, templates: state.templates };
  if (state.calibration !== undefined) wire.calibration = state.calibration;
  if (state.examples !== undefined) wire.examples = state.examples.map(({ name, mime, bytes }) => ({ name, mime, size: bytes.length }));
  if (state.live !== undefined) wire.live = state.live;
  const json = new TextEncoder().encode(JSON.stringify(wire));
  const exampleBytes = (state.examples ?? []).reduce((sum, example) => sum + example.bytes.length, 0);
  const out = new Uint8Array(CONTAINER_HEADER_BYTES + json.length + exampleBytes);
  out[0] = CONTAINER_VERSION;
  new DataView(out.buffer).setUint32(1, json.length, false);
  out.set(json, CONTAINER_HEADER_BYTES);
  let offset = CONTAINER_HEADER_BYTES + json.length;
  for (const example of state.examples ?? []) {
    out.set(example.bytes, offset);
    offset += example.bytes.length;
  }
  return out;
}

/**
 * The fragment (`#demo=…`) that reopens the app in this state, or the problems that would make
 * the app refuse it: the encoder holds itself to the decoder's rules.
 */
export async function encodeShareFragment(state: ShareState): Promise<ShareResult<{ fragment: string }>> {
  const checked = validateShareState(state);
  if (!checked.ok) return checked;
  const container = buildContainer(checked.state);
  if (container.length > MAX_DECOMPRESSED_BYTES)
    return { ok: false, problems: [`the demo is ${container.length} bytes, more than a link may carry (${MAX_DECOMPRESSED_BYTES}); drop an example`] };
  return { ok: true, fragment: `#${SHARE_FRAGMENT_KEY}=${toBase64Url(await deflateRaw(container))}` };
}

// ---------------------------------------------------------------------------------------------
// Decoding.

/** The payload after `demo=` in a fragment (with or without '#', among other `&` parameters). */
function payloadOf(fragment: string): string | undefined {
  const prefix = `${SHARE_FRAGMENT_KEY}=`;
  return fragment
    .replace(/^#/, '')
    .split('&')
    .find((part) => part.startsWith(prefix))
    ?.slice(prefix.length);
}

/**
 * Swaps each example's `size` for its slice of the binary section. Sizes that are not whole
 * numbers, too large, or don't add up to the bytes present are problems; anything else wrong
 * with `examples` is left for the schema check to describe.
 */
function attachExampleBytes(wire: Json, binary: Uint8Array, problems: string[]): Json {
  const examples = wire.examples;
  if (!Array.isArray(examples) || examples.length > MAX_SHARED_EXAMPLES) {
    if (binary.length > 0 && !Array.isArray(examples)) problems.push('examples: the link carries example data but lists no examples');
    return wire;
  }
  let offset = 0;
  // A bad size is reported here; the example gets no bytes so the schema check doesn't say it twice.
  const attached = examples.map((example: unknown, i) => {
    if (!isPlainObject(example)) return example;
    const { size, ...rest } = example;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      problems.push(`examples[${i}].size: not a byte count`);
      return { ...rest, bytes: new Uint8Array(0) };
    }
    if (size > MAX_EXAMPLE_BYTES) {
      problems.push(`examples[${i}].bytes: larger than ${MAX_EXAMPLE_BYTES / 1024} KB`);
      return { ...rest, bytes: new Uint8Array(0) };
    }
    const bytes = binary.subarray(offset, offset + size);
    offset += size;
    return { ...rest, bytes };
  });
  if (problems.length === 0 && offset !== binary.length)
    problems.push(`examples: the sizes add up to ${offset} bytes but the link carries ${binary.length} (damaged link?)`);
  return { ...wire, examples: attached };
}

/** Reads a fragment made by `encodeShareFragment`. Never throws; a bad link gives readable problems. */
export async function decodeShareFragment(fragment: string): Promise<ShareResult<{ state: ShareState }>> {
  const fail = (...problems: string[]) => ({ ok: false as const, problems });
  try {
    const payload = payloadOf(fragment);
    if (payload === undefined) return fail(`link: no "${SHARE_FRAGMENT_KEY}=" part`);
    if (payload.length > MAX_PAYLOAD_CHARS) return fail(`link: longer than any demo link (${payload.length} characters, at most ${MAX_PAYLOAD_CHARS})`);
    const decoded = fromBase64Url(payload);
    if ('problem' in decoded) return fail(`link: damaged, ${decoded.problem}`);

    let container: Uint8Array;
    try {
      container = await inflateRaw(decoded.bytes, MAX_DECOMPRESSED_BYTES);
    } catch (error) {
      if (error instanceof InflateError && error.reason === 'too-large') return fail(`link: unpacks to more than ${MAX_DECOMPRESSED_BYTES} bytes`);
      return fail('link: damaged or incomplete (it does not decompress)');
    }

    if (container.length < CONTAINER_HEADER_BYTES) return fail('link: damaged or incomplete (too short)');
    if (container[0] !== CONTAINER_VERSION)
      return fail((container[0] as number) > CONTAINER_VERSION ? 'link: made by a newer version of the app' : 'link: not a demo link');
    const jsonLength = new DataView(container.buffer, container.byteOffset, container.byteLength).getUint32(1, false);
    if (jsonLength > container.length - CONTAINER_HEADER_BYTES) return fail('link: damaged (the settings run past its end)');
    let wire: unknown;
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(container.subarray(CONTAINER_HEADER_BYTES, CONTAINER_HEADER_BYTES + jsonLength));
      wire = JSON.parse(text);
    } catch {
      return fail('link: damaged (the settings are not readable JSON)');
    }
    if (!isPlainObject(wire)) return fail(`link: holds ${describeType(wire)}, not a demo`);

    const problems: string[] = [];
    const candidate = attachExampleBytes(wire, container.subarray(CONTAINER_HEADER_BYTES + jsonLength), problems);
    const checked = checkWith(shareStateSchema, candidate);
    if (!checked.ok) problems.push(...checked.problems);
    if (!checked.ok || problems.length > 0) return fail(...capProblems(problems));
    return { ok: true, state: checked.value };
  } catch (error) {
    // Nothing above should throw; this keeps the promise of "never throws" if something does.
    return fail(`link: could not be read (${error instanceof Error ? error.message : 'unknown error'})`);
  }
}

// ---------------------------------------------------------------------------------------------
// Link length.

export interface LinkLengthLimit {
  /** Where a longer link breaks, as the UI would name it. */
  where: string;
  maxChars: number;
  /** True where the number is reported rather than documented. */
  approximate: boolean;
}

/** Below this a link works everywhere; the usual "safe URL length" advice. */
export const SAFE_LINK_CHARS = 2_000;

/** Ordered shortest first. */
export const LINK_LENGTH_LIMITS: readonly LinkLengthLimit[] = [
  // Internet Explorer's 2,083-character URL limit (Microsoft KB 208427) is where the common
  // "keep URLs under 2,000 characters" advice comes from; proxies, CDNs and some web forms still cut there.
  { where: 'older browsers, proxies and some web forms', maxChars: SAFE_LINK_CHARS, approximate: true },
  // Discord: message content is limited to 2,000 characters (4,000 with Nitro), per its API docs.
  { where: 'Discord', maxChars: 2_000, approximate: false },
  // Slack asks clients to keep messages under 4,000 characters (RTM API docs) and its API
  // truncates text past 40,000 (changelog, April 2018); the client behaviour is approximate.
  { where: 'Slack', maxChars: 4_000, approximate: true },
  // Telegram: 4,096 characters per message (Bot API sendMessage).
  { where: 'Telegram', maxChars: 4_096, approximate: false },
  // Microsoft Teams: "approximately 28 KB" per message including formatting
  // ("Limits and specifications for Microsoft Teams").
  { where: 'Microsoft Teams', maxChars: 28_000, approximate: true },
  // WhatsApp: 65,536 characters per message is widely reported, not documented.
  { where: 'WhatsApp', maxChars: 65_536, approximate: true },
  // Chromium refuses URLs over 2 MiB (url::kMaxURLChars); other browsers allow at least that much in practice.
  { where: 'Chrome and Edge', maxChars: 2 * 1024 * 1024, approximate: false },
];

export interface LinkLengthWarning {
  /** The limits this link is over, shortest first. */
  tooLongFor: LinkLengthLimit[];
  message: string;
}

function formatLimit(limit: LinkLengthLimit): string {
  return `${limit.where} (${limit.approximate ? 'about ' : ''}${limit.maxChars.toLocaleString('en-US')})`;
}

/** Null for a link short enough to paste anywhere; otherwise which places it's too long for. */
export function linkLengthWarning(length: number): LinkLengthWarning | null {
  const tooLongFor = LINK_LENGTH_LIMITS.filter((limit) => length > limit.maxChars);
  if (tooLongFor.length === 0) return null;
  return {
    tooLongFor,
    message: `This link is ${length.toLocaleString('en-US')} characters, too long for ${tooLongFor.map(formatLimit).join(', ')}. Fewer or smaller examples make it shorter.`,
  };
}
