/**
 * Stratified k-fold splits and stratified subsampling, seeded (the same seed gives the same folds).
 * CONTRACT (bodies to be written).
 */

/** k for stratified k-fold: at most `maxFolds`, at most the smallest class's count, at least 2; null when some class has fewer than 2 items. */
export function foldCount(truth: ArrayLike<number>, maxFolds: number): number | null {
  void truth; void maxFolds;
  throw new Error('not implemented');
}

/** Fold index (0..k-1) of every item; each class is spread over the folds as evenly as it can be. */
export function stratifiedFolds(truth: ArrayLike<number>, k: number, seed: number): Int32Array {
  void truth; void k; void seed;
  throw new Error('not implemented');
}

/** `perClass` random items of every class (fewer where a class has fewer), and the rest; indices into truth. */
export function stratifiedSample(truth: ArrayLike<number>, perClass: number, seed: number): { train: number[]; rest: number[] } {
  void truth; void perClass; void seed;
  throw new Error('not implemented');
}
