import { describe, expect, it } from 'vitest';
import { seededBytes, seededRandom } from './random';

describe('seededRandom', () => {
  it('repeats for a seed, differs across seeds, and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(first);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = first.reduce((s, x) => s + x, 0) / first.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('seededBytes', () => {
  it('gives the same bytes for a seed, other bytes for another, spread over the whole range', () => {
    expect(seededBytes(64, 7)).toEqual(seededBytes(64, 7));
    expect(seededBytes(64, 7)).not.toEqual(seededBytes(64, 8));
    const bytes = seededBytes(100_000, 1);
    const mean = bytes.reduce((sum, b) => sum + b, 0) / bytes.length;
    expect(mean).toBeGreaterThan(120);
    expect(mean).toBeLessThan(135);
    expect(new Set(bytes).size).toBe(256);
  });
});
