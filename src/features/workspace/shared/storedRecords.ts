/**
 * The records the workspaces keep in IndexedDB, as valibot schemas: what is read back is not
 * trusted (an older or newer app version in another tab, a half-written or corrupted record),
 * so every record read is checked against these, and one that does not match is left out and
 * counted instead of breaking the restore. The stored types are inferred from the schemas.
 *
 * Every record carries `schemaVersion`. Version 1 is the shape the app stored before records were
 * versioned, so a record without the field is read as version 1; a record of another version
 * (a newer app) does not match and is skipped until a schema here knows how to read it.
 */
import * as v from 'valibot';
import { CALIBRATIONS, TOKEN_AGGREGATIONS } from '../../../lib/audioScoring';
import { CLASSIFIER_KINDS } from '../../../lib/classifiers';
import { REVIEW_DECISIONS } from '../../../lib/review';
import { TASKS } from '../../../lib/tasks';

/**
 * Any Float32Array, whatever buffer it views (v.instance would narrow the type to an ArrayBuffer
 * view, which the store's and the engine's arrays are not declared as).
 */
const float32Array = v.custom<Float32Array>((input) => input instanceof Float32Array, 'expected a Float32Array');
export const STORED_RECORD_VERSION = 1;

const schemaVersion = v.optional(v.literal(STORED_RECORD_VERSION), STORED_RECORD_VERSION);
const nullableString = v.nullable(v.string());
const nullableNumber = v.nullable(v.number());

export const workspaceSettingsSchema = v.object({
  task: v.picklist(TASKS),
  modelId: v.string(),
  audioModelId: v.string(),
  template: v.string(),
  labelsText: v.string(),
  audioTemplate: v.string(),
  audioLabelsText: v.string(),
  aggregation: v.picklist(TOKEN_AGGREGATIONS),
  calibration: v.picklist(CALIBRATIONS),
});

export const workspaceRecordSchema = v.object({
  schemaVersion,
  id: v.string(),
  name: v.string(),
  createdAt: v.number(),
  /** The most recently opened workspace is the one restored at start-up. */
  openedAt: v.number(),
  settings: workspaceSettingsSchema,
  imageOrder: v.array(v.string()),
  audioOrder: v.array(v.string()),
  /**
   * The prompt lab's experiments, newest first. Checked one by one when the workspace is opened
   * (lib/experiments parseStoredExperiments), so one unreadable experiment is left out and
   * counted rather than costing the whole workspace, and listing workspaces doesn't check them
   * all. A record from before the lab has none.
   */
  experiments: v.optional(v.unknown(), () => []),
});
export type WorkspaceRecord = v.InferOutput<typeof workspaceRecordSchema>;

const rankedLabelSchema = v.object({ label: v.string(), score: v.number(), similarity: v.optional(v.number()) });

/** What every stored item has: where it came from, how it was reviewed, and which workspace holds it. */
const storedItemFields = {
  schemaVersion,
  workspaceId: v.string(),
  /** Its media's size (bytes), so the workspace's size is known without reading the media. */
  mediaBytes: v.number(),
  id: v.string(),
  name: v.string(),
  path: v.string(),
  truth: nullableString,
  decision: v.picklist(REVIEW_DECISIONS),
  finalLabel: nullableString,
  contentHash: nullableString,
  error: nullableString,
  predictions: v.array(rankedLabelSchema),
  rankedPromptsKey: nullableString,
};

/** An image item without its Blob (in `media`) or its object URL (recreated on restore). */
export const storedImageItemSchema = v.object({
  ...storedItemFields,
  kind: v.literal('image'),
  state: v.picklist(['pending', 'done', 'error']),
  /** Records stored before heads existed have none: read as unknown (the next ranking sets it). */
  classifier: v.optional(v.nullable(v.picklist(CLASSIFIER_KINDS)), null),
  width: nullableNumber,
  height: nullableNumber,
});
export type StoredImageItem = v.InferOutput<typeof storedImageItemSchema>;

export const storedAudioItemSchema = v.object({
  ...storedItemFields,
  kind: v.literal('audio'),
  state: v.picklist(['decoding', 'pending', 'done', 'error']),
  durationSeconds: nullableNumber,
  peaks: v.nullable(v.array(v.number())),
  rawScores: v.nullable(float32Array),
  transcript: nullableString,
  transcriptSeconds: nullableNumber,
  note: nullableString,
});
export type StoredAudioItem = v.InferOutput<typeof storedAudioItemSchema>;

export const storedItemSchema = v.variant('kind', [storedImageItemSchema, storedAudioItemSchema]);
export type StoredItem = v.InferOutput<typeof storedItemSchema>;

/** An item's original file, written once when the item is added. */
export const storedMediaSchema = v.object({
  schemaVersion,
  id: v.string(),
  workspaceId: v.string(),
  blob: v.instance(Blob),
});
export type StoredMedia = v.InferOutput<typeof storedMediaSchema>;

/** The records among `raw` that match `schema`, and how many did not. */
export function parseStored<TSchema extends v.GenericSchema>(
  schema: TSchema,
  raw: readonly unknown[],
): { records: v.InferOutput<TSchema>[]; skipped: number } {
  const records: v.InferOutput<TSchema>[] = [];
  for (const entry of raw) {
    const parsed = v.safeParse(schema, entry);
    if (parsed.success) records.push(parsed.output);
  }
  return { records, skipped: raw.length - records.length };
}
