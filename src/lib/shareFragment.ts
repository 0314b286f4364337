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
 * Decoding treats the link as hostile: every step is bounded, every field is checked against
 * the schema below, and the answer is a list of readable problems instead of an exception.
 * Strings come back as data (text that looks like HTML markup is refused outright); the UI must
 * still render them as text.
 */
import { CALIBRATIONS, type Calibration } from './audioScoring';
import { MAX_LABELS } from './labels';
import { MAX_TEMPLATE_CHARS, isValidModelId, type TaskParam } from './urlState';
import { InflateError, deflateRaw, inflateRaw } from './compression';

export const SHARE_FRAGMENT_KEY = 'demo';
export const SHARE_STATE_VERSION = 1;
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

export interface SharedExample {
  name: string;
  mime: SharedExampleMime;
  bytes: Uint8Array;
}

export interface ShareState {
  v: 1;
  task: TaskParam;
  model: string;
  labels: string[];
  templates: string[];
  calibration?: Calibration;
  examples?: SharedExample[];
}

export type ShareResult<T> = { ok: true } & T | { ok: false; problems: string[] };

const TASKS: readonly TaskParam[] = ['image', 'audio'];
const STATE_FIELDS = ['v', 'task', 'model', 'labels', 'templates', 'calibration', 'examples'];
const EXAMPLE_FIELDS = ['name', 'mime', 'bytes'];
/** A hostile link could make thousands; the first few say what is wrong. */
const MAX_PROBLEMS = 20;
/** Field names from a link are shown in problems; a 10 KB key shouldn't be. */
const MAX_SHOWN_KEY_CHARS = 40;

// ---------------------------------------------------------------------------------------------
// base64url (RFC 4648 §5), no padding on output; padding is tolerated on input.

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const BASE64URL_VALUES = (() => {
  const values = new Int16Array(128).fill(-1);
  for (let i = 0; i < BASE64URL_ALPHABET.length; i++) values[BASE64URL_ALPHABET.charCodeAt(i)] = i;
  return values;
})();

export function toBase64Url(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const triple = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    parts.push(BASE64URL_ALPHABET[(triple >> 18) & 63] as string, BASE64URL_ALPHABET[(triple >> 12) & 63] as string);
    if (b !== undefined) parts.push(BASE64URL_ALPHABET[(triple >> 6) & 63] as string);
    if (c !== undefined) parts.push(BASE64URL_ALPHABET[triple & 63] as string);
  }
  return parts.join('');
}

