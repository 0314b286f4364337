import { describe, expect, it } from 'vitest';
import { stratifiedFolds } from './crossValidation';
import {
  DEFAULT_HEAD_PARAMETERS, HEAD_KINDS, KNN_K_GRID, LOGISTIC_C_GRID, blendProbabilities, headProbabilities, learningCurve, tipAdapterLogits, trainHead,
  type FeatureMatrix, type TrainedHead,
} from './fewShot';
import { fitLogistic, logisticProbabilities } from './logisticRegression';
import { seededRandom } from './random';

/** Seeded unit-norm rows around per-class mean directions (learnable, overlapping), and poor zero-shot logits. */
function syntheticProblem(options: { classes: number; perClass: number; dim: number; noise: number; seed: number }) {
  const { classes, perClass, dim, noise, seed } = options;
  const next = seededRandom(seed);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const normalise = (row: Float64Array): Float64Array => {
    const norm = Math.hypot(...row);
    return row.map((value) => value / norm);
  };
  const means = Array.from({ length: classes }, () => normalise(Float64Array.from({ length: dim }, gaussian)));
  const count = classes * perClass;
  const data = new Float32Array(count * dim);
  const labels: number[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % classes;
    labels.push(label);
    const mean = means[label] as Float64Array;
    data.set(normalise(mean.map((value) => value + noise * gaussian())), i * dim);
  }
  // Zero-shot: the class means' similarity, blurred by heavy noise (better than chance, far from perfect).
  const zeroShotLogits = new Float32Array(count * classes);
  for (let i = 0; i < count; i++)
    for (let c = 0; c < classes; c++) {
      let sim = 0;
      for (let d = 0; d < dim; d++) sim += (data[i * dim + d] as number) * ((means[c] as Float64Array)[d] as number);
      zeroShotLogits[i * classes + c] = 10 * sim + 6 * gaussian();
    }
  const features: FeatureMatrix = { data, count, dim };
  return { features, labels, rows: labels.map((_, i) => i), zeroShotLogits, means };
}

function argmaxRows(values: ArrayLike<number>, width: number): number[] {
  const out: number[] = [];
  for (let start = 0; start < values.length; start += width) {
    let best = 0;
    for (let c = 1; c < width; c++) if ((values[start + c] as number) > (values[start + best] as number)) best = c;
    out.push(best);
  }
  return out;
}

/** The kNN rule written the obvious way: sort every key by similarity, vote, break ties by summed similarity. */
function bruteForceKnn(features: FeatureMatrix, row: number, keys: Float32Array, keyLabels: ArrayLike<number>, k: number, classes: number): number {
  const { data, dim } = features;
  const sims = Array.from({ length: keyLabels.length }, (_, j) => {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += (data[row * dim + d] as number) * (keys[j * dim + d] as number);
    return { j, sum };
  });
  sims.sort((a, b) => b.sum - a.sum || a.j - b.j);
  const votes = new Array<number>(classes).fill(0);
  const summed = new Array<number>(classes).fill(0);
  for (const { j, sum } of sims.slice(0, k)) {
    const label = keyLabels[j] as number;
    votes[label] = (votes[label] as number) + 1;
    summed[label] = (summed[label] as number) + sum;
  }
  let best = 0;
  for (let c = 1; c < classes; c++) {
    const ahead = (votes[c] as number) > (votes[best] as number) || ((votes[c] as number) === (votes[best] as number) && (summed[c] as number) > (summed[best] as number));
    if (ahead) best = c;
  }
  return best;
}

function unitRows(rows: number[][]): FeatureMatrix {
  const dim = rows[0]?.length ?? 0;
  return { data: Float32Array.from(rows.flat()), count: rows.length, dim };
}

