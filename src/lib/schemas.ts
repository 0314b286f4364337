/**
 * The pieces every check of untrusted data is built from (share links, project files, imported
 * ground truth, the settings in localStorage), in valibot, so that the same field is held to the
 * same rules and described in the same words wherever it comes from.
 *
 * Problems are readable sentences that start with the field's path (`items[3].decision: must be
 * one of …`). Each schema's message is the part after the path; `checkWith` adds the path, puts
 * each object's unknown fields first and leaves the capping to `capProblems`.
 */
import * as v from 'valibot';
import { CALIBRATIONS } from './audioScoring';
import { MAX_LABELS } from './labels';
import { TASKS } from './tasks';
import { MAX_TEMPLATE_CHARS, isValidModelId } from './urlState';

/** A hostile file or link could make thousands; the first few say what is wrong. */
export const MAX_PROBLEMS = 20;
/** An item's path as a folder drop gives it, wherever one is read back (project files, truth tables). */
export const MAX_ITEM_PATH_CHARS = 1_024;
/** Field names from outside are shown in problems; a 10 KB key shouldn't be. */
const MAX_SHOWN_KEY_CHARS = 40;

export type Json = Record<string, unknown>;

/** An object with fields: not null, a list, or bytes (which are objects to `typeof`). */
export function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

export function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Text that reads as an HTML tag, comment or declaration (`<img …`, `</x>`, `<!--`, `<?`). The UI
 * renders outside text as text, so refusing it is defence in depth: a label like that in a link
 * someone sends is far more likely an attack than a class name, and refusing it keeps it from
 * reaching any later consumer (an export opened in another tool, a copy pasted into a page).
 * "a < b" and "<3" stay fine.
 */
const MARKUP_PATTERN = /<[a-z!/?]/i;

export function looksLikeMarkup(text: string): boolean {
  return MARKUP_PATTERN.test(text);
}

/** C0 and C1 controls and DEL (Unicode's Cc): nothing a file name or a label typed by a person contains. */
const CONTROL_CHARS = /\p{Cc}/u;

export function hasControlChars(text: string): boolean {
  return CONTROL_CHARS.test(text);
}

// ---------------------------------------------------------------------------------------------
// Building blocks.

export interface TextRules {
  maxChars: number;
  /** Blank (or whitespace-only) text is allowed: templates and transcripts may be empty. */
  allowEmpty?: boolean;
  /** Refuse markup, naming the carrier in the problem ("a demo link"). */
  refuseMarkupIn?: string;
  refuseControlChars?: boolean;
}

/**
 * One problem per field, the first rule it breaks. The content rules are one check (its message
 * names the rule that failed) rather than one step each: labels are checked millions of times
 * in a large project file, and every pipe step costs.
 */
export function text(rules: TextRules) {
  const contentRules: [(value: string) => boolean, string][] = [];
  if (rules.allowEmpty !== true) contentRules.push([(value) => value.trim() !== '', 'empty']);
  if (rules.refuseControlChars === true) contentRules.push([(value) => !hasControlChars(value), 'contains control characters']);
  if (rules.refuseMarkupIn !== undefined)
    contentRules.push([(value) => !looksLikeMarkup(value), `looks like HTML markup, which ${rules.refuseMarkupIn} may not carry`]);
  return v.pipe(
    v.string((issue) => `must be text, not ${describeType(issue.input)}`),
    v.maxLength(rules.maxChars, `longer than ${rules.maxChars} characters`),
    v.check(
      (value) => contentRules.every(([holds]) => holds(value)),
      (issue) => contentRules.find(([holds]) => !holds(issue.input))?.[1] ?? 'not allowed',
    ),
  );
}

export interface ListRules {
  minItems?: number;
  maxItems: number;
  /** Named in the "not a list" problem: `must be a list of text, not a string`. */
  of?: string;
  /** Named in the "too many" problem: `more than 256 items (257)`. */
  noun?: string;
}

