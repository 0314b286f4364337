/**
 * Classification metrics for a labelled set: accuracy, the confusion matrix (with a column for
 * "none of these"), per-class precision / recall / F1 and their macro averages, and the items
 * behind any cell of the matrix.
 *
 * Labels are matched with `labelIdentity` (case and spacing ignored), the same rule that merges
 * duplicate labels in the labels box, so a ground-truth CSV saying "Cat" counts for the class "cat".
 */
import { labelIdentity } from './labels';

/** What the caller passes for "the model (or the reviewer) picked none of the classes". */
export type Prediction = string | null;
/** A missing, null or blank truth means the item is not labelled yet and is left out. */
export type Truth = string | null | undefined;

export interface ClassMetrics {
  label: string;
  /** Items whose truth is this class. */
  support: number;
  /** Items predicted as this class (the column total). */
  predicted: number;
  truePositives: number;
  /** TP / predicted; null when the class was never predicted (0/0), rather than NaN. */
  precision: number | null;
  /** TP / support; null when no item has this class as truth. */
  recall: number | null;
  /**
   * 2·TP / (2·TP + FP + FN), which equals the harmonic mean of precision and recall when both
   * exist, and is still defined (0) for a class that has support but was never predicted. Null
   * only when the class is neither in the truth nor predicted.
   */
  f1: number | null;
}

export interface MacroAverages {
  /**
   * Unweighted means over the classes where the metric is defined (not null). A class that was
   * never predicted has no precision and is left out of the precision mean instead of counting
   * as 0 (scikit-learn's zero_division=0); its recall and F1 of 0 still pull those means down.
   */
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** How many classes each mean is over, so the UI can say "over 3 of 4 classes". */
  precisionClasses: number;
  recallClasses: number;
  f1Classes: number;
}

export interface ConfusionMatrix {
  /** Row and column order: the classes as given. */
  classes: string[];
  /**
   * counts[truthIndex][predictedIndex]: one row per class, one column per class plus a last
   * column (index classes.length) for items predicted as none of the classes.
   */
  counts: number[][];
}

export interface ClassificationReport {
  /** Items with a truth among the classes: the ones every number below is over. */
  evaluated: number;
  correct: number;
  /** correct / evaluated; null when nothing could be evaluated. */
  accuracy: number | null;
  confusion: ConfusionMatrix;
  perClass: ClassMetrics[];
  macro: MacroAverages;
  /** Indices of items left out because they have no truth yet. */
  unlabelled: number[];
  /**
   * Indices of items left out because their truth is not one of the classes (a label removed
   * since, or a typo in the imported CSV): the model could not have got them right, and they
   * have no row, so they are listed for the UI to point out rather than silently counted.
   */
  unknownTruth: number[];
  /**
   * Indices of evaluated items whose prediction is not one of the classes. They are counted in
   * the "none" column (the model picked none of *these* classes) and are wrong.
   */
  unknownPrediction: number[];
}

/** Column index of "none of these" in a confusion matrix over `classCount` classes. */
export function noneColumn(classCount: number): number {
  return classCount;
}

type CellPosition = { row: number; column: number } | { skipped: 'unlabelled' | 'unknownTruth' };

interface ClassIndex {
  indexOf(label: string): number | undefined;
  count: number;
}

/** Later classes that collide with an earlier one under labelIdentity map to the earlier one. */
function indexClasses(classes: readonly string[]): ClassIndex {
  const byIdentity = new Map<string, number>();
  classes.forEach((label, index) => {
    const identity = labelIdentity(label);
    if (!byIdentity.has(identity)) byIdentity.set(identity, index);
  });
  return { indexOf: (label) => byIdentity.get(labelIdentity(label)), count: classes.length };
}

/** Where one item lands in the matrix: the one rule both the counts and the cell listing use. */
function locate(truth: Truth, predicted: Prediction, index: ClassIndex): CellPosition & { unknownPrediction?: boolean } {
  if (truth === null || truth === undefined || truth.trim() === '') return { skipped: 'unlabelled' };
  const row = index.indexOf(truth);
  if (row === undefined) return { skipped: 'unknownTruth' };
  if (predicted === null) return { row, column: noneColumn(index.count) };
  const column = index.indexOf(predicted);
  if (column === undefined) return { row, column: noneColumn(index.count), unknownPrediction: true };
  return { row, column };
}

