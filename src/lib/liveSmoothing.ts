/**
 * Live mode's smoothing and its meters: an exponential moving average over successive frames'
 * (or windows') scores so the top label doesn't flicker, the frame rate over a sliding time
 * window, and latency percentiles over the latest results. Pure functions and small classes.
 */

/** The strongest smoothing offered: above it the display lags by many seconds at a few frames per second. */
export const MAX_SMOOTHING_STRENGTH = 0.95;

/**
 * One EMA step: strength · previous + (1 − strength) · current. Strength 0 is no smoothing (the
 * current scores as they are). Without a previous value of the same length (the first frame, or
 * the labels changed) the current scores start the average.
 */
export function smoothScores(previous: ArrayLike<number> | null, current: ArrayLike<number>, strength: number): Float32Array {
  if (!(strength >= 0 && strength <= MAX_SMOOTHING_STRENGTH)) throw new RangeError(`smoothing strength must be in [0, ${MAX_SMOOTHING_STRENGTH}]`);
  const out = Float32Array.from(current);
  if (!previous || previous.length !== current.length || strength === 0) return out;
  for (let i = 0; i < out.length; i++) out[i] = strength * (previous[i] as number) + (1 - strength) * (current[i] as number);
  return out;
}

/**
 * Keeps the running average of one live session. The average restarts whenever `key` (the labels
 * and templates the scores are for) changes, since scores of other labels can't be averaged in.
 */
export class ScoreSmoother {
  private key: string | null = null;
  private average: Float32Array | null = null;

  update(key: string, scores: ArrayLike<number>, strength: number): Float32Array {
    const previous = key === this.key ? this.average : null;
    this.key = key;
    this.average = smoothScores(previous, scores, strength);
    return this.average;
  }

  reset(): void {
    this.key = null;
    this.average = null;
  }
}

/** The index of the largest score (the first on ties), or −1 for none. */
export function topIndex(scores: ArrayLike<number>): number {
  let best = -1;
  for (let i = 0; i < scores.length; i++) if (best < 0 || (scores[i] as number) > (scores[best] as number)) best = i;
  return best;
}

/** Events per second over the last `windowMs` (results shown per second: the live frame rate). */
export class RateMeter {
  private readonly times: number[] = [];

  constructor(private readonly windowMs = 2000) {}

  add(timeMs: number): void {
    this.times.push(timeMs);
    this.trim(timeMs);
  }

  /** The rate at `nowMs`: events in the window, divided by the window (or by the time since the first event, while shorter). */
  rate(nowMs: number): number {
    this.trim(nowMs);
    const first = this.times[0];
    if (first === undefined || this.times.length < 2) return 0;
    const spanMs = Math.min(this.windowMs, Math.max(nowMs - first, 1));
    return ((this.times.length - 1) * 1000) / spanMs;
  }

  reset(): void {
    this.times.length = 0;
  }

  private trim(nowMs: number): void {
    while (this.times.length > 0 && (this.times[0] as number) < nowMs - this.windowMs) this.times.shift();
  }
}

/** The p-quantile (0…1) of the values by linear interpolation (numpy's default); NaN for none. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = Math.min(Math.max(p, 0), 1) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * (position - below);
}

/** The latest `capacity` latencies, for the median and 95th percentile shown beside the preview. */
export class LatencyWindow {
  private readonly samples: number[] = [];

  constructor(private readonly capacity = 120) {}

  add(latencyMs: number): void {
    this.samples.push(latencyMs);
    if (this.samples.length > this.capacity) this.samples.shift();
  }

  get latest(): number | null {
    return this.samples.at(-1) ?? null;
  }

  get count(): number {
    return this.samples.length;
  }

  /** The kept latencies, oldest first (a copy: the debug API hands it out). */
  values(): number[] {
    return [...this.samples];
  }

  median(): number {
    return quantile(this.samples, 0.5);
  }

  p95(): number {
    return quantile(this.samples, 0.95);
  }

  reset(): void {
    this.samples.length = 0;
  }
}

export interface LiveMeterSnapshot {
  /** Results shown per second over the rate window. */
  fps: number;
  /** Median and 95th-percentile latency (captured → result shown) over the kept results; null before the first. */
  medianMs: number | null;
  p95Ms: number | null;
  /** The kept latencies, oldest first. */
  latenciesMs: number[];
}

/**
 * The meters of one live session (camera frames or microphone windows): the rate of results shown
 * and the latency of each from capture to display, so both halves report the same numbers the same way.
 */
export class LiveMeters {
  private readonly rate: RateMeter;
  private readonly latency: LatencyWindow;

  constructor({ rateWindowMs, latenciesKept }: { rateWindowMs: number; latenciesKept: number }) {
    this.rate = new RateMeter(rateWindowMs);
    this.latency = new LatencyWindow(latenciesKept);
  }

  /** One result shown at `nowMs` for an item captured at `capturedAtMs` (same clock). */
  record(nowMs: number, capturedAtMs: number): void {
    this.rate.add(nowMs);
    this.latency.add(nowMs - capturedAtMs);
  }

  snapshot(nowMs: number): LiveMeterSnapshot {
    const some = this.latency.count > 0;
    return {
      fps: this.rate.rate(nowMs),
      medianMs: some ? this.latency.median() : null,
      p95Ms: some ? this.latency.p95() : null,
      latenciesMs: this.latency.values(),
    };
  }

  /** Only the rate starts again (after a pause: the time paused is no gap between results). */
  resetRate(): void {
    this.rate.reset();
  }

  reset(): void {
    this.rate.reset();
    this.latency.reset();
  }
}