describe('kNN head', () => {
  const problem = syntheticProblem({ classes: 4, perClass: 15, dim: 12, noise: 0.5, seed: 7 });
  const train = problem.rows.filter((row) => row % 3 !== 0);
  const held = problem.rows.filter((row) => row % 3 === 0);
  const trainLabels = train.map((row) => problem.labels[row] as number);

  it('predicts what the brute-force rule predicts, for every k of the grid', () => {
    const keys = Float32Array.from(train.flatMap((row) => Array.from(problem.features.data.subarray(row * 12, (row + 1) * 12))));
    for (const k of KNN_K_GRID) {
      const head: TrainedHead = { kind: 'knn', classes: 4, dim: 12, k, keys, keyLabels: Int32Array.from(trainLabels) };
      const predicted = argmaxRows(headProbabilities(head, problem.features, held), 4);
      expect(predicted).toEqual(held.map((row) => bruteForceKnn(problem.features, row, keys, trainLabels, k, 4)));
    }
  });

  it('breaks a tied vote by summed similarity, not by the nearest key', () => {
    // Query (1, 0). Class 0 keys at similarity 0.9 and 0.1; class 1 keys at 0.6 and 0.5: 2 votes each, class 1 sums more.
    const angle = (cos: number): number[] => [cos, Math.sqrt(1 - cos * cos)];
    const keys = Float32Array.from([angle(0.9), angle(0.1), angle(0.6), angle(0.5)].flat());
    const features = unitRows([[1, 0]]);
    const head: TrainedHead = { kind: 'knn', classes: 2, dim: 2, k: 4, keys, keyLabels: Int32Array.from([0, 0, 1, 1]) };
    const probabilities = headProbabilities(head, features, [0]);
    expect(argmaxRows(probabilities, 2)).toEqual([1]);
    expect(bruteForceKnn(features, 0, keys, [0, 0, 1, 1], 4, 2)).toBe(1);
    // k = 1: the nearest alone.
    expect(argmaxRows(headProbabilities({ ...head, k: 1 }, features, [0]), 2)).toEqual([0]);
  });

  it('chooses k by cross-validation: the k with the best pooled held-out accuracy over the same folds', () => {
    const result = trainHead({ kind: 'knn', features: problem.features, train, labels: trainLabels, classes: 4, maxFolds: 5, seed: 3 });
    expect(result.folds).toBe(5);
    const fold = stratifiedFolds(trainLabels, 5, 3);
    const accuracyOf = (k: number): number => {
      let correct = 0;
      train.forEach((row, i) => {
        const fitPositions = train.map((_, j) => j).filter((j) => fold[j] !== fold[i]);
        const keys = Float32Array.from(fitPositions.flatMap((j) => Array.from(problem.features.data.subarray((train[j] as number) * 12, ((train[j] as number) + 1) * 12))));
        if (bruteForceKnn(problem.features, row, keys, fitPositions.map((j) => trainLabels[j] as number), k, 4) === trainLabels[i]) correct++;
      });
      return correct / train.length;
    };
    const accuracies = KNN_K_GRID.map(accuracyOf);
    const best = Math.max(...accuracies);
    expect(result.cvAccuracy).toBeCloseTo(best, 12);
    expect(result.chosen.k).toBe(KNN_K_GRID[accuracies.indexOf(best)]);
    expect(result.head.kind === 'knn' && result.head.k).toBe(result.chosen.k);
  });

  it('keeps k within the training folds when the training set is small', () => {
    // 2 per class, 3 classes: 2 folds of 3 fitting items each, so k ∈ {1, 3}.
    const small = syntheticProblem({ classes: 3, perClass: 2, dim: 6, noise: 0.3, seed: 11 });
    const result = trainHead({ kind: 'knn', features: small.features, train: small.rows, labels: small.labels, classes: 3, maxFolds: 5, seed: 1 });
    expect(result.folds).toBe(2);
    expect([1, 3]).toContain(result.chosen.k);
  });
});

