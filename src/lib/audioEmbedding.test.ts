import { describe, expect, it } from 'vitest';
import { clipEmbeddingFromWindows, coveredEncoderPositions, meanPoolFrames } from './audioEmbedding';

describe('coveredEncoderPositions', () => {
  it('counts 1500 positions per 30 s window: 50 per second, rounded up, at least one', () => {
    expect(coveredEncoderPositions(16_000, 16_000, 30, 1500)).toBe(50);
    expect(coveredEncoderPositions(16_000 * 30, 16_000, 30, 1500)).toBe(1500);
    expect(coveredEncoderPositions(16_000 * 40, 16_000, 30, 1500)).toBe(1500);
    expect(coveredEncoderPositions(8_001, 16_000, 30, 1500)).toBe(26);
    expect(coveredEncoderPositions(1, 16_000, 30, 1500)).toBe(1);
    // A smaller encoder (fewer positions for the same 30 s) scales the same way.
    expect(coveredEncoderPositions(16_000 * 3, 16_000, 30, 150)).toBe(15);
  });
});

describe('meanPoolFrames', () => {
  it('averages only the covered rows, so the padding never enters', () => {
    // 4 positions × 2 wide; the last two rows stand for padding with very different values.
    const hidden = Float32Array.from([1, 2, 3, 6, 100, -100, 100, -100]);
    expect(Array.from(meanPoolFrames(hidden, 4, 2, 2))).toEqual([2, 4]);
    expect(Array.from(meanPoolFrames(hidden, 4, 2, 1))).toEqual([1, 2]);
    expect(Array.from(meanPoolFrames(hidden, 4, 2, 4))).toEqual([51, -48]);
    // Out-of-range counts are clamped to the rows there are.
    expect(Array.from(meanPoolFrames(hidden, 4, 2, 9))).toEqual([51, -48]);
  });
});

describe('clipEmbeddingFromWindows', () => {
  it('averages the window vectors and normalises the mean to unit length', () => {
    const embedding = clipEmbeddingFromWindows([Float32Array.from([3, 0]), Float32Array.from([0, 4]), Float32Array.from([3, 4])]);
    // mean (2, 8/3) → direction (3, 4)
    expect(embedding[0]).toBeCloseTo(0.6, 6);
    expect(embedding[1]).toBeCloseTo(0.8, 6);
    expect(clipEmbeddingFromWindows([])).toHaveLength(0);
  });
});
