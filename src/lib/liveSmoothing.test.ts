import { describe, expect, it } from 'vitest';
import { LatencyWindow, LiveMeters, RateMeter, ScoreSmoother, quantile, smoothScores, topIndex } from './liveSmoothing';

describe('smoothScores', () => {
  it('matches an exponential moving average computed with numpy (alpha = 1 - strength, no bias correction)', () => {
    // numpy: a = x[0]; a = 0.8 * a + 0.2 * x[t] for the rows below.
    const rows = [
      [0.1, 0.9],
      [0.9, 0.1],
      [0.9, 0.1],
      [0.9, 0.1],
    ];
    const expected = [
      [0.1, 0.9],
      [0.26, 0.74],
      [0.388, 0.612],
      [0.4904, 0.5096],
    ];
    let average: Float32Array | null = null;
    rows.forEach((row, index) => {
      average = smoothScores(average, row, 0.8);
      expect(Array.from(average)[0]).toBeCloseTo(expected[index]![0]!, 6);
      expect(Array.from(average)[1]).toBeCloseTo(expected[index]![1]!, 6);
    });
  });

  it('strength 0 returns the current scores; a length change restarts the average', () => {
    expect(Array.from(smoothScores([1, 0], [0, 1], 0))).toEqual([0, 1]);
    expect(Array.from(smoothScores([1, 0], [0.25, 0.5, 0.25], 0.9))).toEqual([0.25, 0.5, 0.25]);
  });

  it('refuses a strength outside [0, 0.95]', () => {
    expect(() => smoothScores(null, [1], 1)).toThrow(RangeError);
    expect(() => smoothScores(null, [1], -0.1)).toThrow(RangeError);
    expect(() => smoothScores(null, [1], Number.NaN)).toThrow(RangeError);
  });
});

describe('ScoreSmoother', () => {
  it('keeps the top label steady through one flickering frame, and restarts when the labels change', () => {
    const smoother = new ScoreSmoother();
    const frames = [[0.8, 0.2], [0.8, 0.2], [0.3, 0.7], [0.8, 0.2]];
    const tops = frames.map((frame) => topIndex(smoother.update('a|b', frame, 0.7)));
    expect(tops).toEqual([0, 0, 0, 0]);
    // Unsmoothed, the third frame flips the top label.
    expect(frames.map((frame) => topIndex(frame))).toEqual([0, 0, 1, 0]);
    expect(Array.from(smoother.update('a|c', [0.1, 0.9], 0.7))).toEqual([Math.fround(0.1), Math.fround(0.9)]);
  });
});

describe('topIndex', () => {
  it('is the first maximum, or -1 for no scores', () => {
    expect(topIndex([0.2, 0.5, 0.5])).toBe(1);
    expect(topIndex([])).toBe(-1);
  });
});

describe('RateMeter', () => {
  it('counts intervals per second over the sliding window', () => {
    const meter = new RateMeter(2000);
    for (let t = 0; t <= 3000; t += 100) meter.add(t); // 10 per second
    expect(meter.rate(3000)).toBeCloseTo(10, 5);
    // Nothing for three seconds: the window is empty.
    expect(meter.rate(6100)).toBe(0);
  });

  it('is 0 with fewer than two events', () => {
    const meter = new RateMeter();
    expect(meter.rate(0)).toBe(0);
    meter.add(5);
    expect(meter.rate(10)).toBe(0);
  });
});

describe('quantile / LatencyWindow', () => {
  it('matches numpy.quantile (linear) on the same values', () => {
    const values = [12.5, 3, 7, 100, 42, 8, 8, 15.25, 1, 64];
    // numpy.quantile(values, [0, 0.25, 0.5, 0.95, 1])
    const expected = [1.0, 7.25, 10.25, 83.8, 100.0];
    [0, 0.25, 0.5, 0.95, 1].forEach((p, index) => expect(quantile(values, p)).toBeCloseTo(expected[index]!, 9));
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('keeps only the latest values', () => {
    const latencies = new LatencyWindow(3);
    [1000, 10, 20, 30].forEach((value) => latencies.add(value));
    expect(latencies.count).toBe(3);
    expect(latencies.median()).toBe(20);
    expect(latencies.latest).toBe(30);
  });
});

describe('LiveMeters', () => {
  it('reports the rate and the latency percentiles of the results recorded, and values() keeps the latest', () => {
    const meters = new LiveMeters({ rateWindowMs: 1000, latenciesKept: 4 });
    expect(meters.snapshot(0)).toEqual({ fps: 0, medianMs: null, p95Ms: null, latenciesMs: [] });
    // Results every 100 ms, each captured 50, 60, … ms before it was shown.
    for (let i = 0; i < 6; i++) meters.record(1000 + i * 100, 1000 + i * 100 - (50 + i * 10));
    const snapshot = meters.snapshot(1500);
    expect(snapshot.fps).toBeCloseTo(10, 5);
    expect(snapshot.latenciesMs).toEqual([70, 80, 90, 100]);
    expect(snapshot.medianMs).toBeCloseTo(85, 9);
    expect(snapshot.p95Ms).toBeCloseTo(98.5, 9);
    meters.resetRate();
    expect(meters.snapshot(1500).fps).toBe(0);
    expect(meters.snapshot(1500).latenciesMs).toHaveLength(4);
    meters.reset();
    expect(meters.snapshot(1500)).toEqual({ fps: 0, medianMs: null, p95Ms: null, latenciesMs: [] });
  });

  it('LatencyWindow.values() is a copy, oldest first', () => {
    const window = new LatencyWindow(2);
    window.add(1);
    window.add(2);
    window.add(3);
    const values = window.values();
    values.push(99);
    expect(window.values()).toEqual([2, 3]);
  });
});