/** The bytes, or a sentence saying why the text isn't base64url. */
export function fromBase64Url(text: string): { bytes: Uint8Array<ArrayBuffer> } | { problem: string } {
  const unpadded = text.replace(/={1,2}$/, '');
  if (unpadded.length % 4 === 1) return { problem: 'its length is impossible for base64url (cut short?)' };
  const out = new Uint8Array(Math.floor((unpadded.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < unpadded.length; i++) {
    const code = unpadded.charCodeAt(i);
    const value = code < 128 ? (BASE64URL_VALUES[code] as number) : -1;
    if (value < 0) return { problem: `character ${i + 1} is not base64url` };
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  return { bytes: out };
}

// ---------------------------------------------------------------------------------------------
// The schema, by hand.

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function shownKey(key: string): string {
  return key.length > MAX_SHOWN_KEY_CHARS ? `${key.slice(0, MAX_SHOWN_KEY_CHARS)}…` : key;
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function finish(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `…and ${problems.length - MAX_PROBLEMS} more problems`];
}

/**
 * Text that reads as an HTML tag, comment or declaration (`<img …`, `</x>`, `<!--`, `<?`). The UI
 * renders link text as text, so this is defence in depth: a label like that in a link someone
 * sends is far more likely an attack than a class name, and refusing it keeps it from reaching
 * any later consumer (an export opened in another tool, a copy pasted into a page). "a < b" and
 * "<3" stay fine.
 */
const MARKUP_PATTERN = /<[a-z!/?]/i;

export function looksLikeMarkup(text: string): boolean {
  return MARKUP_PATTERN.test(text);
}

/** Checks a list of strings; returns the copy when every item is fine. */
function checkStringList(
  value: unknown,
  field: string,
  limits: { minItems: number; maxItems: number; maxChars: number; allowEmpty: boolean },
  problems: string[],
): string[] | undefined {
  if (!Array.isArray(value)) {
    problems.push(`${field}: must be a list of text, not ${describeType(value)}`);
    return undefined;
  }
  if (value.length < limits.minItems) {
    problems.push(`${field}: at least ${limits.minItems} needed`);
    return undefined;
  }
  if (value.length > limits.maxItems) {
    problems.push(`${field}: more than ${limits.maxItems} items (${value.length})`);
    return undefined;
  }
  const before = problems.length;
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string') problems.push(`${field}[${i}]: must be text, not ${describeType(item)}`);
    else if (item.length > limits.maxChars) problems.push(`${field}[${i}]: longer than ${limits.maxChars} characters`);
    else if (!limits.allowEmpty && item.trim() === '') problems.push(`${field}[${i}]: empty`);
    else if (looksLikeMarkup(item)) problems.push(`${field}[${i}]: looks like HTML markup, which a demo link may not carry`);
  });
  return problems.length === before ? (value as string[]).slice() : undefined;
}

function checkUnknownFields(object: Json, allowed: readonly string[], prefix: string, problems: string[]): void {
  for (const key of Object.keys(object)) if (!allowed.includes(key)) problems.push(`${prefix}${shownKey(key)}: unknown field`);
}

function checkExample(value: unknown, field: string, problems: string[]): SharedExample | undefined {
  if (!isPlainObject(value)) {
    problems.push(`${field}: must be an object, not ${describeType(value)}`);
    return undefined;
  }
  const before = problems.length;
  checkUnknownFields(value, EXAMPLE_FIELDS, `${field}.`, problems);
  const { name, mime, bytes } = value;
  if (typeof name !== 'string') problems.push(`${field}.name: must be text, not ${describeType(name)}`);
  else if (name.trim() === '') problems.push(`${field}.name: empty`);
  else if (name.length > MAX_EXAMPLE_NAME_CHARS) problems.push(`${field}.name: longer than ${MAX_EXAMPLE_NAME_CHARS} characters`);
  else if (looksLikeMarkup(name)) problems.push(`${field}.name: looks like HTML markup, which a demo link may not carry`);
  if (typeof mime !== 'string' || !(SHARED_EXAMPLE_MIME_TYPES as readonly string[]).includes(mime)) problems.push(`${field}.mime: not allowed`);
  if (!(bytes instanceof Uint8Array)) problems.push(`${field}.bytes: must be bytes, not ${describeType(bytes)}`);
  else if (bytes.length > MAX_EXAMPLE_BYTES) problems.push(`${field}.bytes: larger than ${MAX_EXAMPLE_BYTES / 1024} KB`);
  if (problems.length !== before) return undefined;
  return { name: name as string, mime: mime as SharedExampleMime, bytes: (bytes as Uint8Array).slice() };
}

/**
 * Checks anything against the share schema. On success the state is a fresh copy holding only
 * the known fields, so nothing else from the input (extra keys, prototypes) comes along.
 */
export function validateShareState(value: unknown): ShareResult<{ state: ShareState }> {
  const checked = checkShareState(value);
  return checked.state ? { ok: true, state: checked.state } : { ok: false, problems: finish(checked.problems) };
}

/** validateShareState without the cap on problems, so the decoder can add its own first. */
function checkShareState(value: unknown): { state?: ShareState; problems: string[] } {
  if (!isPlainObject(value)) return { problems: [`the link holds ${describeType(value)}, not a demo`] };
  const problems: string[] = [];
  checkUnknownFields(value, STATE_FIELDS, '', problems);

  if (value.v !== SHARE_STATE_VERSION)
    problems.push(
      typeof value.v === 'number'
        ? `v: version ${value.v} is not one this app reads (it reads ${SHARE_STATE_VERSION}); the link may be from a newer version`
        : `v: must be the number ${SHARE_STATE_VERSION}, not ${describeType(value.v)}`,
    );
  const task = value.task;
  if (typeof task !== 'string' || !(TASKS as readonly string[]).includes(task)) problems.push('task: must be image or audio');
  const model = value.model;
  if (typeof model !== 'string' || !isValidModelId(model)) problems.push('model: not a model id of the form owner/name');
  const labels = checkStringList(value.labels, 'labels', { minItems: 1, maxItems: MAX_SHARED_LABELS, maxChars: MAX_SHARED_LABEL_CHARS, allowEmpty: false }, problems);
  const templates = checkStringList(
    value.templates,
    'templates',
    { minItems: 0, maxItems: MAX_SHARED_TEMPLATES, maxChars: MAX_SHARED_TEMPLATE_CHARS, allowEmpty: true },
    problems,
  );
  const calibration = value.calibration;
  if (calibration !== undefined && (typeof calibration !== 'string' || !(CALIBRATIONS as readonly string[]).includes(calibration)))
    problems.push(`calibration: must be one of ${CALIBRATIONS.join(', ')}`);

  let examples: SharedExample[] | undefined;
  if (value.examples !== undefined) {
    if (!Array.isArray(value.examples)) problems.push(`examples: must be a list, not ${describeType(value.examples)}`);
    else if (value.examples.length > MAX_SHARED_EXAMPLES) problems.push(`examples: more than ${MAX_SHARED_EXAMPLES} (${value.examples.length})`);
    else examples = value.examples.map((example: unknown, i) => checkExample(example, `examples[${i}]`, problems)).filter((e) => e !== undefined);
  }

  if (problems.length > 0 || !labels || !templates) return { problems };
  const state: ShareState = { v: SHARE_STATE_VERSION, task: task as TaskParam, model: model as string, labels, templates };
  if (calibration !== undefined) state.calibration = calibration as Calibration;
  if (examples !== undefined) state.examples = examples;
  return { state, problems };
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function buildContainer(state: ShareState): Uint8Array<ArrayBuffer> {
  const wire: Json = { v: state.v, task: state.task, model: state.model, labels: state.labels, templates: state.templates };
  if (state.calibration !== undefined) wire.calibration = state.calibration;
  if (state.examples !== undefined) wire.examples = state.examples.map(({ name, mime, bytes }) => ({ name, mime, size: bytes.length }));
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
    const checked = checkShareState(candidate);
    problems.push(...checked.problems);
    if (!checked.state || problems.length > 0) return fail(...finish(problems));
    return { ok: true, state: checked.state };
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
