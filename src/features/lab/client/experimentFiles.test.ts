import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import type { Experiment } from '../../../lib/experiments';
import { EXPERIMENTS_FILE_FORMAT, experimentsCsv, experimentsJson, recallComparison } from './experimentFiles';

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

describe('experiment files', () => {
  it('CSV: one row per experiment, a template with a comma and a quote survives the round trip', () => {
    const tricky = 'a "photo", of a {}.';
    const csv = experimentsCsv([experiment({}), experiment({ id: 'e2', kind: 'greedy', templates: [tricky, 'art of the {}.'], cvAccuracy: 0.5 })]);
    const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
    expect(parsed.errors).toEqual([]);
    expect(parsed.data).toHaveLength(2);
    const [first, second] = parsed.data as [Record<string, string>, Record<string, string>];
    expect(first).toMatchObject({ id: 'e1', kind: 'single', accuracy: '0.75', cv_accuracy: '', created_at: '2026-01-02T03:04:05.000Z' });
    expect(second['templates']!.split('\n')).toEqual([tricky, 'art of the {}.']);
    expect(second).toMatchObject({ template_count: '2', cv_accuracy: '0.5' });
    expect(JSON.parse(second['per_class_recall']!)).toEqual({ cat: 1, dog: 0.5 });
  });

  it('JSON keeps the experiments as they are', () => {
    const experiments = [experiment({})];
    expect(JSON.parse(experimentsJson(experiments))).toEqual({ format: EXPERIMENTS_FILE_FORMAT, version: 1, experiments });
  });

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
