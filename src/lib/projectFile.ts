/**
 * The project file: a ZIP holding one workspace (one task) so it can be moved, archived, or
 * handed to someone else, and imported back into the same workspace.
 *
 *   project.json        settings, labels and every item (path, name, truth, decision, final
 *                       label, predictions; audio raw scores and transcript), see ProjectManifest
 *   media/<n>-<name>    each item's original bytes, when the media were included
 *
 * Reading treats the file as hostile, like a share link: the manifest is size-bounded, checked
 * field by field against the schema below, and anything wrong comes back as readable problems
 * instead of an exception. Nothing from the file is trusted until the whole of it checks out.
 */
import { CALIBRATIONS, TOKEN_AGGREGATIONS, type Calibration, type TokenAggregation } from './audioScoring';
import { safeFileName, type ReviewDecision } from './exportRows';
import { MAX_LABEL_CHARS, MAX_LABELS } from './labels';
import { REVIEW_DECISIONS } from './review';
import type { RankedLabel } from './scoring';
import { MAX_TEMPLATE_CHARS, isValidModelId, type TaskParam } from './urlState';
import type { ArchiveEntry } from './archive';
import { ZipError, readZipDirectory, readZipEntry } from './unzip';
import { normaliseZipPath } from './zipPaths';

export const PROJECT_FORMAT = 'zero-shot-playground/project';
export const PROJECT_VERSION = 1;
export const PROJECT_MANIFEST_PATH = 'project.json';
export const PROJECT_MEDIA_FOLDER = 'media';

/** Larger files are refused before they are read into memory. */
export const MAX_PROJECT_FILE_BYTES = 1024 * 1024 * 1024;
/** The manifest of 20,000 items with 256 scores each is about 40 MB of JSON. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
export const MAX_PROJECT_ITEMS = 20_000;
export const MAX_MEDIA_ENTRY_BYTES = 256 * 1024 * 1024;
/**
 * What the entries read from one file may add up to, as their headers declare it (checked before
 * anything is inflated). The app stores media uncompressed, so its own files unpack to about
 * their size; the manifest may be deflated by another tool.
 */
export const MAX_PROJECT_UNPACKED_BYTES = MAX_PROJECT_FILE_BYTES + MAX_MANIFEST_BYTES;
/** The manifest and one entry per item, with room for a re-zip that adds one `__MACOSX/._x` per file. */
export const MAX_PROJECT_ENTRIES = 2 * (MAX_PROJECT_ITEMS + 1);
export const MAX_ITEM_PATH_CHARS = 1_024;
export const MAX_LABELS_TEXT_CHARS = MAX_LABELS * (MAX_LABEL_CHARS + 1);
export const MAX_TRANSCRIPT_CHARS = 20_000;
export const MAX_MIME_CHARS = 100;
/** A hostile file could produce thousands; the first few say what is wrong. */
const MAX_PROBLEMS = 20;

export interface ProjectSettings {
  modelId: string;
  labelsText: string;
  template: string;
  calibration: Calibration;
  aggregation: TokenAggregation;
}

export interface ProjectMediaRef {
  /** The entry inside the ZIP, always under `media/`. */
  path: string;
  mime: string;
}

export interface ProjectItem {
  path: string;
  name: string;
  truth: string | null;
  decision: ReviewDecision;
  finalLabel: string | null;
  predictions: RankedLabel[];
  /** Audio only: the worker's raw per-prompt scores and Whisper's transcript. */
  rawScores?: number[];
  transcript?: string;
  media?: ProjectMediaRef;
}

export interface ProjectManifest {
  format: typeof PROJECT_FORMAT;
  version: typeof PROJECT_VERSION;
  task: TaskParam;
  settings: ProjectSettings;
  /** The labels the settings give, for readers that don't parse `labelsText`. */
  labels: string[];
  items: ProjectItem[];
}

