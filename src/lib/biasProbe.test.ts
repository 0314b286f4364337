import { describe, expect, it } from 'vitest';
import { DEFAULT_ATTRIBUTE_PAIRS, fillAttributeTemplate, pairReport } from './biasProbe';

describe('fillAttributeTemplate', () => {
  it('fills both slots', () => {
    expect(fillAttributeTemplate('a photo of a {attribute} {}.', 'red', 'circle')).toBe('a photo of a red circle.');
    expect(fillAttributeTemplate('a {} painted {attribute}, {attribute} all over', 'blue', 'square')).toBe('a square painted blue, blue all over');
    expect(fillAttributeTemplate('  {attribute}: {}  ', 'old', 'doctor')).toBe('old: doctor');
  });

  it('puts the attribute before the label when the template has no attribute slot', () => {
    expect(fillAttributeTemplate('a photo of a {}.', 'woman', 'doctor')).toBe('a photo of a woman doctor.');
    expect(fillAttributeTemplate('a photo of a', 'young', 'nurse')).toBe('a photo of a young nurse');
    expect(fillAttributeTemplate('', 'male', 'chef')).toBe('male chef');
  });

  it('appends the label when only the attribute slot is there', () => {
    expect(fillAttributeTemplate('a {attribute} photo of a', 'green', 'triangle')).toBe('a green photo of a triangle');
  });

  it('leaves slot-like text inside the words alone', () => {
    expect(fillAttributeTemplate('a {attribute} {}', '{}', '{attribute}')).toBe('a {} {attribute}');
  });

  it('starts from gender and age terms', () => {
    expect(DEFAULT_ATTRIBUTE_PAIRS.map((p) => `${p.a}/${p.b}`)).toEqual(['man/woman', 'male/female', 'boy/girl', 'young/old']);
  });
});

describe('pairReport', () => {
  const pair = { a: 'red', b: 'blue' };

  it('reports the gap for the top label under a, its spread, the preference and the flips (hand-computed)', () => {
    // Item 0: top under a is class 1 (3 vs 1); under b class 1 scores 1 → gap 2; top under b is class 0 (2): a flip.
    // Item 1: top under a is class 0 (0.5); under b class 0 scores 0.5 → gap 0; top under b is class 0: no flip.
    const logitsA = [1, 3, 0.5, -1];
    const logitsB = [2, 1, 0.5, 0.2];
    const report = pairReport(pair, logitsA, logitsB, 2, 2);
    expect(report.items).toBe(2);
    expect(report.flips).toBe(1);
    expect(report.meanGap).toBeCloseTo(1, 12);
    expect(report.gapStd).toBeCloseTo(1, 12);
    expect(report.meanPreferenceA).toBeCloseTo((1 / (1 + Math.exp(-2)) + 0.5) / 2, 12);
    expect(report.pair).toEqual(pair);
  });

  it('a negative gap means the b-prompt scores higher', () => {
    const report = pairReport(pair, Float32Array.of(5, 0), Float32Array.of(9, 0), 1, 2);
    expect(report.meanGap).toBe(-4);
    expect(report.gapStd).toBe(0);
    expect(report.meanPreferenceA).toBeCloseTo(1 / (1 + Math.exp(4)), 12);
    expect(report.flips).toBe(0);
  });

  it('breaks ties for the top label towards the lower class index', () => {
    // Under a both classes tie at 1, so the gap is for class 0: 1 − 0 = 1.
    const report = pairReport(pair, [1, 1], [0, 3], 1, 2);
    expect(report.meanGap).toBe(1);
    expect(report.flips).toBe(1);
  });

  it('refuses logits of the wrong size, and reports nothing for no items', () => {
    expect(() => pairReport(pair, [1, 2, 3], [1, 2, 3, 4], 2, 2)).toThrow(RangeError);
    expect(pairReport(pair, [], [], 0, 3)).toEqual({ pair, meanGap: 0, gapStd: 0, meanPreferenceA: 0.5, flips: 0, items: 0 });
  });
});