/**
 * A list whose length is checked before any of its items, so a list of a million bad values is
 * one problem and costs one comparison.
 */
export function list<TItem extends v.GenericSchema>(item: TItem, rules: ListRules) {
  const minItems = rules.minItems ?? 0;
  return v.pipe(
    v.array(v.unknown(), (issue) => `must be a list${rules.of ? ` of ${rules.of}` : ''}, not ${describeType(issue.input)}`),
    v.minLength(minItems, `at least ${minItems} needed`),
    v.maxLength(rules.maxItems, (issue) => `more than ${rules.maxItems}${rules.noun ? ` ${rules.noun}` : ''} (${issue.input.length})`),
    v.array(item),
  );
}

export const UNKNOWN_FIELD = 'unknown field';
/** Keys valibot never copies into its output, so it doesn't report them either: we do. */
const NEVER_COPIED_KEYS = ['__proto__', 'prototype', 'constructor'];

function neverCopiedKeysOf(value: Json): string[] {
  return NEVER_COPIED_KEYS.filter((key) => Object.hasOwn(value, key));
}

/**
 * An object with exactly these fields: every unknown field is a problem (valibot's strictObject
 * names only the first), a missing field is described as its own schema describes nothing ("must
 * be text, not nothing"), and the output is a fresh object holding only the known fields.
 *
 * Two pipe steps per object, as a project file holds millions of these (each step costs about as
 * much as the object check itself).
 */
export function record<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
  notObject: (input: unknown) => string,
): v.GenericSchema<Json, v.InferOutput<v.ObjectSchema<TEntries, undefined>>> {
  const missing = new Map<string, string>();
  for (const [key, schema] of Object.entries(entries)) {
    const result = v.safeParse(schema, undefined, { abortPipeEarly: true });
    if (!result.success) missing.set(key, problemsOf(result.issues)[0] ?? 'missing');
  }
  return v.pipe(
    v.custom<Json>(
      (input) => isPlainObject(input) && neverCopiedKeysOf(input).length === 0,
      (issue) => {
        // An object with those keys is hostile: one problem for it, without checking the rest.
        const keys = isPlainObject(issue.input) ? neverCopiedKeysOf(issue.input) : [];
        return keys.length > 0 ? `${UNKNOWN_FIELD}${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` : notObject(issue.input);
      },
    ),
    // The object's own message is only ever asked for a missing field (custom lets only objects through).
    v.objectWithRest(entries, v.never(UNKNOWN_FIELD), (issue) => {
      const key = issue.path?.[0]?.key;
      return (typeof key === 'string' ? missing.get(key) : undefined) ?? notObject(issue.input);
    }),
  );
}

export function notAnObject(input: unknown): string {
  return `must be an object, not ${describeType(input)}`;
}

// ---------------------------------------------------------------------------------------------
// Fields that share links, project files and the settings have in common.

/**
 * The version field. `name` is put before the number where the key alone doesn't say it is a
 * version (a share link's `v`), so the problem reads "v: version 2 is not…".
 */
export function version<const TVersion extends number>(current: TVersion, source: string, name = '') {
  return v.literal(current, (issue) =>
    typeof issue.input === 'number'
      ? `${name}${issue.input} is not one this app reads (it reads ${current}); ${source} may be from a newer version`
      : `must be the number ${current}, not ${describeType(issue.input)}`,
  );
}

export const taskSchema = v.picklist(TASKS, 'must be image or audio');

const MODEL_ID_PROBLEM = 'not a model id of the form owner/name';
export const modelIdSchema = v.pipe(v.string(MODEL_ID_PROBLEM), v.check(isValidModelId, MODEL_ID_PROBLEM));

export const calibrationSchema = v.picklist(CALIBRATIONS, `must be one of ${CALIBRATIONS.join(', ')}`);