/** An item as the app hands it over for writing: the media, if any, as the Blob IndexedDB gave. */
export interface ProjectItemInput extends Omit<ProjectItem, 'media'> {
  media?: { blob: Blob; mime: string };
}

export interface ProjectInput {
  task: TaskParam;
  settings: ProjectSettings;
  labels: readonly string[];
  items: readonly ProjectItemInput[];
}

export interface ParsedProject {
  manifest: ProjectManifest;
  /** Media bytes by entry path (`media/…`), for the items that have media. */
  media: Map<string, Uint8Array<ArrayBuffer>>;
}

export type ProjectResult = { ok: true; project: ParsedProject } | { ok: false; problems: string[] };

// ---------------------------------------------------------------------------------------------
// Writing.

function mediaPath(index: number, name: string): string {
  return `${PROJECT_MEDIA_FOLDER}/${String(index + 1).padStart(5, '0')}-${safeFileName(name)}`;
}

/** The manifest for these items, with media entry paths assigned (numbered, so names never clash). */
export function buildProjectManifest(input: ProjectInput): ProjectManifest {
  return {
    format: PROJECT_FORMAT,
    version: PROJECT_VERSION,
    task: input.task,
    settings: { ...input.settings },
    labels: [...input.labels],
    items: input.items.map((item, index) => {
      const { media, ...rest } = item;
      const out: ProjectItem = { ...rest, predictions: item.predictions.map(({ label, score }) => ({ label, score })) };
      if (item.rawScores) out.rawScores = [...item.rawScores];
      if (media) out.media = { path: mediaPath(index, item.name), mime: media.mime };
      return out;
    }),
  };
}

/** The project ZIP's entries: the manifest first, then each item's media Blob under `media/`. */
export function projectFileEntries(input: ProjectInput): ArchiveEntry[] {
  const manifest = buildProjectManifest(input);
  const entries: ArchiveEntry[] = [{ path: PROJECT_MANIFEST_PATH, data: new Blob([`${JSON.stringify(manifest, null, 1)}\n`], { type: 'application/json' }) }];
  input.items.forEach((item, index) => {
    const ref = manifest.items[index]?.media;
    if (item.media && ref) entries.push({ path: ref.path, data: item.media.blob });
  });
  return entries;
}

/** Turns archive entries into the archive's byte stream: lib/archive's `zipStream`, or the archive worker's. */
export type ArchiveWriter = (entries: readonly ArchiveEntry[]) => ReadableStream<Uint8Array>;

/**
 * The project file as a byte stream, every entry STORED: media are already compressed, and the
 * manifest stays readable with any unzip. `write` decides where the ZIP is made (the app passes
 * the archive worker's, so CRCs are computed off the main thread).
 */
export function writeProjectFile(input: ProjectInput, write: ArchiveWriter): ReadableStream<Uint8Array> {
  return write(projectFileEntries(input));
}

// ---------------------------------------------------------------------------------------------
// The schema, by hand.

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function oneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

const MANIFEST_FIELDS = ['format', 'version', 'task', 'settings', 'labels', 'items'];
const SETTINGS_FIELDS = ['modelId', 'labelsText', 'template', 'calibration', 'aggregation'];
const ITEM_FIELDS = ['path', 'name', 'truth', 'decision', 'finalLabel', 'predictions', 'rawScores', 'transcript', 'media'];
const MEDIA_FIELDS = ['path', 'mime'];
const MIME_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/i;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

class Checker {
  readonly problems: string[] = [];
  report(problem: string): void {
    this.problems.push(problem);
  }
  unknownFields(object: Json, allowed: readonly string[], prefix: string): void {
    for (const key of Object.keys(object)) if (!allowed.includes(key)) this.report(`${prefix}${key.slice(0, 40)}: unknown field`);
  }
  text(value: unknown, field: string, maxChars: number, options: { allowEmpty?: boolean } = {}): value is string {
    if (typeof value !== 'string') this.report(`${field}: must be text, not ${describeType(value)}`);
    else if (value.length > maxChars) this.report(`${field}: longer than ${maxChars} characters`);
    else if (!options.allowEmpty && value.trim() === '') this.report(`${field}: empty`);
    else return true;
    return false;
  }
  textOrNull(value: unknown, field: string, maxChars: number): value is string | null {
    return value === null || this.text(value, field, maxChars);
  }
}

