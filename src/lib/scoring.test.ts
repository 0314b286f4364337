import { describe, expect, it } from 'vitest';
import { cosineSimilarities, l2Normalize, rankLabels, sameRanking, scoreLabels, sigmoid, softmax } from './scoring';

describe('softmax', () => {
  it('matches hand-computed values', () => {
    const p = softmax([1, 2, 3]);
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0]! + e[1]! + e[2]!;
    p.forEach((x, i) => expect(x).toBeCloseTo(e[i]! / z, 12));
  });
  it('is stable for large logits and sums to one', () => {
    const p = softmax([1000, 1001, 999]);
    expect(p.every(Number.isFinite)).toBe(true);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(p[1]).toBeGreaterThan(p[0]!);
  });
  it('handles an empty input', () => {
    expect(softmax([])).toEqual([]);
  });
});

describe('sigmoid', () => {
  it('matches the definition on both sides of zero without overflow', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 12);
    expect(sigmoid(-2)).toBeCloseTo(1 / (1 + Math.exp(2)), 12);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
});

describe('scoreLabels', () => {
  const image = l2Normalize([1, 0]);
  const texts = [l2Normalize([1, 0]), l2Normalize([1, 1]), l2Normalize([0, 1])];
  const cosines = cosineSimilarities(image, texts);

  it('computes cosines of unit vectors', () => {
    expect(cosines[0]).toBeCloseTo(1, 6);
    expect(cosines[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(cosines[2]).toBeCloseTo(0, 6);
  });
  it('CLIP: softmax over scale times cosine', () => {
    const scores = scoreLabels(cosines, { kind: 'softmax', logitScale: 100 });
    const expected = softmax(cosines.map((c) => 100 * c));
    scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i]!, 12));
    expect(scores.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
  it('SigLIP: independent sigmoid of scale times cosine plus bias', () => {
    const scores = scoreLabels(cosines, { kind: 'sigmoid', logitScale: 10, logitBias: -5 });
    scores.forEach((s, i) => expect(s).toBeCloseTo(1 / (1 + Math.exp(-(10 * cosines[i]! - 5))), 12));
  });
});

describe('l2Normalize and rankLabels', () => {
  it('normalises to unit length and leaves a zero vector at zero', () => {
    const v = l2Normalize([3, 4]);
    expect(v[0]).toBeCloseTo(0.6, 6);
    expect(v[1]).toBeCloseTo(0.8, 6);
    expect(Array.from(l2Normalize([0, 0]))).toEqual([0, 0]);
  });
  it('sorts by score descending, ties in label order', () => {
    expect(rankLabels(['a', 'b', 'c'], [0.2, 0.5, 0.2])).toEqual([
      { label: 'b', score: 0.5 },
      { label: 'a', score: 0.2 },
      { label: 'c', score: 0.2 },
    ]);
  });
});

describe('sameRanking', () => {
  it('is true only for the same labels in the same order with the same scores', () => {
    const ranking = rankLabels(['a', 'b'], [0.2, 0.8]);
    expect(sameRanking(ranking, rankLabels(['a', 'b'], [0.2, 0.8]))).toBe(true);
    expect(sameRanking(ranking, rankLabels(['a', 'b'], [0.3, 0.7]))).toBe(false);
    expect(sameRanking(ranking, rankLabels(['a', 'c'], [0.2, 0.8]))).toBe(false);
    expect(sameRanking(ranking, rankLabels(['a'], [1]))).toBe(false);
  });
});
