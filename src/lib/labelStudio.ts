/**
 * Label Studio import files: one task per item, with the model's top label as a pre-annotation
 * ("prediction") that annotators see and correct, and the labelling config the tasks fit.
 *
 * The format is Label Studio's "basic JSON" for pre-annotated tasks (guide: "Import
 * pre-annotated data into Label Studio", labelstud.io/guide/predictions):
 *
 *   [{ "data": { "image": "<url>" },
 *      "predictions": [{ "model_version": "<model id>", "score": 0.93,
 *                        "result": [{ "from_name": "label", "to_name": "image", "type": "choices",
 *                                     "value": { "choices": ["cat"] }, "score": 0.93 }] }] }]
 *
 * What is required and why:
 * - `data.<key>`: the key must be the variable the object tag reads (`value="$image"`), or Label
 *   Studio has nothing to show. Its value is a URL (or storage path) Label Studio can load.
 * - `result[].from_name` / `to_name`: the `name` of the control tag (<Choices name="label">) and
 *   of the object tag it labels (<Image name="image">). A result whose names don't match the
 *   project's config is not shown, which is why `labelStudioConfig` writes a matching one.
 * - `result[].type`: the control tag's type in lower case, "choices".
 * - `result[].value.choices`: the chosen values, each exactly a <Choice value> of the config.
 * Optional: `model_version` (filters and picks which model's predictions to show; here the
 * model id), prediction `score` (sorts tasks by confidence in the Data Manager), result `score`
 * (per-region confidence in the labelling UI), result `id` (generated when absent).
 */
import * as v from 'valibot';
import { exportLabel, type ExportItem } from './exportRows';
import { MAX_LABEL_CHARS, MAX_LABELS } from './labels';
import { MAX_PROJECT_ITEMS } from './projectFile';
import { MAX_ITEM_PATH_CHARS, capProblems, checkWith, list, text } from './schemas';


export type LabelStudioMedia = 'image' | 'audio';

/** The control tag's name: `from_name` in results, `<Choices name>` in the config. */
export const LABEL_STUDIO_CONTROL_NAME = 'label';

export interface LabelStudioChoicesResult {
  from_name: string;
  to_name: LabelStudioMedia;
  type: 'choices';
  value: { choices: string[] };
  score?: number;
}

export interface LabelStudioPrediction {
  model_version: string;
  score?: number;
  result: LabelStudioChoicesResult[];
}

export interface LabelStudioAnnotation {
  result: LabelStudioChoicesResult[];
}

export interface LabelStudioTask {
  data: Partial<Record<LabelStudioMedia, string>>;
  predictions: LabelStudioPrediction[];
  annotations?: LabelStudioAnnotation[];
}

export interface LabelStudioOptions {
  media: LabelStudioMedia;
  /** The model id, written as `model_version`. */
  modelVersion: string;
  /** Where Label Studio will load each file from (an uploaded-files URL, a cloud storage path…); default the file name as is. */
  fileUrl?: (file: string) => string;
  /**
   * Also write accepted and overridden items' labels as annotations (finished work in Label
   * Studio) rather than only the model's suggestion. Default false: importing annotations marks
   * tasks as done, which is only right when the review here is the final one.
   */
  reviewedAsAnnotations?: boolean;
}

function choicesResult(label: string, media: LabelStudioMedia, score?: number): LabelStudioChoicesResult {
  const result: LabelStudioChoicesResult = { from_name: LABEL_STUDIO_CONTROL_NAME, to_name: media, type: 'choices', value: { choices: [label] } };
  if (score !== undefined && Number.isFinite(score)) result.score = score;
  return result;
}

/** One task per item; an item the model has no prediction for gets an empty predictions list. */
export function labelStudioTasks(items: readonly ExportItem[], options: LabelStudioOptions): LabelStudioTask[] {
  const fileUrl = options.fileUrl ?? ((file: string) => file);
  return items.map((item) => {
    const task: LabelStudioTask = { data: { [options.media]: fileUrl(item.file) }, predictions: [] };
    const top = item.predictions[0];
    if (top) {
      const prediction: LabelStudioPrediction = { model_version: options.modelVersion, result: [choicesResult(top.label, options.media, top.score)] };
      if (Number.isFinite(top.score)) prediction.score = top.score;
      task.predictions.push(prediction);
    }
    if (options.reviewedAsAnnotations && (item.decision === 'accepted' || item.decision === 'overridden')) {
      const label = exportLabel(item);
      if (label !== null) task.annotations = [{ result: [choicesResult(label, options.media)] }];
    }
    return task;
  });
}

/** The import file's text: a JSON list of tasks. */
export function labelStudioJson(items: readonly ExportItem[], options: LabelStudioOptions): string {
  return `${JSON.stringify(labelStudioTasks(items, options), null, 2)}\n`;
}

function xmlAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/**
 * The labelling config the tasks fit: an Image or Audio tag named after the media reading `$image`
 * or `$audio`, and a single-choice Choices tag named LABEL_STUDIO_CONTROL_NAME with one Choice
 * per label. Labels are XML-escaped, so "<b>" is a choice, not markup.
 */