/** An item path as a folder drop gives it: relative, no "..", no control characters. */
function checkItemPath(path: string, field: string, check: Checker): void {
  if (CONTROL_CHARS.test(path)) return check.report(`${field}: contains control characters`);
  try {
    normaliseZipPath(path);
  } catch {
    check.report(`${field}: not a safe relative path (absolute, a drive letter, or "..")`);
  }
}

function checkPredictions(value: unknown, field: string, check: Checker): RankedLabel[] | undefined {
  if (!Array.isArray(value)) return void check.report(`${field}: must be a list, not ${describeType(value)}`);
  if (value.length > MAX_LABELS) return void check.report(`${field}: more than ${MAX_LABELS} entries`);
  const out: RankedLabel[] = [];
  value.forEach((entry: unknown, i) => {
    if (!isPlainObject(entry)) return check.report(`${field}[${i}]: must be an object, not ${describeType(entry)}`);
    check.unknownFields(entry, ['label', 'score'], `${field}[${i}].`);
    const okLabel = check.text(entry.label, `${field}[${i}].label`, MAX_LABEL_CHARS);
    const score = entry.score;
    if (typeof score !== 'number' || !Number.isFinite(score)) check.report(`${field}[${i}].score: must be a finite number`);
    else if (okLabel) out.push({ label: entry.label as string, score });
  });
  return out;
}

function checkItem(value: unknown, index: number, check: Checker, mediaPaths: Set<string>): ProjectItem | undefined {
  const field = `items[${index}]`;
  if (!isPlainObject(value)) return void check.report(`${field}: must be an object, not ${describeType(value)}`);
  const before = check.problems.length;
  check.unknownFields(value, ITEM_FIELDS, `${field}.`);
  const { path, name, truth, decision, finalLabel, rawScores, transcript, media } = value;
  if (check.text(path, `${field}.path`, MAX_ITEM_PATH_CHARS)) checkItemPath(path, `${field}.path`, check);
  if (check.text(name, `${field}.name`, MAX_ITEM_PATH_CHARS) && CONTROL_CHARS.test(name)) check.report(`${field}.name: contains control characters`);
  check.textOrNull(truth, `${field}.truth`, MAX_LABEL_CHARS);
  if (!oneOf(REVIEW_DECISIONS, decision)) check.report(`${field}.decision: must be one of ${REVIEW_DECISIONS.join(', ')}`);
  check.textOrNull(finalLabel, `${field}.finalLabel`, MAX_LABEL_CHARS);
  const predictions = checkPredictions(value.predictions, `${field}.predictions`, check);
  if (rawScores !== undefined) {
    if (!Array.isArray(rawScores) || rawScores.length > MAX_LABELS || !rawScores.every((score) => typeof score === 'number' && Number.isFinite(score)))
      check.report(`${field}.rawScores: must be a list of at most ${MAX_LABELS} finite numbers`);
  }
  if (transcript !== undefined) check.text(transcript, `${field}.transcript`, MAX_TRANSCRIPT_CHARS, { allowEmpty: true });
  let mediaRef: ProjectMediaRef | undefined;
  if (media !== undefined) {
    if (!isPlainObject(media)) check.report(`${field}.media: must be an object, not ${describeType(media)}`);
    else {
      check.unknownFields(media, MEDIA_FIELDS, `${field}.media.`);
      if (typeof media.mime !== 'string' || media.mime.length > MAX_MIME_CHARS || (media.mime !== '' && !MIME_PATTERN.test(media.mime)))
        check.report(`${field}.media.mime: not a media type`);
      if (check.text(media.path, `${field}.media.path`, MAX_ITEM_PATH_CHARS)) {
        let normalised: string | undefined;
        try {
          normalised = normaliseZipPath(media.path);
        } catch {
          check.report(`${field}.media.path: not a safe path inside the project`);
        }
        if (normalised !== undefined) {
          if (normalised !== media.path || !normalised.startsWith(`${PROJECT_MEDIA_FOLDER}/`))
            check.report(`${field}.media.path: must be a plain path under ${PROJECT_MEDIA_FOLDER}/`);
          else if (mediaPaths.has(normalised)) check.report(`${field}.media.path: used by another item too`);
          else mediaPaths.add(normalised);
        }
      }
      if (check.problems.length === before) mediaRef = { path: media.path as string, mime: media.mime as string };
    }
  }
  if (check.problems.length !== before || !predictions) return undefined;
  const item: ProjectItem = {
    path: path as string,
    name: name as string,
    truth: truth as string | null,
    decision: decision as ReviewDecision,
    finalLabel: finalLabel as string | null,
    predictions,
  };
  if (rawScores !== undefined) item.rawScores = (rawScores as number[]).slice();
  if (transcript !== undefined) item.transcript = transcript as string;
  if (mediaRef) item.media = mediaRef;
  return item;
}

