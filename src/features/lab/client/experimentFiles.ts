/** Comparing two experiments side by side (the files they export as are in lib/experiments.ts). */
import type { Experiment } from '../../../lib/experiments';

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
