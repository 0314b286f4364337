/**
 * An experiment: one configuration evaluated on the items that have ground truth, as stored
 * with the workspace (IndexedDB), listed, compared and exported. CONTRACT: the type is fixed;
 * the schema (valibot) and the CSV/JSON writers are written here.
 *
 * What is read back from IndexedDB (or a JSON export) is not trusted: an older or newer app
 * version, a corrupted record. Every experiment is checked against `experimentSchema`, shapes
 * included (a confusion matrix is labels × labels, recalls one per label).
 */
import * as v from 'valibot';
import { toCsv } from './csv';
import { CALIBRATIONS, TOKEN_AGGREGATIONS, type Calibration, type TokenAggregation } from './audioScoring';
import { HEAD_KINDS, type HeadKind } from './fewShot';
import { MAX_LABEL_CHARS, MAX_LABELS } from './labels';
import { taskSchema } from './schemas';
import type { Task } from './tasks';
import { MAX_TEMPLATE_CHARS } from './urlState';

export type ExperimentKind = 'single' | 'ensemble' | 'greedy' | 'best-single' | 'current' | 'head';
export const EXPERIMENT_KINDS: readonly ExperimentKind[] = ['single', 'ensemble', 'greedy', 'best-single', 'current', 'head'];

export interface Experiment {
  id: string;
  /** The grid-search run it came from; null for a one-off evaluation or a head. */
  runId: string | null;
  task: Task;
  modelId: string;
  createdAt: number;
  kind: ExperimentKind;
  /** Short human name: the template, "ensemble of 80", "greedy: 3 templates", "logistic regression". */
  name: string;
  templates: string[];
  /** The labels text it was evaluated with (labels and their per-label prompts). */
  labelsText: string;
  labels: string[];
  calibration: Calibration | null;
  aggregation: TokenAggregation | null;
  classifier: 'zero-shot' | HeadKind;
  evaluated: number;
  accuracy: number;
  /** Cross-validated accuracy (see templateSearch); null when there were too few items per class. */
  cvAccuracy: number | null;
  macroF1: number | null;
  perClassRecall: Array<number | null>;
  perClassSupport: number[];
  /** confusion[truth][predicted], classes only. */
  confusion: number[][];
}

/**
 * Experiments kept per workspace: a grid run over the 80 ImageNet templates adds about 83, so
 * this holds a dozen runs. The newest are kept (see `newestExperiments`).
 */
export const MAX_EXPERIMENTS = 1_000;
/** Templates per experiment: a library's templates plus the user's own. */
export const MAX_EXPERIMENT_TEMPLATES = 1_000;
/** An experiment's name is a template or a short phrase. */
export const MAX_EXPERIMENT_NAME_CHARS = 600;
export const MAX_EXPERIMENT_ID_CHARS = 200;
/** The labels text: every label with its prompts, bounded as the labels are. */
export const MAX_EXPERIMENT_LABELS_TEXT_CHARS = 1_000_000;
const MAX_MODEL_ID_CHARS = 500;

const fraction = v.pipe(v.number(), v.finite(), v.minValue(0), v.maxValue(1));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const boundedText = (maxChars: number) => v.pipe(v.string(), v.maxLength(maxChars));
const boundedList = <TItem extends v.GenericSchema>(item: TItem, maxItems: number) => v.pipe(v.array(item), v.maxLength(maxItems));

const experimentFields = v.object({
  id: v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_EXPERIMENT_ID_CHARS)),
  runId: v.nullable(v.pipe(v.string(), v.maxLength(MAX_EXPERIMENT_ID_CHARS))),
  task: taskSchema,
  modelId: v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_MODEL_ID_CHARS)),
  createdAt: v.pipe(v.number(), v.finite()),
  kind: v.picklist(EXPERIMENT_KINDS),
  name: boundedText(MAX_EXPERIMENT_NAME_CHARS),
  templates: boundedList(boundedText(MAX_TEMPLATE_CHARS), MAX_EXPERIMENT_TEMPLATES),
  labelsText: boundedText(MAX_EXPERIMENT_LABELS_TEXT_CHARS),
  labels: v.pipe(boundedList(v.pipe(v.string(), v.nonEmpty(), v.maxLength(MAX_LABEL_CHARS)), MAX_LABELS), v.minLength(1)),
  calibration: v.nullable(v.picklist(CALIBRATIONS)),
  aggregation: v.nullable(v.picklist(TOKEN_AGGREGATIONS)),
  classifier: v.picklist(['zero-shot', ...HEAD_KINDS]),
  evaluated: count,
  accuracy: fraction,
  cvAccuracy: v.nullable(fraction),
  macroF1: v.nullable(fraction),
  perClassRecall: boundedList(v.nullable(fraction), MAX_LABELS),
  perClassSupport: boundedList(count, MAX_LABELS),
  confusion: boundedList(boundedList(count, MAX_LABELS), MAX_LABELS),
});

/** One experiment as stored: fields, ranges, and the per-class shapes matching the labels. */
export const experimentSchema = v.pipe(
  experimentFields,
  v.check((e) => e.perClassRecall.length === e.labels.length, 'perClassRecall: one per label needed'),
  v.check((e) => e.perClassSupport.length === e.labels.length, 'perClassSupport: one per label needed'),
  v.check(
    (e) => e.confusion.length === e.labels.length && e.confusion.every((row) => row.length === e.labels.length),
    'confusion: must be labels × labels',
  ),
);

