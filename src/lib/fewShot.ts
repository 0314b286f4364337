/**
 * Few-shot heads on frozen embeddings (level 4 of the talk): logistic regression (the CLIP
 * linear-probe recipe), cosine k-nearest-neighbours, and Tip-Adapter (training-free); their
 * hyperparameters chosen by stratified cross-validation on the training items; a blend with the
 * zero-shot scores; and the learning curve.
 */
import { argmaxAt } from './scoring';
import { foldCount, stratifiedFolds, stratifiedSample } from './crossValidation';
import { fitLogistic, logisticLogits, projectRows, rowSpaceBasis, softmaxRows, type LogisticModel } from './logisticRegression';

export type HeadKind = 'logistic' | 'knn' | 'tip-adapter';
export const HEAD_KINDS: readonly HeadKind[] = ['logistic', 'knn', 'tip-adapter'];

/** Embeddings of every item: count × dim, row-major, each row L2-normalised. */
export interface FeatureMatrix {
  data: Float32Array;
  count: number;
  dim: number;
}

/** The C grid of the linear-probe recipe's search (log-spaced). */
export const LOGISTIC_C_GRID: readonly number[] = [0.01, 0.1, 1, 10, 100, 1000];
export const KNN_K_GRID: readonly number[] = [1, 3, 5, 7, 11];
export const TIP_ALPHA_GRID: readonly number[] = [0.1, 0.3, 1, 3, 10, 30];
export const TIP_BETA_GRID: readonly number[] = [1, 3, 5.5, 8, 12];

export type TrainedHead =
  | { kind: 'logistic'; classes: number; dim: number; model: LogisticModel; C: number }
  | { kind: 'knn'; classes: number; dim: number; k: number; keys: Float32Array; keyLabels: Int32Array }
  | { kind: 'tip-adapter'; classes: number; dim: number; alpha: number; beta: number; keys: Float32Array; keyLabels: Int32Array };

export interface TrainHeadInput {
  kind: HeadKind;
  features: FeatureMatrix;
  /** Indices of the training rows and their classes. */
  train: readonly number[];
  labels: readonly number[];
  classes: number;
  /** Zero-shot logits for every row (count × classes): Tip-Adapter adds to them. */
  zeroShotLogits?: Float32Array | null;
  /** Logistic regression starts from these weights (classes × dim), e.g. the text embeddings × logit scale. */
  initialWeights?: Float32Array | null;
  maxFolds: number;
  seed: number;
}

export interface TrainHeadResult {
  head: TrainedHead;
  /** Hyperparameters chosen by cross-validation, by name (C, k, alpha, beta); defaults when the data is too small to cross-validate. */
  chosen: Record<string, number>;
  /** Cross-validated accuracy of the chosen hyperparameters on the training items; null when it couldn't be cross-validated. */
  cvAccuracy: number | null;
  folds: number | null;
}

/** Hyperparameters used when the training items are too few to cross-validate (a class with fewer than 2). */
export const DEFAULT_HEAD_PARAMETERS = { C: 1, k: 1, alpha: 1, beta: 5.5 } as const;
/**
 * Gradient tolerance of the fits that only score a C on a held-out fold: scikit-learn's default
 * tol, which the CLIP linear-probe recipe used. The final refit converges tightly (fitLogistic's default).
 */
export const CV_LOGISTIC_TOLERANCE = 1e-4;
/** Folds of the cross-validation inside each learning-curve split (the k = 5 or fewer). */
export const LEARNING_CURVE_MAX_FOLDS = 5;
/**
 * kNN probabilities are vote fractions with this pseudo-count per class added (so no class is 0
 * and rows sum to 1); with k = 1 and 10 classes the winner gets 1.1 / 2 = 55%.
 */
export const KNN_PSEUDO_COUNT = 0.1;
/**
 * Weight of a class's mean neighbour similarity (in [−1, 1]) added to its vote count: below one
 * vote, so it only breaks ties between classes with equal votes, by summed similarity.
 */
const KNN_TIE_BREAK_WEIGHT = 1e-3;

// ---------------------------------------------------------------------------------------------
// Small helpers.

function checkRows(features: FeatureMatrix, rows: readonly number[], what: string): void {
  for (const row of rows)
    if (!Number.isInteger(row) || row < 0 || row >= features.count) throw new Error(`${what}: row ${row} is not one of the ${features.count} feature rows`);
}