describe('Tip-Adapter', () => {
  // One query f = (1, 0); keys k0 = (1, 0) of class 0 and k1 = (0.6, 0.8) of class 1: f·K = (1, 0.6).
  const features = unitRows([[1, 0]]);
  const keys = Float32Array.from([1, 0, 0.6, 0.8]);
  const keyLabels = Int32Array.from([0, 1]);
  const zeroShot = Float32Array.from([0.5, 1]);

  it('adds α · exp(−β(1 − f·k)) per key to its class logit (hand-computed)', () => {
    const logits = tipAdapterLogits(features, [0], keys, keyLabels, 2, 2, 5, zeroShot);
    // Class 0: 0.5 + 2·exp(0) = 2.5; class 1: 1 + 2·exp(−5 · 0.4) = 1 + 2e⁻² = 1.2706705664732254.
    expect(logits[0]).toBeCloseTo(2.5, 6);
    expect(logits[1]).toBeCloseTo(1.2706705664732254, 6);
    // Without zero-shot logits, the cache term alone.
    const cacheOnly = tipAdapterLogits(features, [0], keys, keyLabels, 2, 1, 5, null);
    expect(cacheOnly[0]).toBeCloseTo(1, 6);
    expect(cacheOnly[1]).toBeCloseTo(Math.exp(-2), 6);
  });

  it('with α = 0 is the zero-shot classifier', () => {
    const problem = syntheticProblem({ classes: 3, perClass: 10, dim: 8, noise: 0.6, seed: 5 });
    const train = problem.rows.slice(0, 15);
    const keys = Float32Array.from(train.flatMap((row) => Array.from(problem.features.data.subarray(row * 8, (row + 1) * 8))));
    const keyLabelsOfTrain = Int32Array.from(train.map((row) => problem.labels[row] as number));
    const logits = tipAdapterLogits(problem.features, problem.rows, keys, keyLabelsOfTrain, 3, 0, 5.5, problem.zeroShotLogits);
    expect(Array.from(logits)).toEqual(Array.from(problem.zeroShotLogits));
    const head: TrainedHead = { kind: 'tip-adapter', classes: 3, dim: 8, alpha: 0, beta: 5.5, keys, keyLabels: keyLabelsOfTrain };
    const probabilities = headProbabilities(head, problem.features, problem.rows, problem.zeroShotLogits);
    expect(argmaxRows(probabilities, 3)).toEqual(argmaxRows(problem.zeroShotLogits, 3));
    const first = Array.from(problem.zeroShotLogits.subarray(0, 3), Math.exp);
    const total = first.reduce((sum, value) => sum + value, 0);
    first.forEach((value, c) => expect(probabilities[c]).toBeCloseTo(value / total, 6));
  });

  it('chooses α and β by cross-validation from the grids', () => {
    const problem = syntheticProblem({ classes: 3, perClass: 10, dim: 8, noise: 0.6, seed: 5 });
    const result = trainHead({ kind: 'tip-adapter', features: problem.features, train: problem.rows, labels: problem.labels, classes: 3, zeroShotLogits: problem.zeroShotLogits, maxFolds: 5, seed: 2 });
    expect(result.folds).toBe(5);
    expect(result.cvAccuracy).toBeGreaterThan(0.5);
    expect(result.head.kind === 'tip-adapter' && [result.head.alpha, result.head.beta]).toEqual([result.chosen.alpha, result.chosen.beta]);
  });
});

describe('logistic head', () => {
  const problem = syntheticProblem({ classes: 3, perClass: 12, dim: 10, noise: 0.7, seed: 21 });

  it('chooses C from the grid by cross-validation and refits on every training item with it', () => {
    const result = trainHead({ kind: 'logistic', features: problem.features, train: problem.rows, labels: problem.labels, classes: 3, maxFolds: 4, seed: 9 });
    expect(result.folds).toBe(4);
    expect(LOGISTIC_C_GRID).toContain(result.chosen.C);
    expect(result.cvAccuracy).toBeGreaterThan(1 / 3);
    const X = Float64Array.from(problem.features.data);
    const direct = fitLogistic(X, problem.features.count, 10, problem.labels, 3, { C: result.chosen.C as number });
    const probabilities = headProbabilities(result.head, problem.features, problem.rows);
    const expected = logisticProbabilities(direct, X, problem.features.count);
    probabilities.forEach((value, i) => expect(value).toBeCloseTo(expected[i] as number, 5));
  });

  it('starting from zero-shot weights reaches the same head (the objective is convex)', () => {
    const initialWeights = Float32Array.from({ length: 30 }, (_, i) => 10 * Math.sin(i));
    const plain = trainHead({ kind: 'logistic', features: problem.features, train: problem.rows, labels: problem.labels, classes: 3, maxFolds: 4, seed: 9 });
    const warm = trainHead({ kind: 'logistic', features: problem.features, train: problem.rows, labels: problem.labels, classes: 3, initialWeights, maxFolds: 4, seed: 9 });
    expect(warm.chosen).toEqual(plain.chosen);
    const a = headProbabilities(plain.head, problem.features, problem.rows);
    const b = headProbabilities(warm.head, problem.features, problem.rows);
    a.forEach((value, i) => expect(value).toBeCloseTo(b[i] as number, 5));
  });
});