export function labelStudioConfig(labels: readonly string[], media: LabelStudioMedia): string {
  const objectTag = media === 'image' ? 'Image' : 'Audio';
  return [
    '<View>',
    `  <${objectTag} name="${media}" value="$${media}"/>`,
    `  <Choices name="${LABEL_STUDIO_CONTROL_NAME}" toName="${media}" choice="single" showInline="true">`,
    ...labels.map((label) => `    <Choice value="${xmlAttribute(label)}"/>`),
    '  </Choices>',
    '</View>',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Reading tasks back: our own file, or a project exported from Label Studio ("JSON" export), as
// ground truth. The file is someone else's: every value read is checked and bounded; the many
// other fields Label Studio writes (ids, dates, users, drafts) are ignored, not refused.

/** As many tasks as a project file has items. */
export const MAX_LABEL_STUDIO_TASKS = MAX_PROJECT_ITEMS;
/** Annotations or predictions per task, and results per annotation: far more than a choices task has. */
export const MAX_LABEL_STUDIO_ENTRIES = 100;
/** Refused unread above this: 20,000 tasks as Label Studio exports them (ids, dates, users) are ~20 MB. */
export const MAX_LABEL_STUDIO_FILE_BYTES = 64 * 1024 * 1024;

export interface LabelStudioRow {
  /** The task's `data.image` or `data.audio` as written (a file name, an upload URL). */
  file: string;
  /** The first prediction's chosen label, if any. */
  predicted: string | null;
  /** The last annotation's chosen label that was not cancelled: a person's, so ground truth. */
  annotated: string | null;
}

export interface ParsedLabelStudio {
  rows: LabelStudioRow[];
  problems: string[];
}

const choiceSchema = text({ maxChars: MAX_LABEL_CHARS, refuseControlChars: true });
const resultSchema = v.looseObject({
  type: v.optional(v.string()),
  value: v.optional(v.looseObject({ choices: v.optional(list(choiceSchema, { maxItems: MAX_LABELS, of: 'text' })) })),
});
const resultsSchema = list(resultSchema, { maxItems: MAX_LABEL_STUDIO_ENTRIES, noun: 'results' });
const annotationSchema = v.looseObject({ result: v.optional(resultsSchema), was_cancelled: v.optional(v.boolean()) });
const predictionSchema = v.looseObject({ result: v.optional(resultsSchema) });
const taskSchema = v.looseObject({
  data: v.looseObject({
    image: v.optional(text({ maxChars: MAX_ITEM_PATH_CHARS, refuseControlChars: true })),
    audio: v.optional(text({ maxChars: MAX_ITEM_PATH_CHARS, refuseControlChars: true })),
  }),
  annotations: v.optional(list(annotationSchema, { maxItems: MAX_LABEL_STUDIO_ENTRIES, noun: 'annotations' })),
  predictions: v.optional(list(predictionSchema, { maxItems: MAX_LABEL_STUDIO_ENTRIES, noun: 'predictions' })),
});
const tasksSchema = list(v.unknown(), { maxItems: MAX_LABEL_STUDIO_TASKS, of: 'tasks', noun: 'tasks' });

function firstChoice(results: readonly v.InferOutput<typeof resultSchema>[] | undefined): string | null {
  for (const result of results ?? []) {
    const choice = result.type === undefined || result.type === 'choices' ? result.value?.choices?.[0] : undefined;
    if (choice !== undefined) return choice;
  }
  return null;
}

/**
 * The tasks of a Label Studio JSON file, one row per task that names its file. Never throws: a
 * file that is not a list of tasks is one problem, a bad task is a problem naming its position
 * (capped), and the good tasks are still read.
 */
export function parseLabelStudioTasks(json: string): ParsedLabelStudio {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { rows: [], problems: ['not readable JSON'] };
  }
  const tasks = checkWith(tasksSchema, value);
  if (!tasks.ok) return { rows: [], problems: [`not a list of Label Studio tasks: ${tasks.problems[0] ?? ''}`] };
  const rows: LabelStudioRow[] = [];
  const problems: string[] = [];
  tasks.value.forEach((raw, index) => {
    const checked = checkWith(taskSchema, raw);
    if (!checked.ok) {
      problems.push(...checked.problems.map((problem) => `task ${index + 1}: ${problem}`));
      return;
    }
    const task = checked.value;
    const file = task.data.image ?? task.data.audio;
    if (file === undefined) {
      problems.push(`task ${index + 1}: no data.image or data.audio`);
      return;
    }
    const annotation = [...(task.annotations ?? [])].reverse().find((entry) => entry.was_cancelled !== true);
    rows.push({ file, predicted: firstChoice(task.predictions?.[0]?.result), annotated: firstChoice(annotation?.result) });
  });
  return { rows, problems: capProblems(problems) };
}

/** Ground truth from a Label Studio file: each task's annotated label (tasks without one are counted, not listed). */
export function labelStudioTruth(json: string): { rows: { file: string; label: string }[]; problems: string[] } {
  const parsed = parseLabelStudioTasks(json);
  const rows = parsed.rows.flatMap((row) => (row.annotated === null ? [] : [{ file: row.file, label: row.annotated }]));
  const unannotated = parsed.rows.length - rows.length;
  return { rows, problems: unannotated > 0 ? [...parsed.problems, `${unannotated} tasks have no annotation (a prediction is not ground truth)`] : parsed.problems };
}
