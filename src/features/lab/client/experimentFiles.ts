/**
 * The experiments as files: CSV (one row per experiment, written by papaparse) and JSON (the
 * experiments as stored, for tools and for comparing runs elsewhere).
 */
import Papa from 'papaparse';
import type { Experiment } from '../../../lib/experiments';

export const EXPERIMENTS_FILE_FORMAT = 'zero-shot-playground/experiments';
export const EXPERIMENTS_FILE_VERSION = 1;

/** Templates and labels are joined by new lines inside their cell (a template may hold commas or `|`). */
export function experimentsCsv(experiments: readonly Experiment[]): string {
  const rows = experiments.map((e) => ({
    id: e.id,
    run_id: e.runId ?? '',
    task: e.task,
    model: e.modelId,
    created_at: new Date(e.createdAt).toISOString(),
    kind: e.kind,
    name: e.name,
    template_count: e.templates.length,
    templates: e.templates.join('\n'),
    labels: e.labels.join('\n'),
    calibration: e.calibration ?? '',
    score_rule: e.aggregation ?? '',
    classifier: e.classifier,
    evaluated: e.evaluated,
    accuracy: e.accuracy,
    cv_accuracy: e.cvAccuracy ?? '',
    macro_f1: e.macroF1 ?? '',
    per_class_recall: JSON.stringify(Object.fromEntries(e.labels.map((label, index) => [label, e.perClassRecall[index] ?? null]))),
  }));
  return Papa.unparse(rows, { newline: '\n' });
}

export function experimentsJson(experiments: readonly Experiment[]): string {
  return `${JSON.stringify({ format: EXPERIMENTS_FILE_FORMAT, version: EXPERIMENTS_FILE_VERSION, experiments }, null, 2)}\n`;
}

/** Per class (by label, the union of both experiments' labels), each one's recall and B − A. */
export function recallComparison(a: Experiment, b: Experiment): Array<{ label: string; recallA: number | null; recallB: number | null; delta: number | null }> {
  const recallOf = (experiment: Experiment, label: string) => {
    const index = experiment.labels.indexOf(label);
    return index < 0 ? null : (experiment.perClassRecall[index] ?? null);
  };
  const labels = [...new Set([...a.labels, ...b.labels])];
  return labels.map((label) => {
    const recallA = recallOf(a, label);
    const recallB = recallOf(b, label);
    return { label, recallA, recallB, delta: recallA !== null && recallB !== null ? recallB - recallA : null };
  });
}
