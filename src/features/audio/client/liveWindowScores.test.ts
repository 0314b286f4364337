import { describe, expect, it } from 'vitest';
import { liveCalibration, liveWindowProbabilities } from './liveWindowScores';

const softmax = (xs: number[]) => {
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

describe('liveWindowProbabilities', () => {
  it('softmaxes raw log-space scores without calibration', () => {
    const probs = Array.from(liveWindowProbabilities([-1, -3, -2], 'none', null, null));
    softmax([-1, -3, -2]).forEach((p, i) => expect(probs[i]).toBeCloseTo(p, 12));
  });

  it('subtracts the silent clip’s scores under zero-input calibration (and ranks differently for it)', () => {
    const raw = [-1, -1.5];
    const zero = [-0.2, -2];
    const probs = Array.from(liveWindowProbabilities(raw, 'zero-input', zero, null));
    softmax([-0.8, 0.5]).forEach((p, i) => expect(probs[i]).toBeCloseTo(p, 12));
    expect(probs[1]).toBeGreaterThan(probs[0]!);
    // Until the silent clip's scores are known the window is shown uncalibrated.
    expect(Array.from(liveWindowProbabilities(raw, 'zero-input', null, null))[0]).toBeCloseTo(softmax(raw)[0]!, 12);
  });

  it('blends a head’s probabilities by its zero-shot weight, and ignores a head that sent none or has weight 1', () => {
    const raw = [0, 0];
    const head = [0.9, 0.1];
    const blended = Array.from(liveWindowProbabilities(raw, 'none', null, { probabilities: head, zeroShotWeight: 0.25 }));
    expect(blended[0]).toBeCloseTo(0.75 * 0.9 + 0.25 * 0.5, 12);
    expect(blended[1]).toBeCloseTo(0.75 * 0.1 + 0.25 * 0.5, 12);
    expect(Array.from(liveWindowProbabilities(raw, 'none', null, { probabilities: null, zeroShotWeight: 0.25 }))).toEqual([0.5, 0.5]);
    expect(Array.from(liveWindowProbabilities(raw, 'none', null, { probabilities: head, zeroShotWeight: 1 }))).toEqual([0.5, 0.5]);
  });

  it('prior matching falls back to none for live windows; zero-input stays', () => {
    expect(liveCalibration('prior')).toBe('none');
    expect(liveCalibration('none')).toBe('none');
    expect(liveCalibration('zero-input')).toBe('zero-input');
  });
});