function finish(problems: string[]): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [...problems.slice(0, MAX_PROBLEMS), `…and ${problems.length - MAX_PROBLEMS} more problems`];
}

/**
 * Checks anything against the manifest schema. On success the manifest is a fresh copy holding
 * only the known fields.
 */
export function validateProjectManifest(value: unknown): { ok: true; manifest: ProjectManifest } | { ok: false; problems: string[] } {
  if (!isPlainObject(value)) return { ok: false, problems: [`project.json holds ${describeType(value)}, not a project`] };
  if (value.format !== PROJECT_FORMAT) return { ok: false, problems: ['project.json: not a Zero-Shot Playground project (format)'] };
  const check = new Checker();
  check.unknownFields(value, MANIFEST_FIELDS, '');
  if (value.version !== PROJECT_VERSION)
    check.report(
      typeof value.version === 'number'
        ? `version: ${value.version} is not one this app reads (it reads ${PROJECT_VERSION}); the file may be from a newer version`
        : `version: must be the number ${PROJECT_VERSION}`,
    );
  const task = value.task;
  if (!oneOf<TaskParam>(['image', 'audio'], task)) check.report('task: must be image or audio');

  const settings = value.settings;
  let checkedSettings: ProjectSettings | undefined;
  if (!isPlainObject(settings)) check.report(`settings: must be an object, not ${describeType(settings)}`);
  else {
    const before = check.problems.length;
    check.unknownFields(settings, SETTINGS_FIELDS, 'settings.');
    if (typeof settings.modelId !== 'string' || !isValidModelId(settings.modelId)) check.report('settings.modelId: not a model id of the form owner/name');
    check.text(settings.labelsText, 'settings.labelsText', MAX_LABELS_TEXT_CHARS, { allowEmpty: true });
    check.text(settings.template, 'settings.template', MAX_TEMPLATE_CHARS, { allowEmpty: true });
    if (!oneOf(CALIBRATIONS, settings.calibration)) check.report(`settings.calibration: must be one of ${CALIBRATIONS.join(', ')}`);
    if (!oneOf(TOKEN_AGGREGATIONS, settings.aggregation)) check.report(`settings.aggregation: must be one of ${TOKEN_AGGREGATIONS.join(', ')}`);
    if (check.problems.length === before)
      checkedSettings = {
        modelId: settings.modelId as string,
        labelsText: settings.labelsText as string,
        template: settings.template as string,
        calibration: settings.calibration as Calibration,
        aggregation: settings.aggregation as TokenAggregation,
      };
  }

  let labels: string[] | undefined;
  if (!Array.isArray(value.labels)) check.report(`labels: must be a list, not ${describeType(value.labels)}`);
  else if (value.labels.length > MAX_LABELS) check.report(`labels: more than ${MAX_LABELS}`);
  else {
    const before = check.problems.length;
    value.labels.forEach((label: unknown, i) => check.text(label, `labels[${i}]`, MAX_LABEL_CHARS));
    if (check.problems.length === before) labels = (value.labels as string[]).slice();
  }

  const items: ProjectItem[] = [];
  if (!Array.isArray(value.items)) check.report(`items: must be a list, not ${describeType(value.items)}`);
  else if (value.items.length > MAX_PROJECT_ITEMS) check.report(`items: more than ${MAX_PROJECT_ITEMS} (${value.items.length})`);
  else {
    const mediaPaths = new Set<string>();
    value.items.forEach((item: unknown, i) => {
      const checked = checkItem(item, i, check, mediaPaths);
      if (checked) items.push(checked);
    });
  }

  if (check.problems.length > 0 || !checkedSettings || !labels) return { ok: false, problems: finish(check.problems) };
  return {
    ok: true,
    manifest: { format: PROJECT_FORMAT, version: PROJECT_VERSION, task: task as TaskParam, settings: checkedSettings, labels, items },
  };
}

