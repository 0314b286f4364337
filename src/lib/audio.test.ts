import { describe, expect, it } from 'vitest';
import {
  averageWindowScores,
  clipProblem,
  downmixToMono,
  formatDuration,
  resample,
  resamplingsForClip,
  splitIntoWindows,
  waveformPeaks,
  windowNote,
} from './audio';

function sine(frequencyHz: number, rateHz: number, seconds: number): Float32Array {
  const out = new Float32Array(Math.round(rateHz * seconds));
  for (let i = 0; i < out.length; i++) out[i] = Math.sin((2 * Math.PI * frequencyHz * i) / rateHz);
  return out;
}

/** RMS of the middle half (away from the edges, where the kernel runs off the signal). */
function middleRms(x: Float32Array): number {
  const from = Math.floor(x.length / 4);
  const to = Math.floor((3 * x.length) / 4);
  let sum = 0;
  for (let i = from; i < to; i++) sum += (x[i] as number) ** 2;
  return Math.sqrt(sum / (to - from));
}

describe('downmixToMono', () => {
  it('averages channels', () => {
    const mono = downmixToMono([Float32Array.of(1, 0, -1), Float32Array.of(0, 1, -1)]);
    expect(Array.from(mono)).toEqual([0.5, 0.5, -1]);
  });
  it('returns a single channel as is', () => {
    const only = Float32Array.of(0.25);
    expect(downmixToMono([only])).toBe(only);
  });
});

describe('resample', () => {
  it('gives the expected length for 44.1 kHz → 16 kHz', () => {
    expect(resample(new Float32Array(44_100), 44_100, 16_000).length).toBe(16_000);
    expect(resample(new Float32Array(48_000 * 3), 48_000, 16_000).length).toBe(48_000);
  });

  it('keeps a constant signal constant (unit DC gain)', () => {
    const out = resample(new Float32Array(4_410).fill(0.5), 44_100, 16_000);
    expect(out[800]).toBeCloseTo(0.5, 5);
  });

  it('keeps an in-band tone at its frequency and level', () => {
    const out = resample(sine(1_000, 44_100, 0.5), 44_100, 16_000);
    const reference = sine(1_000, 16_000, 0.5);
    expect(middleRms(out)).toBeCloseTo(Math.SQRT1_2, 2);
    // Sample by sample against the ideal 16 kHz tone, away from the edges.
    let maxError = 0;
    for (let i = 2_000; i < 6_000; i++) maxError = Math.max(maxError, Math.abs((out[i] as number) - (reference[i] as number)));
    expect(maxError).toBeLessThan(0.01);
  });

  it('removes tones above the new Nyquist frequency instead of aliasing them', () => {
    // 12 kHz would alias to 4 kHz at 16 kHz; the anti-alias filter must suppress it.
    const out = resample(sine(12_000, 48_000, 0.5), 48_000, 16_000);
    expect(middleRms(out)).toBeLessThan(0.01);
  });

  it('upsamples too (8 kHz → 16 kHz)', () => {
    const out = resample(sine(500, 8_000, 0.5), 8_000, 16_000);
    expect(out.length).toBe(8_000);
    expect(middleRms(out)).toBeCloseTo(Math.SQRT1_2, 2);
  });

  it('handles a rate pair too odd for a phase table', () => {
    const out = resample(sine(440, 44_099, 0.2), 44_099, 16_000);
    expect(out.length).toBe(Math.floor((Math.round(44_099 * 0.2) * 16_000) / 44_099));
    expect(middleRms(out)).toBeCloseTo(Math.SQRT1_2, 2);
  });
});

describe('windows', () => {
  it('splits 65 s at 16 kHz into 30 + 30 + 5 s', () => {
    const windows = splitIntoWindows(65 * 16_000, 30 * 16_000);
    expect(windows).toEqual([
      { start: 0, end: 480_000 },
      { start: 480_000, end: 960_000 },
      { start: 960_000, end: 1_040_000 },
    ]);
  });
  it('gives one window for a short clip and none for an empty one', () => {
    expect(splitIntoWindows(100, 480_000)).toEqual([{ start: 0, end: 100 }]);
    expect(splitIntoWindows(0, 480_000)).toEqual([]);
  });
  it('averages window scores label by label', () => {
    expect(Array.from(averageWindowScores([[-1, -3], [-2, -5]]))).toEqual([-1.5, -4]);
  });
});

describe('clipProblem', () => {
  it('flags empty, too-short and silent clips, and passes a real one', () => {
    expect(clipProblem(new Float32Array(0), 16_000)?.kind).toBe('empty');
    expect(clipProblem(new Float32Array(16).fill(0.5), 16_000)?.kind).toBe('too-short');
    expect(clipProblem(new Float32Array(16_000), 16_000)?.kind).toBe('silent');
    expect(clipProblem(sine(440, 16_000, 0.5), 16_000)).toBeNull();
  });
  it('says how long a short clip is', () => {
    expect(clipProblem(new Float32Array(16).fill(0.5), 16_000)?.message).toContain('1 ms');
  });
});

describe('formatting and peaks', () => {
  it('formats durations as m:ss', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(61.4)).toBe('1:01');
    expect(formatDuration(600)).toBe('10:00');
  });
  it('reads a bounded number of samples per bar when asked', () => {
    const samples = new Float32Array(1000);
    samples[0] = 1;
    samples[501] = 0.9; // skipped by a stride of 2 in the second bar
    expect(Array.from(waveformPeaks(samples, 2, 250))).toEqual([1, 0]);
  });
  it('computes one peak per bucket', () => {
    expect(Array.from(waveformPeaks(Float32Array.of(0.1, -0.5, 0.2, 0.3), 2))).toEqual([
      expect.closeTo(0.5, 6),
      expect.closeTo(0.3, 6),
    ]);
  });
});

describe('windowNote', () => {
  it('says when a clip was scored in windows or cut', () => {
    expect(windowNote({ durationSeconds: 11, scoredSeconds: 11, windows: 1, windowSeconds: 30 })).toBeNull();
    expect(windowNote({ durationSeconds: 65, scoredSeconds: 65, windows: 3, windowSeconds: 30 })).toBe(
      'scored in 3 windows of 30 s, window scores averaged',
    );
    expect(windowNote({ durationSeconds: 600, scoredSeconds: 300, windows: 10, windowSeconds: 30 })).toContain(
      'only the first 5:00 of 10:00 were scored',
    );
  });
});

describe('resamplingsForClip', () => {
  it('counts the worker resampling to the model rate, and none when the file already is at it', () => {
    expect(resamplingsForClip({ sampleRate: 44_100, fileSampleRate: 44_100 }, 16_000)).toBe(1);
    expect(resamplingsForClip({ sampleRate: 16_000, fileSampleRate: 16_000 }, 16_000)).toBe(0);
    expect(resamplingsForClip({ sampleRate: 48_000, fileSampleRate: 48_000 }, 48_000)).toBe(0);
  });

  it("counts the browser decoder's resampling: a decode at another rate than the file's, or at 48 kHz when the file's rate is unknown", () => {
    expect(resamplingsForClip({ sampleRate: 48_000, fileSampleRate: 44_100 }, 16_000)).toBe(2);
    expect(resamplingsForClip({ sampleRate: 48_000, fileSampleRate: null }, 16_000)).toBe(2);
    expect(resamplingsForClip({ sampleRate: 48_000, fileSampleRate: null }, 48_000)).toBe(1);
    expect(resamplingsForClip({ sampleRate: 16_000, fileSampleRate: 44_100 }, 16_000)).toBe(1);
  });
});