/** A workspace's experiments, newest first. */
export const experimentListSchema = v.pipe(v.array(experimentSchema), v.maxLength(MAX_EXPERIMENTS, `more than ${MAX_EXPERIMENTS} experiments`));

// The schema and the type describe the same thing: if one gains a field, this stops compiling.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemaMatchesType: Same<v.InferOutput<typeof experimentSchema>, Experiment> = true;
void schemaMatchesType;

/**
 * The experiments among `raw` that pass the schema (a stored list that is not a list at all
 * gives none), newest first as stored, at most MAX_EXPERIMENTS; and how many were left out.
 */
export function parseStoredExperiments(raw: unknown): { experiments: Experiment[]; skipped: number } {
  if (!Array.isArray(raw)) return { experiments: [], skipped: raw === undefined ? 0 : 1 };
  const experiments: Experiment[] = [];
  let skipped = 0;
  for (const entry of raw) {
    const parsed = v.safeParse(experimentSchema, entry);
    if (parsed.success && experiments.length < MAX_EXPERIMENTS) experiments.push(parsed.output);
    else skipped++;
  }
  return { experiments, skipped };
}

/** The newest `MAX_EXPERIMENTS` (the list is newest first): what is saved. */
export function newestExperiments(experiments: readonly Experiment[]): Experiment[] {
  return experiments.slice(0, MAX_EXPERIMENTS);
}

export const EXPERIMENT_CSV_HEADER = [
  'name',
  'kind',
  'task',
  'model',
  'classifier',
  'templates',
  'template_count',
  'calibration',
  'score_rule',
  'labels',
  'evaluated',
  'accuracy',
  'cv_accuracy',
  'macro_f1',
  'per_class_recall',
  'created_at',
  'run_id',
  'id',
] as const;

/** Fractions as written: enough digits to tell 1 in 1,000 items apart, no float noise. */
function fractionText(value: number | null): string {
  return value === null ? '' : String(Number(value.toFixed(6)));
}

/**
 * One CSV row per experiment under EXPERIMENT_CSV_HEADER, all text (the UI writes them with
 * papaparse). Templates are joined by new lines (a template may hold `|` or `;`); per-class
 * recall reads `label=0.9; other=` (empty: the class had no items).
 */
export function experimentsToCsvRows(experiments: readonly Experiment[]): string[][] {
  const rows: string[][] = [[...EXPERIMENT_CSV_HEADER]];
  for (const e of experiments) {
    rows.push([
      e.name,
      e.kind,
      e.task,
      e.modelId,
      e.classifier,
      e.templates.join('\n'),
      String(e.templates.length),
      e.calibration ?? '',
      e.aggregation ?? '',
      e.labels.join('\n'),
      String(e.evaluated),
      fractionText(e.accuracy),
      fractionText(e.cvAccuracy),
      fractionText(e.macroF1),
      e.labels.map((label, index) => `${label}=${fractionText(e.perClassRecall[index] ?? null)}`).join('; '),
      new Date(e.createdAt).toISOString(),
      e.runId ?? '',
      e.id,
    ]);
  }
  return rows;
}

/** The CSV export as text (formula-looking cells guarded, see csv.ts). */
export function experimentsToCsv(experiments: readonly Experiment[]): string {
  return toCsv(experimentsToCsvRows(experiments));
}

export const EXPERIMENTS_FILE_FORMAT = 'zero-shot-playground/experiments';
export const EXPERIMENTS_FILE_VERSION = 1;

/** The JSON export: every field of each experiment, readable back through `parseExperimentsJson`. */
export function experimentsToJson(experiments: readonly Experiment[]): string {
  return JSON.stringify({ format: EXPERIMENTS_FILE_FORMAT, version: EXPERIMENTS_FILE_VERSION, experiments }, null, 2);
}

const experimentsFileSchema = v.object({
  format: v.literal(EXPERIMENTS_FILE_FORMAT),
  version: v.literal(EXPERIMENTS_FILE_VERSION),
  experiments: experimentListSchema,
});

/** Reads an experiments JSON export back; throws with the first problem. */
export function parseExperimentsJson(text: string): Experiment[] {
  const parsed = v.safeParse(experimentsFileSchema, JSON.parse(text) as unknown);
  if (!parsed.success) {
    const issue = parsed.issues[0];
    const path = v.getDotPath(issue);
    throw new Error(`Not an experiments file: ${path ? `${path}: ` : ''}${issue.message}`);
  }
  return parsed.output.experiments;
}

/**
 * The winner among a grid run's experiments: the highest cross-validated accuracy (the figure
 * to trust); an experiment without one ranks below every one with one, and only when none has
 * a CV figure does in-sample accuracy decide. Ties: higher in-sample accuracy, then fewer
 * templates (cheaper, and less fitted to these items), then the earlier one.
 */
export function bestExperiment<E extends Pick<Experiment, 'accuracy' | 'cvAccuracy' | 'templates'>>(experiments: readonly E[]): E | null {
  const anyCv = experiments.some((e) => e.cvAccuracy !== null);
  const headline = (e: E) => (anyCv ? (e.cvAccuracy ?? Number.NEGATIVE_INFINITY) : e.accuracy);
  let best: E | null = null;
  for (const e of experiments) {
    if (
      best === null ||
      headline(e) > headline(best) ||
      (headline(e) === headline(best) &&
        (e.accuracy > best.accuracy || (e.accuracy === best.accuracy && e.templates.length < best.templates.length)))
    )
      best = e;
  }
  return best;
}
