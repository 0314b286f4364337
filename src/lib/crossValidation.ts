/**
 * Stratified k-fold splits and stratified subsampling, seeded (the same seed gives the same folds).
 */
import { seededRandom } from './random';

/** Item indices of every class, classes in ascending order of their value, items in index order. */
function indicesByClass(truth: ArrayLike<number>): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < truth.length; i++) {
    const label = truth[i] as number;
    const members = byClass.get(label);
    if (members) members.push(i);
    else byClass.set(label, [i]);
  }
  return [...byClass.keys()].sort((x, y) => x - y).map((label) => byClass.get(label) ?? []);
}

/** Fisher–Yates in place with the given generator. */
function shuffleInPlace(values: number[], next: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const swap = values[i] as number;
    values[i] = values[j] as number;
    values[j] = swap;
  }
}

/** k for stratified k-fold: at most `maxFolds`, at most the smallest class's count, at least 2; null when some class has fewer than 2 items. */
export function foldCount(truth: ArrayLike<number>, maxFolds: number): number | null {
  const classes = indicesByClass(truth);
  if (classes.length === 0) return null;
  let smallest = Infinity;
  for (const members of classes) smallest = Math.min(smallest, members.length);
  if (smallest < 2) return null;
  return Math.max(2, Math.min(Math.floor(maxFolds), smallest));
}

/**
 * Fold index (0..k-1) of every item; each class is spread over the folds as evenly as it can be.
 * Each class is shuffled, then the classes (in ascending order) are dealt round-robin over the
 * folds, the deal continuing where the previous class stopped: every class's count per fold
 * differs by at most 1, and so do the folds' sizes.
 */
export function stratifiedFolds(truth: ArrayLike<number>, k: number, seed: number): Int32Array {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`fold count must be a positive integer, got ${k}`);
  const next = seededRandom(seed);
  const folds = new Int32Array(truth.length);
  let dealt = 0;
  for (const members of indicesByClass(truth)) {
    shuffleInPlace(members, next);
    for (const item of members) {
      folds[item] = dealt % k;
      dealt++;
    }
  }
  return folds;
}

/**
 * `perClass` random items of every class (fewer where a class has fewer), and the rest; indices into truth.
 * Both lists are in ascending order. With one seed, a smaller `perClass` picks a subset of what a
 * larger one picks (every class's shuffle does not depend on `perClass`), so learning curves nest.
 */
export function stratifiedSample(truth: ArrayLike<number>, perClass: number, seed: number): { train: number[]; rest: number[] } {
  const next = seededRandom(seed);
  const take = Math.max(0, Math.floor(perClass));
  const train: number[] = [];
  const rest: number[] = [];
  for (const members of indicesByClass(truth)) {
    shuffleInPlace(members, next);
    for (let j = 0; j < members.length; j++) (j < take ? train : rest).push(members[j] as number);
  }
  const ascending = (x: number, y: number) => x - y;
  return { train: train.sort(ascending), rest: rest.sort(ascending) };
}