function checkLengths(truth: readonly Truth[], predicted: readonly Prediction[]): void {
  if (truth.length !== predicted.length)
    throw new Error(`metrics: ${truth.length} truth labels but ${predicted.length} predictions; they must be parallel`);
}

function ratio(numerator: number, denominator: number): number | null {
  return denominator > 0 ? numerator / denominator : null;
}

function meanOfDefined(values: readonly (number | null)[]): { mean: number | null; count: number } {
  const defined = values.filter((v): v is number => v !== null);
  return { mean: defined.length > 0 ? defined.reduce((s, v) => s + v, 0) / defined.length : null, count: defined.length };
}

export function classificationReport(
  truth: readonly Truth[],
  predicted: readonly Prediction[],
  classes: readonly string[],
): ClassificationReport {
  checkLengths(truth, predicted);
  const index = indexClasses(classes);
  const counts = classes.map(() => new Array<number>(classes.length + 1).fill(0));
  const unlabelled: number[] = [];
  const unknownTruth: number[] = [];
  const unknownPrediction: number[] = [];
  let evaluated = 0;
  let correct = 0;

  truth.forEach((itemTruth, item) => {
    const position = locate(itemTruth, predicted[item] ?? null, index);
    if ('skipped' in position) {
      (position.skipped === 'unlabelled' ? unlabelled : unknownTruth).push(item);
      return;
    }
    if (position.unknownPrediction) unknownPrediction.push(item);
    const row = counts[position.row] as number[];
    row[position.column] = (row[position.column] as number) + 1;
    evaluated++;
    if (position.row === position.column) correct++;
  });

  const perClass: ClassMetrics[] = classes.map((label, k) => {
    const row = counts[k] as number[];
    const truePositives = row[k] as number;
    const support = row.reduce((s, n) => s + n, 0);
    const predictedCount = counts.reduce((s, r) => s + (r[k] as number), 0);
    const falsePositives = predictedCount - truePositives;
    const falseNegatives = support - truePositives;
    return {
      label,
      support,
      predicted: predictedCount,
      truePositives,
      precision: ratio(truePositives, predictedCount),
      recall: ratio(truePositives, support),
      f1: ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives),
    };
  });

  const precision = meanOfDefined(perClass.map((c) => c.precision));
  const recall = meanOfDefined(perClass.map((c) => c.recall));
  const f1 = meanOfDefined(perClass.map((c) => c.f1));
  return {
    evaluated,
    correct,
    accuracy: ratio(correct, evaluated),
    confusion: { classes: [...classes], counts },
    perClass,
    macro: {
      precision: precision.mean,
      recall: recall.mean,
      f1: f1.mean,
      precisionClasses: precision.count,
      recallClasses: recall.count,
      f1Classes: f1.count,
    },
    unlabelled,
    unknownTruth,
    unknownPrediction,
  };
}

/**
 * The indices of the items counted in one cell of the confusion matrix, in item order.
 * `predictedClass` null is the "none" column (which also holds predictions outside the classes).
 */
export function itemsInCell(
  truth: readonly Truth[],
  predicted: readonly Prediction[],
  classes: readonly string[],
  truthClass: string,
  predictedClass: string | null,
): number[] {
  checkLengths(truth, predicted);
  const index = indexClasses(classes);
  const row = index.indexOf(truthClass);
  if (row === undefined) return [];
  let column: number;
  if (predictedClass === null) column = noneColumn(classes.length);
  else {
    const found = index.indexOf(predictedClass);
    if (found === undefined) return [];
    column = found;
  }
  const items: number[] = [];
  truth.forEach((itemTruth, item) => {
    const position = locate(itemTruth, predicted[item] ?? null, index);
    if (!('skipped' in position) && position.row === row && position.column === column) items.push(item);
  });
  return items;
}