describe('trainHead', () => {
  it('uses the defaults and reports no cross-validation when a class has a single training item', () => {
    const problem = syntheticProblem({ classes: 3, perClass: 3, dim: 6, noise: 0.3, seed: 4 });
    const train = [0, 1, 2, 3, 4]; // classes 0, 1, 2, 0, 1: class 2 has one item
    const labels = train.map((row) => problem.labels[row] as number);
    for (const kind of HEAD_KINDS) {
      const result = trainHead({ kind, features: problem.features, train, labels, classes: 3, zeroShotLogits: problem.zeroShotLogits, maxFolds: 5, seed: 1 });
      expect(result.cvAccuracy).toBeNull();
      expect(result.folds).toBeNull();
      const expected = { logistic: { C: DEFAULT_HEAD_PARAMETERS.C }, knn: { k: DEFAULT_HEAD_PARAMETERS.k }, 'tip-adapter': { alpha: DEFAULT_HEAD_PARAMETERS.alpha, beta: DEFAULT_HEAD_PARAMETERS.beta } }[kind];
      expect(result.chosen).toEqual(expected);
    }
  });

  it('refuses rows and labels that do not fit', () => {
    const problem = syntheticProblem({ classes: 2, perClass: 3, dim: 4, noise: 0.3, seed: 4 });
    const base = { kind: 'knn' as const, features: problem.features, classes: 2, maxFolds: 5, seed: 1 };
    expect(() => trainHead({ ...base, train: [0, 1], labels: [0] })).toThrow(/labels/);
    expect(() => trainHead({ ...base, train: [0, 99], labels: [0, 1] })).toThrow(/row 99/);
    expect(() => trainHead({ ...base, train: [0, 1], labels: [0, 2] })).toThrow(/not a class/);
  });
});

describe('headProbabilities', () => {
  it('gives rows that sum to 1 for every head kind, on rows it was not trained on', () => {
    const problem = syntheticProblem({ classes: 4, perClass: 8, dim: 10, noise: 0.6, seed: 13 });
    const train = problem.rows.filter((row) => row < 20);
    const held = problem.rows.filter((row) => row >= 20);
    for (const kind of HEAD_KINDS) {
      const { head } = trainHead({ kind, features: problem.features, train, labels: train.map((row) => problem.labels[row] as number), classes: 4, zeroShotLogits: problem.zeroShotLogits, maxFolds: 5, seed: 1 });
      const probabilities = headProbabilities(head, problem.features, held, problem.zeroShotLogits);
      expect(probabilities.length).toBe(held.length * 4);
      for (let i = 0; i < held.length; i++) {
        let sum = 0;
        for (let c = 0; c < 4; c++) {
          const p = probabilities[i * 4 + c] as number;
          expect(p).toBeGreaterThan(0);
          sum += p;
        }
        expect(sum).toBeCloseTo(1, 12);
      }
    }
  });

  it('refuses features of another dimension', () => {
    const head: TrainedHead = { kind: 'knn', classes: 2, dim: 3, k: 1, keys: new Float32Array(3), keyLabels: Int32Array.from([0]) };
    expect(() => headProbabilities(head, unitRows([[1, 0]]), [0])).toThrow(/3-dimensional/);
  });
});