/** The given rows as an n × dim Float64Array. */
function gatherRows(features: FeatureMatrix, rows: readonly number[]): Float64Array {
  const { data, dim } = features;
  const out = new Float64Array(rows.length * dim);
  rows.forEach((row, i) => {
    const start = row * dim;
    for (let d = 0; d < dim; d++) out[i * dim + d] = data[start + d] as number;
  });
  return out;
}

function gatherRows32(features: FeatureMatrix, rows: readonly number[]): Float32Array {
  const { data, dim } = features;
  const out = new Float32Array(rows.length * dim);
  rows.forEach((row, i) => out.set(data.subarray(row * dim, (row + 1) * dim), i * dim));
  return out;
}

/** f·k for a feature row against `keyCount` keys (row-major, dim wide). */
function similarities(features: FeatureMatrix, row: number, keys: ArrayLike<number>, keyCount: number, out: Float64Array): Float64Array {
  const { data, dim } = features;
  const start = row * dim;
  for (let j = 0; j < keyCount; j++) {
    const keyStart = j * dim;
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += (data[start + d] as number) * (keys[keyStart + d] as number);
    out[j] = sum;
  }
  return out;
}

/** Positions of the `count` largest similarities, largest first; equal ones in key order. */
function nearest(sims: Float64Array, keyCount: number, count: number): Int32Array {
  const take = Math.min(count, keyCount);
  const order = new Int32Array(take);
  let filled = 0;
  for (let j = 0; j < keyCount; j++) {
    const sim = sims[j] as number;
    if (filled === take && sim <= (sims[order[take - 1] as number] as number)) continue;
    let position = filled < take ? filled++ : take - 1;
    while (position > 0 && (sims[order[position - 1] as number] as number) < sim) {
      order[position] = order[position - 1] as number;
      position--;
    }
    order[position] = j;
  }
  return order;
}

/** Votes of the k nearest per class plus the tie-break (see KNN_TIE_BREAK_WEIGHT), written into `scores`. */
function knnScores(order: Int32Array, sims: Float64Array, keyLabels: ArrayLike<number>, k: number, scores: Float64Array): Float64Array {
  scores.fill(0);
  const used = Math.min(k, order.length);
  for (let j = 0; j < used; j++) {
    const key = order[j] as number;
    const label = keyLabels[key] as number;
    scores[label] = (scores[label] as number) + 1 + (KNN_TIE_BREAK_WEIGHT * (sims[key] as number)) / used;
  }
  return scores;
}

/** Σ_j exp(−β(1 − s_j)) · onehot(L_j), per class, written into `out`. */
function cacheAffinity(sims: Float64Array, keyLabels: ArrayLike<number>, keyCount: number, beta: number, out: Float64Array): Float64Array {
  out.fill(0);
  for (let j = 0; j < keyCount; j++) {
    const label = keyLabels[j] as number;
    out[label] = (out[label] as number) + Math.exp(-beta * (1 - (sims[j] as number)));
  }
  return out;
}

interface Split {
  fitPositions: number[];
  testPositions: number[];
}

/** The k train/test splits of positions 0..n-1 that stratified folds give. */
function foldSplits(labels: readonly number[], k: number, seed: number): Split[] {
  const fold = stratifiedFolds(labels, k, seed);
  return Array.from({ length: k }, (_, f) => {
    const fitPositions: number[] = [];
    const testPositions: number[] = [];
    for (let i = 0; i < labels.length; i++) (fold[i] === f ? testPositions : fitPositions).push(i);
    return { fitPositions, testPositions };
  });
}

/** Index of the best score, the first on ties (grids are ordered from the most regularised). */
function bestIndex(scores: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if ((scores[i] as number) > (scores[best] as number)) best = i;
  return best;
}

// ---------------------------------------------------------------------------------------------
// Training.

interface Prepared {
  features: FeatureMatrix;
  train: readonly number[];
  labels: readonly number[];
  classes: number;
  zeroShotLogits: Float32Array | null;
}

