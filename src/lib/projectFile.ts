/**
 * The project file: a ZIP holding one workspace (one task) so it can be moved, archived, or
 * handed to someone else, and imported back into the same workspace.
 *
 *   project.json        settings, labels and every item (path, name, truth, decision, final
 *                       label, predictions; audio raw scores and transcript), see ProjectManifest
 *   media/<n>-<name>    each item's original bytes, when the media were included
 *
 * Reading treats the file as hostile, like a share link: the manifest is size-bounded, checked
 * field by field against the schema below (built from the same pieces as a link's, ./schemas),
 * and anything wrong comes back as readable problems instead of an exception. Nothing from the
 * file is trusted until the whole of it checks out.
 */
import * as v from 'valibot';
import { TOKEN_AGGREGATIONS } from './audioScoring';
import { safeFileName } from './exportRows';
import { MAX_LABEL_CHARS, MAX_LABELS } from './labels';
import { REVIEW_DECISIONS } from './review';
import {
  MAX_ITEM_PATH_CHARS,
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
  version,
  type Json,
} from './schemas';
import type { Task } from './tasks';
import type { ArchiveEntry } from './archive';
import { ZipError, readZipDirectory, readZipEntry } from './unzip';
import { normaliseZipPath } from './zipFormat';

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
export { MAX_ITEM_PATH_CHARS };
/**
 * What all the entries of one file may add up to, as the central directory declares them (checked
 * before anything is inflated, entries the manifest doesn't name included). The app stores media
 * uncompressed, so its own files unpack to about their size; the manifest may be deflated by
 * another tool.
 */
export const MAX_PROJECT_UNPACKED_BYTES = MAX_PROJECT_FILE_BYTES + MAX_MANIFEST_BYTES;
/**
 * And relative to the file's own size: at most this many times it, plus a manifest's worth. The
 * app writes every entry STORED (1:1); photos and compressed audio re-zipped by another tool
 * shrink by a few percent, raw WAV or BMP by a few times. A file that claims to unpack to 20×
 * its size is a zip bomb, even under the absolute cap (a 10 MB file may not unpack to 1 GB).
 */
export const MAX_PROJECT_EXPANSION = 20;

/** The most the entries of a `fileBytes`-byte project file may unpack to. */
export function maxUnpackedBytes(fileBytes: number): number {
  return Math.min(MAX_PROJECT_UNPACKED_BYTES, MAX_MANIFEST_BYTES + MAX_PROJECT_EXPANSION * fileBytes);
}

const megabytes = (bytes: number) => Math.ceil(bytes / 1024 / 1024);

/** The manifest and one entry per item, with room for a re-zip that adds one `__MACOSX/._x` per file. */
export const MAX_PROJECT_ENTRIES = 2 * (MAX_PROJECT_ITEMS + 1);
export const MAX_LABELS_TEXT_CHARS = MAX_LABELS * (MAX_LABEL_CHARS + 1);
export const MAX_TRANSCRIPT_CHARS = 20_000;
export const MAX_MIME_CHARS = 100;

/** An item as the app hands it over for writing: the media, if any, as the Blob IndexedDB gave. */
export interface ProjectItemInput extends Omit<ProjectItem, 'media'> {
  media?: { blob: Blob; mime: string };
}

