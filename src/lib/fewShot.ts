/**
 * Few-shot heads on frozen embeddings (level 4 of the talk): logistic regression (the CLIP
 * linear-probe recipe), cosine k-nearest-neighbours, and Tip-Adapter (training-free); their
 * hyperparameters chosen by stratified cross-validation on the training items; a blend with the
 * zero-shot scores; and the learning curve. CONTRACT (bodies to be written).
 */
import type { LogisticModel } from './logisticRegression';

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

export function trainHead(input: TrainHeadInput): TrainHeadResult {
  void input;
  throw new Error('not implemented');
}

/** Class probabilities of the head for the given rows (rows.length × classes, row-major). */
export function headProbabilities(head: TrainedHead, features: FeatureMatrix, rows: readonly number[], zeroShotLogits?: Float32Array | null): Float64Array {
  void head; void features; void rows; void zeroShotLogits;
  throw new Error('not implemented');
}

/** (1 − w)·head + w·zero-shot, per row; w = 0 is the head alone. */
export function blendProbabilities(head: ArrayLike<number>, zeroShot: ArrayLike<number>, zeroShotWeight: number): Float64Array {
  void head; void zeroShot; void zeroShotWeight;
  throw new Error('not implemented');
}

/** Tip-Adapter's logits: zero-shot + α · exp(−β(1 − f·Kᵀ)) · onehot(L), for the given rows. */
export function tipAdapterLogits(
  features: FeatureMatrix, rows: readonly number[], keys: Float32Array, keyLabels: Int32Array, classes: number,
  alpha: number, beta: number, zeroShotLogits: Float32Array | null,
): Float64Array {
  void features; void rows; void keys; void keyLabels; void classes; void alpha; void beta; void zeroShotLogits;
  throw new Error('not implemented');
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
  zeroShot: CurvePoint[];
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

/** Accuracy on the held-out rows of each split, for zero-shot and each head, as training examples per class grow. Null when cancelled. */
export function learningCurve(input: LearningCurveInput): LearningCurve | null {
  void input;
  throw new Error('not implemented');
}