function trainLogistic(input: Prepared, initialWeights: Float32Array | null, splits: Split[] | null): TrainHeadResult {
  const { features, train, labels, classes } = input;
  const { dim } = features;
  const X = gatherRows(features, train);
  const start = initialWeights ?? undefined;
  let C: number = DEFAULT_HEAD_PARAMETERS.C;
  let cvAccuracy: number | null = null;
  if (splits !== null) {
    const correct = LOGISTIC_C_GRID.map(() => 0);
    for (const { fitPositions, testPositions } of splits) {
      const fitX = new Float64Array(fitPositions.length * dim);
      fitPositions.forEach((position, i) => fitX.set(X.subarray(position * dim, (position + 1) * dim), i * dim));
      const fitY = fitPositions.map((position) => labels[position] as number);
      const testX = new Float64Array(testPositions.length * dim);
      testPositions.forEach((position, i) => testX.set(X.subarray(position * dim, (position + 1) * dim), i * dim));
      // Fewer rows than dimensions: one row-space basis for the whole grid (fitLogistic would build it per fit).
      const space = fitPositions.length < dim ? rowSpaceBasis(fitX, fitPositions.length, dim) : null;
      const width = space?.rank ?? dim;
      const fitFeatures = space?.coordinates ?? fitX;
      const testFeatures = space === null ? testX : projectRows(testX, testPositions.length, dim, space);
      const foldStart = start === undefined || space === null ? start : projectRows(start, classes, dim, space);
      // Along the grid (weakest C first) each fit starts from the previous one's solution.
      let warm: LogisticModel | null = null;
      LOGISTIC_C_GRID.forEach((gridC, g) => {
        const model: LogisticModel = fitLogistic(fitFeatures, fitPositions.length, width, fitY, classes, {
          C: gridC,
          tolerance: CV_LOGISTIC_TOLERANCE,
          rowSpace: false,
          ...(warm !== null ? { initialWeights: warm.weights, initialBias: warm.bias } : foldStart !== undefined ? { initialWeights: foldStart } : {}),
        });
        warm = model;
        const logits = logisticLogits(model, testFeatures, testPositions.length);
        testPositions.forEach((position, i) => {
          if (argmaxAt(logits, i * classes, classes) === labels[position]) correct[g] = (correct[g] as number) + 1;
        });
      });
    }
    const best = bestIndex(correct);
    C = LOGISTIC_C_GRID[best] as number;
    cvAccuracy = (correct[best] as number) / train.length;
  }
  const model = fitLogistic(X, train.length, dim, labels, classes, { C, ...(start !== undefined ? { initialWeights: start } : {}) });
  const { iterations, ...fitted } = model;
  void iterations;
  return { head: { kind: 'logistic', classes, dim, model: fitted, C }, chosen: { C }, cvAccuracy, folds: splits?.length ?? null };
}

function trainKnn(input: Prepared, splits: Split[] | null): TrainHeadResult {
  const { features, train, labels, classes } = input;
  const keys = gatherRows32(features, train);
  const keyLabels = Int32Array.from(labels);
  let k: number = DEFAULT_HEAD_PARAMETERS.k;
  let cvAccuracy: number | null = null;
  if (splits !== null) {
    const smallestFit = Math.min(...splits.map((split) => split.fitPositions.length));
    const grid = KNN_K_GRID.filter((gridK) => gridK <= smallestFit);
    const maxK = Math.max(...grid);
    const correct = grid.map(() => 0);
    const scores = new Float64Array(classes);
    for (const { fitPositions, testPositions } of splits) {
      const fitKeys = gatherRows32(features, fitPositions.map((position) => train[position] as number));
      const fitLabels = fitPositions.map((position) => labels[position] as number);
      const sims = new Float64Array(fitPositions.length);
      for (const position of testPositions) {
        similarities(features, train[position] as number, fitKeys, fitPositions.length, sims);
        const order = nearest(sims, fitPositions.length, maxK);
        grid.forEach((gridK, g) => {
          if (argmaxAt(knnScores(order, sims, fitLabels, gridK, scores), 0, classes) === labels[position]) correct[g] = (correct[g] as number) + 1;
        });
      }
    }
    const best = bestIndex(correct);
    k = grid[best] as number;
    cvAccuracy = (correct[best] as number) / train.length;
  }
  return { head: { kind: 'knn', classes, dim: features.dim, k, keys, keyLabels }, chosen: { k }, cvAccuracy, folds: splits?.length ?? null };
}