/** A prompt template; empty is allowed (the label alone is the prompt). */
export function templateSchema(rules: { maxChars?: number; refuseMarkupIn?: string } = {}) {
  return text({ maxChars: rules.maxChars ?? MAX_TEMPLATE_CHARS, allowEmpty: true, ...(rules.refuseMarkupIn ? { refuseMarkupIn: rules.refuseMarkupIn } : {}) });
}

/** A list of class labels: at most MAX_LABELS, none blank. */
export function labelsSchema(rules: { minItems: number; maxChars: number; refuseMarkupIn?: string }) {
  return list(text({ maxChars: rules.maxChars, ...(rules.refuseMarkupIn ? { refuseMarkupIn: rules.refuseMarkupIn } : {}) }), {
    minItems: rules.minItems,
    maxItems: MAX_LABELS,
    of: 'text',
    noun: 'items',
  });
}

// ---------------------------------------------------------------------------------------------
// Running a schema and describing its problems.

function shownKey(key: unknown): string {
  const name = String(key);
  return name.length > MAX_SHOWN_KEY_CHARS ? `${name.slice(0, MAX_SHOWN_KEY_CHARS)}…` : name;
}

/** `items[3].media.path`: dots between field names, brackets around list positions. */
export function pathOf(path: readonly v.IssuePathItem[] | undefined): string {
  return (path ?? []).map((item, i) => (typeof item.key === 'number' ? `[${item.key}]` : `${i === 0 ? '' : '.'}${shownKey(item.key)}`)).join('');
}

/**
 * Issues in reading order, except that each object's unknown fields come before its other
 * problems (valibot checks the known fields first): "this isn't the file you think" is the
 * first thing to read. Within that, problems keep the order of their fields.
 */
function readingOrder(issues: readonly v.BaseIssue<unknown>[]): v.BaseIssue<unknown>[] {
  const firstSeen = new Map<string, number>();
  const keys = issues.map((issue, index) => {
    const path = issue.path ?? [];
    let prefix = '';
    return path.map((item, depth) => {
      prefix += `\u0000${String(item.key)}`;
      if (!firstSeen.has(prefix)) firstSeen.set(prefix, index);
      const unknownField = depth === path.length - 1 && issue.type === 'never';
      return [unknownField ? 0 : 1, firstSeen.get(prefix) ?? index];
    });
  });
  const compare = (a: number, b: number): number => {
    const ka = keys[a] ?? [];
    const kb = keys[b] ?? [];
    for (let depth = 0; depth < Math.min(ka.length, kb.length); depth++) {
      const [rankA = 0, groupA = 0] = ka[depth] ?? [];
      const [rankB = 0, groupB = 0] = kb[depth] ?? [];
      if (rankA !== rankB) return rankA - rankB;
      if (groupA !== groupB) return groupA - groupB;
    }
    return ka.length - kb.length || a - b;
  };
  return issues
    .map((_, index) => index)
    .sort(compare)
    .flatMap((index) => issues[index] ?? []);
}

export function problemsOf(issues: readonly v.BaseIssue<unknown>[]): string[] {
  return readingOrder(issues).map((issue) => {
    const path = pathOf(issue.path);
    return path ? `${path}: ${issue.message}` : issue.message;
  });
}

export function capProblems(problems: readonly string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return [...problems];
  return [...problems.slice(0, MAX_PROBLEMS), `…and ${problems.length - MAX_PROBLEMS} more problems`];
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: string[] };

/**
 * Runs a schema, stopping each field at its first problem (`abortPipeEarly`), and gives the
 * output or every problem in reading order (uncapped, so a caller can put its own first).
 */
export function checkWith<TSchema extends v.GenericSchema>(schema: TSchema, input: unknown): Checked<v.InferOutput<TSchema>> {
  const result = v.safeParse(schema, input, { abortPipeEarly: true });
  return result.success ? { ok: true, value: result.output } : { ok: false, problems: problemsOf(result.issues) };
}