export interface ProjectInput {
  task: Task;
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
// The schema (building blocks shared with share links in ./schemas).

/**
 * type/subtype with optional `; name=value` parameters: browsers give recordings types such as
 * `audio/webm;codecs=opus`, and the project keeps them so the clip decodes the same after import.
 */
const MIME_PATTERN = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(\s*;\s*[a-z0-9!#$&^_.+-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\\\p{Cc}]*"))*$/iu;
const MIME_PROBLEM = 'not a media type';
const FINITE_PROBLEM = 'must be a finite number';
const RAW_SCORES_PROBLEM = `must be a list of at most ${MAX_LABELS} finite numbers`;

/** The path inside the ZIP, or undefined for one that would leave it (absolute, a drive letter, ".."). */
function normalisedZipPath(path: string): string | undefined {
  try {
    return normaliseZipPath(path);
  } catch {
    return undefined;
  }
}

const finiteNumber = v.pipe(v.number(FINITE_PROBLEM), v.finite(FINITE_PROBLEM));

function isFiniteNumberList(value: unknown): value is number[] {
  return Array.isArray(value) && value.length <= MAX_LABELS && value.every((score) => typeof score === 'number' && Number.isFinite(score));
}

const settingsSchema = record(
  {
    modelId: modelIdSchema,
    labelsText: text({ maxChars: MAX_LABELS_TEXT_CHARS, allowEmpty: true }),
    template: templateSchema(),
    calibration: calibrationSchema,
    aggregation: v.picklist(TOKEN_AGGREGATIONS, `must be one of ${TOKEN_AGGREGATIONS.join(', ')}`),
  },
  notAnObject,
);

const mediaRefSchema = record(
  {
    mime: v.pipe(
      v.string(MIME_PROBLEM),
      v.maxLength(MAX_MIME_CHARS, MIME_PROBLEM),
      v.check((mime) => mime === '' || MIME_PATTERN.test(mime), MIME_PROBLEM),
    ),
    /** The entry inside the ZIP, always under `media/`. */
    path: v.pipe(
      text({ maxChars: MAX_ITEM_PATH_CHARS }),
      v.check((path) => normalisedZipPath(path) !== undefined, 'not a safe path inside the project'),
      v.check((path) => normalisedZipPath(path) === path && path.startsWith(`${PROJECT_MEDIA_FOLDER}/`), `must be a plain path under ${PROJECT_MEDIA_FOLDER}/`),
    ),
  },
  notAnObject,
);

const itemSchema = record(
  {
    /** As a folder drop gives it: relative, no "..", no control characters. */
    path: v.pipe(
      text({ maxChars: MAX_ITEM_PATH_CHARS, refuseControlChars: true }),
      v.check((path) => normalisedZipPath(path) !== undefined, 'not a safe relative path (absolute, a drive letter, or "..")'),
    ),
    name: text({ maxChars: MAX_ITEM_PATH_CHARS, refuseControlChars: true }),
    truth: v.nullable(text({ maxChars: MAX_LABEL_CHARS })),
    decision: v.picklist(REVIEW_DECISIONS, `must be one of ${REVIEW_DECISIONS.join(', ')}`),
    finalLabel: v.nullable(text({ maxChars: MAX_LABEL_CHARS })),
    predictions: list(record({ label: text({ maxChars: MAX_LABEL_CHARS }), score: finiteNumber }, notAnObject), {
      maxItems: MAX_LABELS,
      noun: 'entries',
    }),
    /** Audio only: the worker's raw per-prompt scores and Whisper's transcript. */
    rawScores: v.optional(v.pipe(v.custom<number[]>(isFiniteNumberList, RAW_SCORES_PROBLEM), v.transform((scores) => scores.slice()))),
    transcript: v.optional(text({ maxChars: MAX_TRANSCRIPT_CHARS, allowEmpty: true })),
    media: v.optional(mediaRefSchema),
  },
  notAnObject,
);

const manifestSchema = v.pipe(
  v.custom<Json>(isPlainObject, (issue) => `${PROJECT_MANIFEST_PATH} holds ${describeType(issue.input)}, not a project`),
  // Someone else's JSON gets one sentence, not a list of every field it lacks.
  v.check((manifest) => manifest.format === PROJECT_FORMAT, `${PROJECT_MANIFEST_PATH}: not a Zero-Shot Playground project (format)`),
  record(
    {
      format: v.literal(PROJECT_FORMAT),
      version: version(PROJECT_VERSION, 'the file'),
      task: taskSchema,
      settings: settingsSchema,
      /** The labels the settings give, for readers that don't parse `labelsText`. */
      labels: labelsSchema({ minItems: 0, maxChars: MAX_LABEL_CHARS }),
      items: v.pipe(
        list(itemSchema, { maxItems: MAX_PROJECT_ITEMS }),
        // Two items pointing at one entry would be restored as one file twice.
        v.rawCheck(({ dataset, addIssue }) => {
          if (!dataset.typed) return;
          const seen = new Set<string>();
          dataset.value.forEach((item, index) => {
            if (!item.media) return;
            if (seen.has(item.media.path))
              addIssue({
                message: 'used by another item too',
                path: [
                  { type: 'array', origin: 'value', input: dataset.value, key: index, value: item },
                  { type: 'object', origin: 'value', input: item, key: 'media', value: item.media },
                  { type: 'object', origin: 'value', input: item.media, key: 'path', value: item.media.path },
                ],
              });
            seen.add(item.media.path);
          });
        }),
      ),
    },
    notAnObject,
  ),
);

export type ProjectSettings = v.InferOutput<typeof settingsSchema>;
export type ProjectMediaRef = v.InferOutput<typeof mediaRefSchema>;
export type ProjectItem = v.InferOutput<typeof itemSchema>;
export type ProjectManifest = v.InferOutput<typeof manifestSchema>;

/**
 * Checks anything against the manifest schema. On success the manifest is a fresh copy holding
 * only the known fields.
 */
export function validateProjectManifest(value: unknown): { ok: true; manifest: ProjectManifest } | { ok: false; problems: string[] } {
  const checked = checkWith(manifestSchema, value);
  return checked.ok ? { ok: true, manifest: checked.value } : { ok: false, problems: capProblems(checked.problems) };
}

/** The refusal of a file over the size cap, decided from its size before any of it is read; null when it fits. */
export function oversizedProjectFile(byteLength: number): ProjectResult | null {
  return byteLength > MAX_PROJECT_FILE_BYTES ? { ok: false, problems: [`the file is larger than ${MAX_PROJECT_FILE_BYTES / 1024 / 1024} MB`] } : null;
}

/** Reads and checks a project file. Never throws; anything wrong comes back as problems. */
export async function readProjectFile(bytes: Uint8Array): Promise<ProjectResult> {
  const fail = (...problems: string[]) => ({ ok: false as const, problems });
  const oversized = oversizedProjectFile(bytes.length);
  if (oversized) return oversized;
  try {
    const entries = readZipDirectory(bytes, { maxEntries: MAX_PROJECT_ENTRIES });
    const manifestEntry = entries.find((entry) => entry.path === PROJECT_MANIFEST_PATH);
    if (!manifestEntry) return fail(`not a project file (no ${PROJECT_MANIFEST_PATH} inside)`);
    // Every size check is on the sizes the central directory declares, before a byte is inflated;
    // readZipEntry then stops each entry at its declared size, so a header that lies gains
    // nothing and a read can never inflate more than the total allowed below.
    if (manifestEntry.size > MAX_MANIFEST_BYTES) return fail(`${PROJECT_MANIFEST_PATH}: larger than ${MAX_MANIFEST_BYTES / 1024 / 1024} MB`);
    const oversizedEntries = entries.filter((entry) => entry !== manifestEntry && entry.size > MAX_MEDIA_ENTRY_BYTES);
    if (oversizedEntries.length > 0) return fail(...capProblems(oversizedEntries.map((entry) => `${entry.path}: larger than ${MAX_MEDIA_ENTRY_BYTES / 1024 / 1024} MB`)));
    const declaredBytes = entries.reduce((sum, entry) => sum + entry.size, 0);
    const allowedBytes = maxUnpackedBytes(bytes.length);
    if (declaredBytes > allowedBytes)
      return fail(
        `the file would unpack to ${megabytes(declaredBytes)} MB, more than the ${megabytes(allowedBytes)} MB a project file of ${megabytes(bytes.length)} MB may (a zip bomb?); nothing was unpacked`,
      );
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
    for (const [index, item] of checked.manifest.items.entries()) {
      if (!item.media) continue;
      const entry = byPath.get(item.media.path);
      if (!entry) problems.push(`items[${index}].media.path: ${item.media.path} is not in the file`);
      else wanted.push(entry);
    }
    if (problems.length > 0) return fail(...capProblems(problems));
    const media = new Map<string, Uint8Array<ArrayBuffer>>();
    for (const entry of wanted) media.set(entry.path, await readZipEntry(bytes, entry));
    return { ok: true, project: { manifest: checked.manifest, media } };
  } catch (error) {
    if (error instanceof ZipError) return fail(`not a readable ZIP: ${error.message}`);
    return fail(`could not be read (${error instanceof Error ? error.message : 'unknown error'})`);
  }
}