/** Reads and checks a project file. Never throws; anything wrong comes back as problems. */
export async function readProjectFile(bytes: Uint8Array): Promise<ProjectResult> {
  const fail = (...problems: string[]) => ({ ok: false as const, problems });
  if (bytes.length > MAX_PROJECT_FILE_BYTES) return fail(`the file is larger than ${MAX_PROJECT_FILE_BYTES / 1024 / 1024} MB`);
  try {
    const entries = readZipDirectory(bytes, { maxEntries: MAX_PROJECT_ENTRIES });
    const manifestEntry = entries.find((entry) => entry.path === PROJECT_MANIFEST_PATH);
    if (!manifestEntry) return fail(`not a project file (no ${PROJECT_MANIFEST_PATH} inside)`);
    // Every size check below is on the sizes the central directory declares, before inflating;
    // readZipEntry then stops at the declared size, so a header that lies gains nothing.
    if (manifestEntry.size > MAX_MANIFEST_BYTES) return fail(`${PROJECT_MANIFEST_PATH}: larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MB`);
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(await readZipEntry(bytes, manifestEntry)));
    } catch (error) {
      if (error instanceof ZipError) throw error;
      return fail(`${PROJECT_MANIFEST_PATH}: not readable JSON`);
    }
    const checked = validateProjectManifest(json);
    if (!checked.ok) return checked;

    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    const wanted: typeof entries = [];
    const problems: string[] = [];
    let unpackedBytes = manifestEntry.size;
    for (const [index, item] of checked.manifest.items.entries()) {
      if (!item.media) continue;
      const entry = byPath.get(item.media.path);
      if (!entry) problems.push(`items[${index}].media.path: ${item.media.path} is not in the file`);
      else if (entry.size > MAX_MEDIA_ENTRY_BYTES) problems.push(`${entry.path}: larger than ${MAX_MEDIA_ENTRY_BYTES / 1024 / 1024} MB`);
      else {
        wanted.push(entry);
        unpackedBytes += entry.size;
      }
    }
    if (problems.length > 0) return fail(...finish(problems));
    if (unpackedBytes > MAX_PROJECT_UNPACKED_BYTES)
      return fail(`the media unpack to more than ${MAX_PROJECT_UNPACKED_BYTES / 1024 / 1024} MB (${Math.ceil(unpackedBytes / 1024 / 1024)} MB declared)`);
    const media = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const entry of wanted) media.set(entry.path, await readZipEntry(bytes, entry));
    return { ok: true, project: { manifest: checked.manifest, media } };
  } catch (error) {
    if (error instanceof ZipError) return fail(`not a readable ZIP: ${error.message}`);
    return fail(`could not be read (${error instanceof Error ? error.message : 'unknown error'})`);
  }
}
