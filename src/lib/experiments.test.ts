import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { parseCsv } from './csv';
import {
  EXPERIMENT_CSV_HEADER,
  MAX_EXPERIMENTS,
  experimentListSchema,
  experimentSchema,
  bestExperiment,
  experimentsToCsv,
  experimentsToCsvRows,
  experimentsToJson,
  newestExperiments,
  parseExperimentsJson,
  parseStoredExperiments,
  type Experiment,
} from './experiments';

function experiment(overrides: Partial<Experiment> = {}): Experiment {
  return {
    id: 'exp-1',
    runId: 'run-1',
    task: 'image',
    modelId: 'builtin/clip-shapes',
    createdAt: Date.UTC(2026, 0, 2, 3, 4, 5),
    kind: 'single',
    name: 'a photo of a {}.',
    templates: ['a photo of a {}.'],
    labelsText: 'cat: a tabby cat | a kitten\ndog',
    labels: ['cat', 'dog'],
    calibration: null,
    aggregation: null,
    classifier: 'zero-shot',
    evaluated: 10,
    accuracy: 0.7,
    cvAccuracy: 0.6,
    macroF1: 0.69,
    perClassRecall: [0.8, 0.6],
    perClassSupport: [5, 5],
    confusion: [
      [4, 1],
      [2, 3],
    ],
    ...overrides,
  };
}

describe('experimentSchema', () => {
  it('accepts an experiment as the lab makes it and gives back the same fields', () => {
    const e = experiment({ task: 'audio', calibration: 'prior', aggregation: 'sum-with-eot', cvAccuracy: null, perClassRecall: [null, 1] });
    expect(v.parse(experimentSchema, e)).toEqual(e);
  });

  it('drops unknown fields (a newer app version may add some)', () => {
    expect(v.parse(experimentSchema, { ...experiment(), extra: 1 })).toEqual(experiment());
  });

  it('refuses out-of-range figures, unknown kinds and shapes that do not match the labels', () => {
    const refused = (e: unknown) => !v.safeParse(experimentSchema, e).success;
    expect(refused(experiment({ accuracy: 1.2 }))).toBe(true);
    expect(refused(experiment({ cvAccuracy: Number.NaN }))).toBe(true);
    expect(refused(experiment({ evaluated: 1.5 }))).toBe(true);
    expect(refused({ ...experiment(), kind: 'magic' })).toBe(true);
    expect(refused({ ...experiment(), calibration: 'loud' })).toBe(true);
    expect(refused(experiment({ perClassRecall: [1] }))).toBe(true);
    expect(refused(experiment({ perClassSupport: [1, 2, 3] }))).toBe(true);
    expect(refused(experiment({ confusion: [[1, 2]] }))).toBe(true);
    expect(refused(experiment({ confusion: [[1], [2]] }))).toBe(true);
    expect(refused(experiment({ confusion: [[1, -1], [0, 0]] }))).toBe(true);
    expect(refused(experiment({ labels: [] , perClassRecall: [], perClassSupport: [], confusion: [] }))).toBe(true);
    const { name: _name, ...withoutName } = experiment();
    expect(refused(withoutName)).toBe(true);
  });

  it('limits a list to MAX_EXPERIMENTS', () => {
    const many = Array.from({ length: MAX_EXPERIMENTS + 1 }, (_, i) => experiment({ id: `e${i}` }));
    expect(v.safeParse(experimentListSchema, many).success).toBe(false);
    expect(v.safeParse(experimentListSchema, many.slice(1)).success).toBe(true);
  });
});

describe('parseStoredExperiments', () => {
  it('keeps the valid ones in order and counts the rest; a missing list is none, not a problem', () => {
    const good = [experiment({ id: 'a' }), experiment({ id: 'b' })];
    expect(parseStoredExperiments([good[0], { id: 'broken' }, good[1]])).toEqual({ experiments: good, skipped: 1 });
    expect(parseStoredExperiments(undefined)).toEqual({ experiments: [], skipped: 0 });
    expect(parseStoredExperiments('not a list')).toEqual({ experiments: [], skipped: 1 });
  });

  it('keeps the newest MAX_EXPERIMENTS of a list that is too long', () => {
    const many = Array.from({ length: MAX_EXPERIMENTS + 2 }, (_, i) => experiment({ id: `e${i}` }));
    const { experiments, skipped } = parseStoredExperiments(many);
    expect(experiments).toHaveLength(MAX_EXPERIMENTS);
    expect(experiments[0]?.id).toBe('e0');
    expect(skipped).toBe(2);
    expect(newestExperiments(many).map((e) => e.id)).toEqual(experiments.map((e) => e.id));
  });
});

