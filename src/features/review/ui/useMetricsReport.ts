import { useMemo } from 'react';
import { classificationReport, type ClassificationReport } from '../../../lib/metrics';
import { evaluationOf } from '../../../lib/review';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { reviewItemsOf } from '../../../store/reviewSlice';
import { useTaskLabels } from './useTaskReview';

export interface MetricsReport {
  /** Null without ground truth (nothing to evaluate). */
  report: ClassificationReport | null;
  /** Items that have ground truth. */
  withTruth: number;
  /** Ground-truth classes that are not among the labels. */
  missingClasses: string[];
  labels: string[];
}

/** Distinct ground-truth classes, in the order first seen. */
function truthClasses(truths: readonly (string | null)[]): string[] {
  return [...new Set(truths.filter((truth): truth is string => truth !== null && truth.trim() !== ''))];
}

/**
 * The metrics of what the items currently show against their ground truth, computed once for the
 * tab label (accuracy) and the metrics view (the rest).
 */
export function useMetricsReport(task: Task): MetricsReport {
  const items = useAppStore((s) => reviewItemsOf(s, task).items);
  const order = useAppStore((s) => reviewItemsOf(s, task).order);
  const labels = useTaskLabels(task);
  const withTruth = useMemo(() => order.filter((id) => (items[id]?.truth ?? null) !== null), [order, items]);
  // Without ground truth (the usual case while a batch runs) there is nothing to evaluate on each update.
  const report = useMemo(() => {
    if (withTruth.length === 0) return null;
    const evaluation = evaluationOf(order, items);
    return classificationReport(evaluation.truth, evaluation.predicted, labels);
  }, [withTruth, order, items, labels]);
  const missingClasses = useMemo(() => {
    const folderClasses = truthClasses(withTruth.map((id) => items[id]?.truth ?? null));
    return folderClasses.filter((truth) => !labels.some((label) => label.trim().toLowerCase() === truth.trim().toLowerCase()));
  }, [withTruth, items, labels]);
  return { report, withTruth: withTruth.length, missingClasses, labels };
}