function trainTipAdapter(input: Prepared, splits: Split[] | null): TrainHeadResult {
  const { features, train, labels, classes, zeroShotLogits } = input;
  const keys = gatherRows32(features, train);
  const keyLabels = Int32Array.from(labels);
  let alpha: number = DEFAULT_HEAD_PARAMETERS.alpha;
  let beta: number = DEFAULT_HEAD_PARAMETERS.beta;
  let cvAccuracy: number | null = null;
  if (splits !== null) {
    // correct[a][b] for TIP_ALPHA_GRID[a], TIP_BETA_GRID[b].
    const correct = TIP_ALPHA_GRID.map(() => TIP_BETA_GRID.map(() => 0));
    const affinity = new Float64Array(classes);
    for (const { fitPositions, testPositions } of splits) {
      const fitKeys = gatherRows32(features, fitPositions.map((position) => train[position] as number));
      const fitLabels = fitPositions.map((position) => labels[position] as number);
      const sims = new Float64Array(fitPositions.length);
      for (const position of testPositions) {
        const row = train[position] as number;
        similarities(features, row, fitKeys, fitPositions.length, sims);
        TIP_BETA_GRID.forEach((gridBeta, b) => {
          cacheAffinity(sims, fitLabels, fitPositions.length, gridBeta, affinity);
          TIP_ALPHA_GRID.forEach((gridAlpha, a) => {
            let best = 0;
            let bestLogit = -Infinity;
            for (let c = 0; c < classes; c++) {
              const logit = (zeroShotLogits === null ? 0 : (zeroShotLogits[row * classes + c] as number)) + gridAlpha * (affinity[c] as number);
              if (logit > bestLogit) {
                bestLogit = logit;
                best = c;
              }
            }
            const counts = correct[a] as number[];
            if (best === labels[position]) counts[b] = (counts[b] as number) + 1;
          });
        });
      }
    }
    const flat = correct.flat();
    const best = bestIndex(flat);
    alpha = TIP_ALPHA_GRID[Math.floor(best / TIP_BETA_GRID.length)] as number;
    beta = TIP_BETA_GRID[best % TIP_BETA_GRID.length] as number;
    cvAccuracy = (flat[best] as number) / train.length;
  }
  return { head: { kind: 'tip-adapter', classes, dim: features.dim, alpha, beta, keys, keyLabels }, chosen: { alpha, beta }, cvAccuracy, folds: splits?.length ?? null };
}

export function trainHead(input: TrainHeadInput): TrainHeadResult {
  const { features, train, labels, classes } = input;
  if (train.length !== labels.length) throw new Error(`${train.length} training rows but ${labels.length} labels`);
  if (train.length === 0) throw new Error('no training rows');
  checkRows(features, train, 'trainHead');
  for (const label of labels)
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new Error(`label ${label} is not a class in 0..${classes - 1}`);
  const zeroShotLogits = input.zeroShotLogits ?? null;
  if (zeroShotLogits !== null && zeroShotLogits.length !== features.count * classes)
    throw new Error(`zeroShotLogits holds ${zeroShotLogits.length} numbers, not count × classes = ${features.count * classes}`);
  const initialWeights = input.initialWeights ?? null;
  if (initialWeights !== null && initialWeights.length !== classes * features.dim)
    throw new Error(`initialWeights holds ${initialWeights.length} numbers, not classes × dim = ${classes * features.dim}`);

  const folds = foldCount(labels, input.maxFolds);
  const splits = folds === null ? null : foldSplits(labels, folds, input.seed);
  const prepared: Prepared = { features, train, labels, classes, zeroShotLogits };
  switch (input.kind) {
    case 'logistic':
      return trainLogistic(prepared, initialWeights, splits);
    case 'knn':
      return trainKnn(prepared, splits);
    case 'tip-adapter':
      return trainTipAdapter(prepared, splits);
  }
}