describe('experimentsToCsvRows', () => {
  it('writes a header and one row per experiment with every figure', () => {
    const rows = experimentsToCsvRows([experiment({ templates: ['a {}', 'b {}'], kind: 'ensemble', name: 'ensemble of 2' })]);
    expect(rows[0]).toEqual([...EXPERIMENT_CSV_HEADER]);
    const row = Object.fromEntries(EXPERIMENT_CSV_HEADER.map((column, i) => [column, rows[1]?.[i]]));
    expect(row).toEqual({
      name: 'ensemble of 2',
      kind: 'ensemble',
      task: 'image',
      model: 'builtin/clip-shapes',
      classifier: 'zero-shot',
      templates: 'a {}\nb {}',
      template_count: '2',
      calibration: '',
      score_rule: '',
      labels: 'cat\ndog',
      evaluated: '10',
      accuracy: '0.7',
      cv_accuracy: '0.6',
      macro_f1: '0.69',
      per_class_recall: 'cat=0.8; dog=0.6',
      created_at: '2026-01-02T03:04:05.000Z',
      run_id: 'run-1',
      id: 'exp-1',
    });
  });

  it('leaves missing figures empty and does not print float noise', () => {
    const rows = experimentsToCsvRows([experiment({ cvAccuracy: null, macroF1: null, accuracy: 0.1 + 0.2, perClassRecall: [null, 0.5], runId: null })]);
    const row = rows[1] ?? [];
    expect(row[EXPERIMENT_CSV_HEADER.indexOf('cv_accuracy')]).toBe('');
    expect(row[EXPERIMENT_CSV_HEADER.indexOf('accuracy')]).toBe('0.3');
    expect(row[EXPERIMENT_CSV_HEADER.indexOf('per_class_recall')]).toBe('cat=; dog=0.5');
    expect(row[EXPERIMENT_CSV_HEADER.indexOf('run_id')]).toBe('');
  });

  it('round-trips through a CSV reader (papaparse and ours), templates with commas and quotes included', () => {
    const tricky = experiment({ templates: ['=cmd {}', 'a "photo", of {}'], name: 'a "photo", of {}' });
    const rows = experimentsToCsvRows([tricky]);
    expect(Papa.parse<string[]>(Papa.unparse(rows)).data).toEqual(rows);
    // Our writer guards the formula-looking template with a quote.
    const read = parseCsv(experimentsToCsv([tricky]));
    expect(read[1]?.[EXPERIMENT_CSV_HEADER.indexOf('templates')]).toBe(`'=cmd {}\na "photo", of {}`);
    expect(read[1]?.[0]).toBe('a "photo", of {}');
  });
});

describe('experiments JSON', () => {
  it('round-trips every field', () => {
    const list = [experiment({ id: 'a' }), experiment({ id: 'b', task: 'audio', calibration: 'zero-input', aggregation: 'mean' })];
    expect(parseExperimentsJson(experimentsToJson(list))).toEqual(list);
  });

  it('refuses another file, saying what is wrong', () => {
    expect(() => parseExperimentsJson(JSON.stringify({ format: 'other', version: 1, experiments: [] }))).toThrow(/format/);
    const bad = JSON.parse(experimentsToJson([experiment()])) as { experiments: Array<Record<string, unknown>> };
    bad.experiments[0]!.accuracy = 2;
    expect(() => parseExperimentsJson(JSON.stringify(bad))).toThrow(/experiments\.0\.accuracy/);
  });
});

describe('bestExperiment', () => {
  const pick = (list: Array<Pick<Experiment, 'accuracy' | 'cvAccuracy' | 'templates'> & { id: string }>) => bestExperiment(list)?.id ?? null;

  it('picks the highest cross-validated accuracy, not the highest in-sample one', () => {
    expect(
      pick([
        { id: 'overfit', accuracy: 0.95, cvAccuracy: 0.7, templates: ['a', 'b', 'c'] },
        { id: 'honest', accuracy: 0.85, cvAccuracy: 0.8, templates: ['a'] },
      ]),
    ).toBe('honest');
  });

  it('ranks an experiment without a CV figure below those with one, whatever its accuracy', () => {
    expect(
      pick([
        { id: 'no-cv', accuracy: 1, cvAccuracy: null, templates: ['a'] },
        { id: 'cv', accuracy: 0.5, cvAccuracy: 0.4, templates: ['a'] },
      ]),
    ).toBe('cv');
  });

  it('uses in-sample accuracy when no experiment has a CV figure', () => {
    expect(
      pick([
        { id: 'low', accuracy: 0.5, cvAccuracy: null, templates: ['a'] },
        { id: 'high', accuracy: 0.9, cvAccuracy: null, templates: ['a', 'b'] },
      ]),
    ).toBe('high');
  });

  it('breaks ties by higher accuracy, then fewer templates, then the earlier one', () => {
    expect(
      pick([
        { id: 'tie-lower-acc', accuracy: 0.8, cvAccuracy: 0.8, templates: ['a'] },
        { id: 'tie-higher-acc', accuracy: 0.9, cvAccuracy: 0.8, templates: ['a', 'b'] },
      ]),
    ).toBe('tie-higher-acc');
    expect(
      pick([
        { id: 'three', accuracy: 0.9, cvAccuracy: 0.8, templates: ['a', 'b', 'c'] },
        { id: 'one', accuracy: 0.9, cvAccuracy: 0.8, templates: ['a'] },
        { id: 'one-later', accuracy: 0.9, cvAccuracy: 0.8, templates: ['b'] },
      ]),
    ).toBe('one');
    expect(pick([])).toBeNull();
  });
});
