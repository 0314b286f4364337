import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../lib/experiments';
import { recallComparison } from './experimentFiles';

function experiment(patch: Partial<Experiment>): Experiment {
  return {
    id: 'e1',
    runId: 'r1',
    task: 'image',
    modelId: 'builtin/clip-shapes',
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    kind: 'single',
    name: 'a photo of a {}.',
    templates: ['a photo of a {}.'],
    labelsText: 'cat\ndog',
    labels: ['cat', 'dog'],
    calibration: null,
    aggregation: null,
    classifier: 'zero-shot',
    evaluated: 4,
    accuracy: 0.75,
    cvAccuracy: null,
    macroF1: 0.7,
    perClassRecall: [1, 0.5],
    perClassSupport: [2, 2],
    confusion: [[2, 0], [1, 1]],
    ...patch,
  };
}

describe('experiment comparison', () => {
  it('compares per-class recall by label, with B − A, and no delta where one lacks the class', () => {
    const a = experiment({ labels: ['cat', 'dog'], perClassRecall: [1, 0.5] });
    const b = experiment({ labels: ['dog', 'cat', 'fox'], perClassRecall: [0.75, 0.5, null] });
    expect(recallComparison(a, b)).toEqual([
      { label: 'cat', recallA: 1, recallB: 0.5, delta: -0.5 },
      { label: 'dog', recallA: 0.5, recallB: 0.75, delta: 0.25 },
      { label: 'fox', recallA: null, recallB: null, delta: null },
    ]);
  });
});