/** Class probabilities of the head for the given rows (rows.length × classes, row-major). */
export function headProbabilities(head: TrainedHead, features: FeatureMatrix, rows: readonly number[], zeroShotLogits?: Float32Array | null): Float64Array {
  if (head.dim !== features.dim) throw new Error(`the head reads ${head.dim}-dimensional embeddings, these are ${features.dim}-dimensional`);
  checkRows(features, rows, 'headProbabilities');
  const { classes } = head;
  switch (head.kind) {
    case 'logistic':
      return softmaxRows(logisticLogits(head.model, gatherRows(features, rows), rows.length), classes);
    case 'knn': {
      const keyCount = head.keyLabels.length;
      const sims = new Float64Array(keyCount);
      const scores = new Float64Array(classes);
      const out = new Float64Array(rows.length * classes);
      rows.forEach((row, i) => {
        similarities(features, row, head.keys, keyCount, sims);
        knnScores(nearest(sims, keyCount, head.k), sims, head.keyLabels, head.k, scores);
        let total = 0;
        for (let c = 0; c < classes; c++) total += (scores[c] as number) + KNN_PSEUDO_COUNT;
        for (let c = 0; c < classes; c++) out[i * classes + c] = ((scores[c] as number) + KNN_PSEUDO_COUNT) / total;
      });
      return out;
    }
    case 'tip-adapter':
      return softmaxRows(tipAdapterLogits(features, rows, head.keys, head.keyLabels, classes, head.alpha, head.beta, zeroShotLogits ?? null), classes);
  }
}

/** (1 − w)·head + w·zero-shot, per row; w = 0 is the head alone. */
export function blendProbabilities(head: ArrayLike<number>, zeroShot: ArrayLike<number>, zeroShotWeight: number): Float64Array {
  if (head.length !== zeroShot.length) throw new Error(`${head.length} head probabilities but ${zeroShot.length} zero-shot ones`);
  if (!(zeroShotWeight >= 0 && zeroShotWeight <= 1)) throw new Error(`the zero-shot weight must be in [0, 1], not ${zeroShotWeight}`);
  const out = new Float64Array(head.length);
  for (let i = 0; i < head.length; i++) out[i] = (1 - zeroShotWeight) * (head[i] as number) + zeroShotWeight * (zeroShot[i] as number);
  return out;
}

/** Tip-Adapter's logits: zero-shot + α · exp(−β(1 − f·Kᵀ)) · onehot(L), for the given rows. */
export function tipAdapterLogits(
  features: FeatureMatrix, rows: readonly number[], keys: Float32Array, keyLabels: Int32Array, classes: number,
  alpha: number, beta: number, zeroShotLogits: Float32Array | null,
): Float64Array {
  const keyCount = keyLabels.length;
  if (keys.length !== keyCount * features.dim) throw new Error(`keys hold ${keys.length} numbers, not ${keyCount} × ${features.dim}`);
  if (zeroShotLogits !== null && zeroShotLogits.length !== features.count * classes)
    throw new Error(`zeroShotLogits holds ${zeroShotLogits.length} numbers, not count × classes = ${features.count * classes}`);
  checkRows(features, rows, 'tipAdapterLogits');
  const sims = new Float64Array(keyCount);
  const affinity = new Float64Array(classes);
  const out = new Float64Array(rows.length * classes);
  rows.forEach((row, i) => {
    similarities(features, row, keys, keyCount, sims);
    cacheAffinity(sims, keyLabels, keyCount, beta, affinity);
    for (let c = 0; c < classes; c++)
      out[i * classes + c] = (zeroShotLogits === null ? 0 : (zeroShotLogits[row * classes + c] as number)) + alpha * (affinity[c] as number);
  });
  return out;
}

export interface CurvePoint {
  /** Labelled examples per class. */
  perClass: number;
  mean: number;
  std: number;
  /** Splits that had enough items. */
  splits: number;
}

export interface LearningCurve {
  sizes: number[];
  /** Empty when there are no zero-shot logits. */
  zeroShot: CurvePoint[];
  /** Heads not asked for have no points. */
  heads: Record<HeadKind, CurvePoint[]>;
}

export interface LearningCurveInput {
  features: FeatureMatrix;
  /** Rows with a class, and their classes (others are left out). */
  rows: readonly number[];
  labels: readonly number[];
  classes: number;
  zeroShotLogits: Float32Array | null;
  initialWeights?: Float32Array | null;
  /** 1, 2, 4, 8, 16, … while every class keeps at least one held-out item. */
  sizes?: readonly number[];
  splits: number;
  heads: readonly HeadKind[];
  seed: number;
  isCancelled?: () => boolean;
  onProgress?: (done: number, total: number) => void;
}

/** 1, 2, 4, 8, … up to `largest`. */
function powersOfTwoUpTo(largest: number): number[] {
  const sizes: number[] = [];
  for (let size = 1; size <= largest; size *= 2) sizes.push(size);
  return sizes;
}

