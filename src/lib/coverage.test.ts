import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverageCurve, thresholdForAccuracy, type CoveragePoint } from './coverage';

/** Straight from the definition: for every distinct score t, the items whose score is ≥ t. */
function bruteForceCurve(scores: readonly number[], correct: readonly boolean[]): CoveragePoint[] {
  const thresholds = [...new Set(scores)].sort((x, y) => y - x);
  return thresholds.map((threshold) => {
    const keptItems = scores.map((s, i) => i).filter((i) => (scores[i] as number) >= threshold);
    const right = keptItems.filter((i) => correct[i]).length;
    return { threshold, coverage: keptItems.length / scores.length, accuracy: right / keptItems.length, kept: keptItems.length };
  });
}

// Scores from a few values, so ties are common.
const itemsArbitrary = fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }).map((n) => n / 12), fc.boolean()), { minLength: 1, maxLength: 80 });

describe('coverageCurve', () => {
  it('equals the brute-force curve', () => {
    fc.assert(fc.property(itemsArbitrary, (pairs) => {
      const scores = pairs.map(([s]) => s);
      const correct = pairs.map(([, c]) => c);
      const curve = coverageCurve(scores, correct);
      const expected = bruteForceCurve(scores, correct);
      expect(curve.length).toBe(expected.length);
      curve.forEach((point, k) => {
        const want = expected[k] as CoveragePoint;
        expect(point.threshold).toBe(want.threshold);
        expect(point.kept).toBe(want.kept);
        expect(point.coverage).toBeCloseTo(want.coverage, 12);
        expect(point.accuracy).toBeCloseTo(want.accuracy, 12);
      });
      expect(curve.at(-1)?.coverage).toBe(1);
    }));
  });

  it('works on a hand-made example', () => {
    const curve = coverageCurve([0.9, 0.5, 0.9, 0.2], [true, false, true, true]);
    expect(curve).toEqual([
      { threshold: 0.9, coverage: 0.5, accuracy: 1, kept: 2 },
      { threshold: 0.5, coverage: 0.75, accuracy: 2 / 3, kept: 3 },
      { threshold: 0.2, coverage: 1, accuracy: 0.75, kept: 4 },
    ]);
    expect(coverageCurve([], [])).toEqual([]);
  });

  it('refuses mismatched lengths and NaN scores', () => {
    expect(() => coverageCurve([0.1, 0.2], [true])).toThrow(RangeError);
    expect(() => coverageCurve([0.1, Number.NaN], [true, false])).toThrow(RangeError);
  });
});

describe('thresholdForAccuracy', () => {
  it('picks the lowest threshold whose kept items reach the target (brute force)', () => {
    fc.assert(fc.property(itemsArbitrary, fc.integer({ min: 0, max: 20 }).map((n) => n / 20), (pairs, target) => {
      const scores = pairs.map(([s]) => s);
      const correct = pairs.map(([, c]) => c);
      const curve = coverageCurve(scores, correct);
      const reaching = bruteForceCurve(scores, correct).filter((p) => p.accuracy >= target - 1e-12);
      const chosen = thresholdForAccuracy(curve, target);
      if (reaching.length === 0) expect(chosen).toBeNull();
      else {
        expect(chosen?.threshold).toBe(Math.min(...reaching.map((p) => p.threshold)));
        expect(chosen?.kept).toBe(Math.max(...reaching.map((p) => p.kept)));
      }
    }));
  });

  it('works on a hand-made example, where accuracy is not monotone in the threshold', () => {
    // Kept from the top: right, wrong, right, right → accuracies 1, 1/2, 2/3, 3/4.
    const curve = coverageCurve([0.9, 0.8, 0.7, 0.6], [true, false, true, true]);
    expect(thresholdForAccuracy(curve, 0.7)?.threshold).toBe(0.6);
    expect(thresholdForAccuracy(curve, 0.8)?.threshold).toBe(0.9);
    expect(thresholdForAccuracy(curve, 0.75)?.threshold).toBe(0.6);
    expect(thresholdForAccuracy(coverageCurve([0.5], [false]), 0.5)).toBeNull();
  });
});
