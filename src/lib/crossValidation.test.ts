import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { foldCount, stratifiedFolds, stratifiedSample } from './crossValidation';

/** Labels 0..classes-1, at least one item each so every class exists. */
const truthArbitrary = fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 120 });

function countsPerFold(truth: readonly number[], folds: Int32Array, k: number): Map<number, number[]> {
  const counts = new Map<number, number[]>();
  truth.forEach((label, i) => {
    const row = counts.get(label) ?? new Array<number>(k).fill(0);
    const fold = folds[i] as number;
    row[fold] = (row[fold] as number) + 1;
    counts.set(label, row);
  });
  return counts;
}

describe('foldCount', () => {
  it('is capped by maxFolds and by the smallest class, and is at least 2', () => {
    expect(foldCount([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1], 5)).toBe(5);
    expect(foldCount([0, 0, 0, 1, 1, 1, 1, 1, 1, 1], 5)).toBe(3);
    expect(foldCount([0, 0, 1, 1], 5)).toBe(2);
    expect(foldCount([0, 0, 0, 1, 1, 1], 1)).toBe(2);
    expect(foldCount([3, 3, 3, 3, 7, 7, 7, 7], 10)).toBe(4);
  });

  it('is null when a class has fewer than 2 items, or there are no items', () => {
    expect(foldCount([0, 0, 0, 1], 5)).toBeNull();
    expect(foldCount([], 5)).toBeNull();
  });

  it('agrees with its definition on random labels', () => {
    fc.assert(fc.property(truthArbitrary, fc.integer({ min: 1, max: 10 }), (truth, maxFolds) => {
      const counts = new Map<number, number>();
      for (const label of truth) counts.set(label, (counts.get(label) ?? 0) + 1);
      const smallest = Math.min(...counts.values());
      const expected = smallest < 2 ? null : Math.max(2, Math.min(maxFolds, smallest));
      expect(foldCount(truth, maxFolds)).toBe(expected);
    }));
  });
});

describe('stratifiedFolds', () => {
  it('puts every item in a fold 0..k-1, each class within 1 of even per fold, and the folds within 1 of each other', () => {
    fc.assert(fc.property(truthArbitrary, fc.integer({ min: 1, max: 8 }), fc.integer(), (truth, k, seed) => {
      const folds = stratifiedFolds(truth, k, seed);
      expect(folds.length).toBe(truth.length);
      for (const fold of folds) expect(fold >= 0 && fold < k).toBe(true);
      for (const row of countsPerFold(truth, folds, k).values()) expect(Math.max(...row) - Math.min(...row)).toBeLessThanOrEqual(1);
      const sizes = new Array<number>(k).fill(0);
      for (const fold of folds) sizes[fold] = (sizes[fold] as number) + 1;
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }));
  });

  it('gives every fold at least one item of every class when k comes from foldCount', () => {
    fc.assert(fc.property(truthArbitrary, fc.integer({ min: 2, max: 6 }), fc.integer(), (truth, maxFolds, seed) => {
      const k = foldCount(truth, maxFolds);
      fc.pre(k !== null);
      if (k === null) return;
      for (const row of countsPerFold(truth, stratifiedFolds(truth, k, seed), k).values()) expect(Math.min(...row)).toBeGreaterThanOrEqual(1);
    }));
  });

  it('is the same for the same seed and differs between seeds', () => {
    const truth = Array.from({ length: 200 }, (_, i) => i % 4);
    expect(stratifiedFolds(truth, 5, 42)).toEqual(stratifiedFolds(truth, 5, 42));
    expect(stratifiedFolds(truth, 5, 42)).not.toEqual(stratifiedFolds(truth, 5, 43));
  });

  it('shuffles within classes rather than dealing items in index order', () => {
    const truth = new Array<number>(100).fill(0);
    const folds = stratifiedFolds(truth, 5, 7);
    const inOrder = Int32Array.from(truth, (_, i) => i % 5);
    expect(folds).not.toEqual(inOrder);
  });

  it('refuses a fold count that is not a positive integer', () => {
    expect(() => stratifiedFolds([0, 1], 0, 1)).toThrow(RangeError);
    expect(() => stratifiedFolds([0, 1], 2.5, 1)).toThrow(RangeError);
  });
});

describe('stratifiedSample', () => {
  it('takes min(perClass, class size) of every class, and the rest is the complement', () => {
    fc.assert(fc.property(truthArbitrary, fc.integer({ min: 0, max: 10 }), fc.integer(), (truth, perClass, seed) => {
      const { train, rest } = stratifiedSample(truth, perClass, seed);
      expect([...train, ...rest].sort((x, y) => x - y)).toEqual(truth.map((_, i) => i));
      const totals = new Map<number, number>();
      const taken = new Map<number, number>();
      for (const label of truth) totals.set(label, (totals.get(label) ?? 0) + 1);
      for (const i of train) {
        const label = truth[i] as number;
        taken.set(label, (taken.get(label) ?? 0) + 1);
      }
      for (const [label, total] of totals) expect(taken.get(label) ?? 0).toBe(Math.min(perClass, total));
    }));
  });

  it('is deterministic by seed, and smaller samples nest in larger ones', () => {
    const truth = Array.from({ length: 300 }, (_, i) => i % 3);
    expect(stratifiedSample(truth, 8, 5)).toEqual(stratifiedSample(truth, 8, 5));
    expect(stratifiedSample(truth, 8, 5).train).not.toEqual(stratifiedSample(truth, 8, 6).train);
    const small = new Set(stratifiedSample(truth, 2, 9).train);
    const large = new Set(stratifiedSample(truth, 16, 9).train);
    for (const i of small) expect(large.has(i)).toBe(true);
  });
});
