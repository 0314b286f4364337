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
import { exportLabel, type ExportItem } from './exportRows';

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
