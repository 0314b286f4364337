import { describe, expect, it } from 'vitest';
import { classificationReport, itemsInCell, noneColumn, type Prediction, type Truth } from './metrics';

/**
 * The hand-worked example. Rows truth, columns predicted (cat, dog, bird, none):
 *   cat  [2, 1, 0, 1]  support 4
 *   dog  [1, 2, 0, 0]  support 3
 *   bird [0, 1, 0, 1]  support 2
 * Items 9 (no truth) and 10 (truth "zebra" is not a class) are left out: 9 evaluated, 4 correct.
 */
const classes = ['cat', 'dog', 'bird'];
const truth: Truth[] = ['cat', 'cat', 'cat', 'cat', 'dog', 'dog', 'dog', 'bird', 'bird', undefined, 'zebra'];
const predicted: Prediction[] = ['cat', 'cat', 'dog', null, 'dog', 'cat', 'dog', 'dog', null, 'cat', 'cat'];

describe('classificationReport on the 3-class example', () => {
  const report = classificationReport(truth, predicted, classes);

  it('builds the confusion matrix with a none column', () => {
    expect(report.confusion.classes).toEqual(classes);
    expect(report.confusion.counts).toEqual([
      [2, 1, 0, 1],
      [1, 2, 0, 0],
      [0, 1, 0, 1],
    ]);
    expect(noneColumn(classes.length)).toBe(3);
  });

  it('computes accuracy over items whose truth is a class, and lists the ones left out', () => {
    expect(report.evaluated).toBe(9);
    expect(report.correct).toBe(4);
    expect(report.accuracy).toBeCloseTo(4 / 9, 12);
    expect(report.unlabelled).toEqual([9]);
    expect(report.unknownTruth).toEqual([10]);
    expect(report.unknownPrediction).toEqual([]);
  });

  it('computes per-class precision, recall, F1 and support', () => {
    const [cat, dog, bird] = report.perClass;
    // cat: TP 2, predicted 3, support 4 → P 2/3, R 1/2, F1 2·2/(4+1+2) = 4/7.
    expect(cat).toMatchObject({ label: 'cat', support: 4, predicted: 3, truePositives: 2 });
    expect(cat!.precision).toBeCloseTo(2 / 3, 12);
    expect(cat!.recall).toBeCloseTo(1 / 2, 12);
    expect(cat!.f1).toBeCloseTo(4 / 7, 12);
    // dog: TP 2, predicted 4, support 3 → P 1/2, R 2/3, F1 4/(4+2+1) = 4/7.
    expect(dog).toMatchObject({ label: 'dog', support: 3, predicted: 4, truePositives: 2 });
    expect(dog!.precision).toBeCloseTo(1 / 2, 12);
    expect(dog!.recall).toBeCloseTo(2 / 3, 12);
    expect(dog!.f1).toBeCloseTo(4 / 7, 12);
    // bird: never predicted → precision null (not NaN); recall 0/2; F1 0/(0+0+2) = 0.
    expect(bird).toEqual({ label: 'bird', support: 2, predicted: 0, truePositives: 0, precision: null, recall: 0, f1: 0 });
  });

  it('averages over the classes where each metric is defined', () => {
    expect(report.macro.precision).toBeCloseTo((2 / 3 + 1 / 2) / 2, 12); // 7/12, bird left out
    expect(report.macro.precisionClasses).toBe(2);
    expect(report.macro.recall).toBeCloseTo((1 / 2 + 2 / 3 + 0) / 3, 12); // 7/18
    expect(report.macro.recallClasses).toBe(3);
    expect(report.macro.f1).toBeCloseTo((4 / 7 + 4 / 7 + 0) / 3, 12); // 8/21
    expect(report.macro.f1Classes).toBe(3);
  });

  it('F1 equals the harmonic mean of precision and recall where both exist', () => {
    for (const c of report.perClass) {
      if (c.precision === null || c.recall === null || c.precision + c.recall === 0) continue;
      expect(c.f1).toBeCloseTo((2 * c.precision * c.recall) / (c.precision + c.recall), 12);
    }
  });
});

describe('itemsInCell', () => {
  it('lists the items behind each cell, in item order', () => {
    expect(itemsInCell(truth, predicted, classes, 'cat', 'cat')).toEqual([0, 1]);
    expect(itemsInCell(truth, predicted, classes, 'cat', 'dog')).toEqual([2]);
    expect(itemsInCell(truth, predicted, classes, 'cat', null)).toEqual([3]);
    expect(itemsInCell(truth, predicted, classes, 'dog', 'cat')).toEqual([5]);
    expect(itemsInCell(truth, predicted, classes, 'bird', null)).toEqual([8]);
    expect(itemsInCell(truth, predicted, classes, 'bird', 'bird')).toEqual([]);
  });
  it('agrees with the counts for every cell', () => {
    const report = classificationReport(truth, predicted, classes);
    classes.forEach((row, r) =>
      [...classes, null].forEach((column, c) =>
        expect(itemsInCell(truth, predicted, classes, row, column)).toHaveLength(report.confusion.counts[r]![c]!),
      ),
    );
  });
  it('returns nothing for a class that is not in the list', () => {
    expect(itemsInCell(truth, predicted, classes, 'zebra', 'cat')).toEqual([]);
    expect(itemsInCell(truth, predicted, classes, 'cat', 'zebra')).toEqual([]);
  });
});

describe('classificationReport edge cases', () => {
  it('matches labels ignoring case and spacing, like the labels box', () => {
    const report = classificationReport(['Cat', ' big  dog '], ['cat', 'Big Dog'], ['cat', 'big dog']);
    expect(report.correct).toBe(2);
    expect(report.accuracy).toBe(1);
  });
  it('counts a prediction outside the classes in the none column, as wrong', () => {
    const report = classificationReport(['cat', 'dog'], ['cat', 'wolf'], ['cat', 'dog']);
    expect(report.confusion.counts).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(report.unknownPrediction).toEqual([1]);
    expect(report.accuracy).toBe(0.5);
    expect(itemsInCell(['cat', 'dog'], ['cat', 'wolf'], ['cat', 'dog'], 'dog', null)).toEqual([1]);
  });
  it('reports null, never NaN, when there is nothing to measure', () => {
    const empty = classificationReport([], [], ['cat', 'dog']);
    expect(empty.accuracy).toBeNull();
    expect(empty.perClass[0]).toEqual({ label: 'cat', support: 0, predicted: 0, truePositives: 0, precision: null, recall: null, f1: null });
    expect(empty.macro).toEqual({ precision: null, recall: null, f1: null, precisionClasses: 0, recallClasses: 0, f1Classes: 0 });
    const unlabelled = classificationReport([null, '', '  '], ['cat', null, 'dog'], ['cat', 'dog']);
    expect(unlabelled.unlabelled).toEqual([0, 1, 2]);
    expect(unlabelled.evaluated).toBe(0);
  });
  it('a class predicted but never true has precision 0 and no recall', () => {
    const report = classificationReport(['cat'], ['dog'], ['cat', 'dog']);
    expect(report.perClass[1]).toEqual({ label: 'dog', support: 0, predicted: 1, truePositives: 0, precision: 0, recall: null, f1: 0 });
  });
  it('refuses arrays of different lengths', () => {
    expect(() => classificationReport(['cat'], [], ['cat'])).toThrow(/parallel/);
  });
});