function curvePoint(perClass: number, accuracies: readonly number[]): CurvePoint {
  const count = accuracies.length;
  const mean = accuracies.reduce((sum, value) => sum + value, 0) / count;
  // Sample standard deviation over the splits (0 for one split).
  const variance = count > 1 ? accuracies.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (count - 1) : 0;
  return { perClass, mean, std: Math.sqrt(variance), splits: count };
}

/** Seed of split s: the same at every size, so that (stratifiedSample nesting) the training sets grow by adding items. */
function splitSeed(seed: number, split: number): number {
  return (seed + Math.imul(split + 1, 0x9e3779b1)) >>> 0;
}

/** Accuracy on the held-out rows of each split, for zero-shot and each head, as training examples per class grow. Null when cancelled. */
export function learningCurve(input: LearningCurveInput): LearningCurve | null {
  const { features, rows, labels, classes, splits } = input;
  if (rows.length !== labels.length) throw new Error(`${rows.length} rows but ${labels.length} labels`);
  if (!(Number.isInteger(splits) && splits >= 1)) throw new Error(`splits must be a positive integer, not ${splits}`);
  checkRows(features, rows, 'learningCurve');
  const zeroShotLogits = input.zeroShotLogits;
  if (zeroShotLogits !== null && zeroShotLogits.length !== features.count * classes)
    throw new Error(`zeroShotLogits holds ${zeroShotLogits.length} numbers, not count × classes = ${features.count * classes}`);

  // Every class with items must keep one held out: at most (its count − 1) training items per class.
  const perClassCount = new Map<number, number>();
  for (const label of labels) perClassCount.set(label, (perClassCount.get(label) ?? 0) + 1);
  const largest = perClassCount.size === 0 ? 0 : Math.min(...perClassCount.values()) - 1;
  const sizes = (input.sizes ?? powersOfTwoUpTo(largest)).filter((size) => Number.isInteger(size) && size >= 1 && size <= largest);

  const heads = [...new Set(input.heads)];
  const accuracies = new Map<HeadKind, number[][]>(heads.map((kind) => [kind, sizes.map(() => [])]));
  const zeroShotAccuracies: number[][] = sizes.map(() => []);
  const total = sizes.length * splits * Math.max(1, heads.length);
  let done = 0;
  input.onProgress?.(done, total);

  for (let s = 0; s < sizes.length; s++) {
    const size = sizes[s] as number;
    for (let split = 0; split < splits; split++) {
      if (input.isCancelled?.() === true) return null;
      const seed = splitSeed(input.seed, split);
      const sample = stratifiedSample(labels, size, seed);
      const trainRows = sample.train.map((i) => rows[i] as number);
      const trainLabels = sample.train.map((i) => labels[i] as number);
      const heldRows = sample.rest.map((i) => rows[i] as number);
      const heldLabels = sample.rest.map((i) => labels[i] as number);

      if (zeroShotLogits !== null) {
        let correct = 0;
        heldRows.forEach((row, i) => {
          if (argmaxAt(zeroShotLogits, row * classes, classes) === heldLabels[i]) correct++;
        });
        zeroShotAccuracies[s]?.push(correct / heldRows.length);
      }
      for (const kind of heads) {
        if (input.isCancelled?.() === true) return null;
        const { head } = trainHead({
          kind, features, train: trainRows, labels: trainLabels, classes, zeroShotLogits, initialWeights: input.initialWeights ?? null,
          maxFolds: LEARNING_CURVE_MAX_FOLDS, seed,
        });
        const probabilities = headProbabilities(head, features, heldRows, zeroShotLogits);
        let correct = 0;
        heldLabels.forEach((label, i) => {
          if (argmaxAt(probabilities, i * classes, classes) === label) correct++;
        });
        accuracies.get(kind)?.[s]?.push(correct / heldRows.length);
        input.onProgress?.(++done, total);
      }
      if (heads.length === 0) input.onProgress?.(++done, total);
    }
  }

  const pointsOf = (perSize: number[][]): CurvePoint[] => perSize.map((values, s) => curvePoint(sizes[s] as number, values));
  return {
    sizes,
    zeroShot: zeroShotLogits === null ? [] : pointsOf(zeroShotAccuracies),
    heads: {
      logistic: pointsOf(accuracies.get('logistic') ?? []),
      knn: pointsOf(accuracies.get('knn') ?? []),
      'tip-adapter': pointsOf(accuracies.get('tip-adapter') ?? []),
    },
  };
}