describe('blendProbabilities', () => {
  it('mixes head and zero-shot by the weight', () => {
    const head = [0.8, 0.2, 0.1, 0.9];
    const zeroShot = [0.4, 0.6, 0.5, 0.5];
    expect(Array.from(blendProbabilities(head, zeroShot, 0))).toEqual(head);
    expect(Array.from(blendProbabilities(head, zeroShot, 1))).toEqual(zeroShot);
    const quarter = blendProbabilities(head, zeroShot, 0.25);
    [0.7, 0.3, 0.2, 0.8].forEach((value, i) => expect(quarter[i]).toBeCloseTo(value, 12));
    expect(() => blendProbabilities(head, [0.5], 0.5)).toThrow();
    expect(() => blendProbabilities(head, zeroShot, 1.5)).toThrow(/\[0, 1\]/);
  });
});

describe('learningCurve', () => {
  const problem = syntheticProblem({ classes: 5, perClass: 12, dim: 16, noise: 0.35, seed: 99 });
  const input = {
    features: problem.features, rows: problem.rows, labels: problem.labels, classes: 5, zeroShotLogits: problem.zeroShotLogits,
    splits: 3, heads: HEAD_KINDS, seed: 17,
  };

  it('grows 1, 2, 4, 8 per class while every class keeps a held-out item, with a point per size for zero-shot and each head', () => {
    const progress: [number, number][] = [];
    const curve = learningCurve({ ...input, onProgress: (done, total) => progress.push([done, total]) });
    if (curve === null) throw new Error('not cancelled, yet no curve');
    // 12 per class: at most 11 for training, so 1, 2, 4, 8 (16 would leave none held out).
    expect(curve.sizes).toEqual([1, 2, 4, 8]);
    for (const points of [curve.zeroShot, curve.heads.logistic, curve.heads.knn, curve.heads['tip-adapter']]) {
      expect(points.map((point) => point.perClass)).toEqual([1, 2, 4, 8]);
      for (const point of points) {
        expect(point.splits).toBe(3);
        expect(point.mean).toBeGreaterThanOrEqual(0);
        expect(point.mean).toBeLessThanOrEqual(1);
        expect(point.std).toBeGreaterThanOrEqual(0);
      }
    }
    expect(progress.at(-1)).toEqual([4 * 3 * 3, 4 * 3 * 3]);
  });

  it('shows heads that learn: well above chance (20%) and above the poor zero-shot at 8 per class', () => {
    const curve = learningCurve(input);
    if (curve === null) throw new Error('no curve');
    const zeroShotAt8 = curve.zeroShot.at(-1)?.mean ?? 1;
    for (const kind of HEAD_KINDS) {
      const at8 = curve.heads[kind].at(-1)?.mean ?? 0;
      expect(at8).toBeGreaterThan(0.6);
      expect(at8).toBeGreaterThan(zeroShotAt8);
      // More examples help the trained heads on this problem.
      expect(at8).toBeGreaterThan(curve.heads[kind][0]?.mean ?? 1);
    }
    expect(zeroShotAt8).toBeGreaterThan(0.2);
  });

  it('computes only the heads asked for, and no zero-shot curve without zero-shot logits', () => {
    const curve = learningCurve({ ...input, zeroShotLogits: null, heads: ['knn'], sizes: [1, 4, 50] });
    expect(curve?.sizes).toEqual([1, 4]);
    expect(curve?.zeroShot).toEqual([]);
    expect(curve?.heads.logistic).toEqual([]);
    expect(curve?.heads.knn.length).toBe(2);
  });

  it('is the same for the same seed, and stops with null when cancelled', () => {
    const small = { ...input, heads: ['knn', 'tip-adapter'] as const, sizes: [2, 4] };
    expect(learningCurve(small)).toEqual(learningCurve(small));
    let calls = 0;
    expect(learningCurve({ ...small, isCancelled: () => ++calls > 2 })).toBeNull();
  });
});
