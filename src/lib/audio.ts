/**
 * Pure audio maths used by the audio worker: channel down-mixing, band-limited resampling, the
 * 30-second windows Whisper reads, and the checks that turn bad clips into clear messages.
 */

/** Whisper reads 16 kHz mono. */
export const WHISPER_SAMPLE_RATE_HZ = 16_000;
/** Whisper's encoder sees exactly 30 s per window; longer clips are scored window by window. */
export const WHISPER_WINDOW_SECONDS = 30;
/**
 * Clips are decoded at the file's own rate where its header says it (so the browser doesn't
 * resample), else at this rate (OfflineAudioContext); the worker resamples per model.
 */
export const DECODE_SAMPLE_RATE_HZ = 48_000;
/** Longer clips are scored on their first five minutes only (and the item says so). */
export const MAX_SCORED_SECONDS = 300;
/** Shorter clips hold too little sound to classify. */
export const MIN_CLIP_SECONDS = 0.1;
/** A clip whose loudest sample is below this is reported as silent (−60 dBFS). */
export const SILENCE_PEAK = 0.001;

/** Averages the channels into one (equal weights, as Web Audio's down-mix of stereo does). */
export function downmixToMono(channels: readonly Float32Array[]): Float32Array {
  if (channels.length === 0) return new Float32Array(0);
  if (channels.length === 1) return channels[0] as Float32Array;
  const length = Math.min(...channels.map((c) => c.length));
  const out = new Float32Array(length);
  for (const channel of channels) for (let i = 0; i < length; i++) out[i] = (out[i] as number) + (channel[i] as number);
  const scale = 1 / channels.length;
  for (let i = 0; i < length; i++) out[i] = (out[i] as number) * scale;
  return out;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Half-width of the windowed-sinc kernel, in input samples at the lower of the two rates. */
const RESAMPLE_HALF_TAPS = 16;
/** Phase tables larger than this are not precomputed (only odd rate pairs need more). */
const MAX_PHASES = 4096;

function blackman(x: number): number {
  // x in [-1, 1]
  return 0.42 + 0.5 * Math.cos(Math.PI * x) + 0.08 * Math.cos(2 * Math.PI * x);
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

/**
 * Band-limited resampling with a Blackman-windowed sinc (cut-off at the lower Nyquist frequency,
 * so downsampling doesn't alias). Rational rate pairs use a polyphase table: each output sample is
 * a 2·16-tap dot product, about 0.3 s of worker time for ten minutes of 48 kHz audio.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0 && toRate > 0)) throw new RangeError(`Invalid sample rates ${fromRate} → ${toRate}`);
  if (fromRate === toRate) return input;
  const outLength = Math.floor((input.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  // Below 1 when downsampling: the kernel widens and its cut-off drops to the output's Nyquist.
  const cutoff = Math.min(1, toRate / fromRate);
  const halfWidth = Math.ceil(RESAMPLE_HALF_TAPS / cutoff);
  const taps = 2 * halfWidth;
  const gcd = greatestCommonDivisor(fromRate, toRate);
  const phases = toRate / gcd;
  const step = fromRate / gcd; // input advances `step` per `phases` outputs

  const kernelAt = (distance: number) => {
    const x = distance / halfWidth;
    if (x <= -1 || x >= 1) return 0;
    return cutoff * sinc(cutoff * distance) * blackman(x);
  };

  if (phases <= MAX_PHASES) {
    // table[p][k]: weight of input (base - halfWidth + 1 + k) for output phase p.
    const table = new Float32Array(phases * taps);
    for (let p = 0; p < phases; p++) {
      const frac = ((p * step) % phases) / phases;
      let sum = 0;
      for (let k = 0; k < taps; k++) {
        const w = kernelAt(frac - (k - halfWidth + 1));
        table[p * taps + k] = w;
        sum += w;
      }
      // Unit DC gain per phase: a constant signal stays exactly constant.
      for (let k = 0; k < taps; k++) table[p * taps + k] = (table[p * taps + k] as number) / sum;
    }
    for (let n = 0; n < outLength; n++) {
      const p = n % phases;
      const base = Math.floor((n * step) / phases);
      const first = base - halfWidth + 1;
      let acc = 0;
      const row = p * taps;
      if (first >= 0 && first + taps <= input.length) {
        for (let k = 0; k < taps; k++) acc += (input[first + k] as number) * (table[row + k] as number);
      } else {
        for (let k = 0; k < taps; k++) {
          const i = first + k;
          if (i >= 0 && i < input.length) acc += (input[i] as number) * (table[row + k] as number);
        }
      }
      out[n] = acc;
    }
    return out;
  }

  for (let n = 0; n < outLength; n++) {
    const position = (n * fromRate) / toRate;
    const base = Math.floor(position);
    const frac = position - base;
    let acc = 0;
    let sum = 0;
    for (let k = -halfWidth + 1; k <= halfWidth; k++) {
      const w = kernelAt(frac - k);
      sum += w;
      const i = base + k;
      if (i >= 0 && i < input.length) acc += (input[i] as number) * w;
    }
    out[n] = sum > 0 ? acc / sum : 0;
  }
  return out;
}

/**
 * How many rate changes a clip goes through before the model reads it: the browser decoder's
 * (a decode at a rate other than the file's, or at DECODE_SAMPLE_RATE_HZ when the file's rate is
 * unknown and so may differ) plus the worker's resampling to the model's rate.
 */
export function resamplingsForClip(clip: { sampleRate: number; fileSampleRate: number | null }, modelRate: number): number {
  const byTheDecoder = clip.fileSampleRate === null || clip.fileSampleRate !== clip.sampleRate ? 1 : 0;
  const byTheWorker = clip.sampleRate !== modelRate ? 1 : 0;
  return byTheDecoder + byTheWorker;
}

export interface SampleWindow {
  start: number;
  end: number;
}

/** Consecutive windows of `windowLength` samples covering the clip; the last one may be shorter. */
export function splitIntoWindows(totalSamples: number, windowLength: number): SampleWindow[] {
  if (windowLength <= 0) throw new RangeError('windowLength must be positive');
  const windows: SampleWindow[] = [];
  for (let start = 0; start < totalSamples; start += windowLength) windows.push({ start, end: Math.min(totalSamples, start + windowLength) });
  return windows;
}

/** The element-wise mean of each window's label scores. */
export function averageWindowScores(windowScores: readonly ArrayLike<number>[]): Float32Array {
  const first = windowScores[0];
  if (!first) return new Float32Array(0);
  const out = new Float32Array(first.length);
  for (const scores of windowScores) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) + (scores[i] as number);
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / windowScores.length;
  return out;
}

export function peakAmplitude(samples: Float32Array): number {
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const v = Math.abs(samples[i] as number);
    if (v > peak) peak = v;
  }
  return peak;
}

/** `m:ss` for a duration in seconds. */
export function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export type ClipProblem =
  | { kind: 'empty'; message: string }
  | { kind: 'too-short'; message: string }
  | { kind: 'silent'; message: string };

/** What makes a decoded clip unscorable, in words for the item; null when it's fine. */
export function clipProblem(samples: Float32Array, sampleRate: number): ClipProblem | null {
  const seconds = samples.length / sampleRate;
  if (samples.length === 0) return { kind: 'empty', message: 'This file holds no audio samples.' };
  if (seconds < MIN_CLIP_SECONDS)
    return {
      kind: 'too-short',
      message: `This clip is ${Math.max(1, Math.round(seconds * 1000))} ms long; at least ${MIN_CLIP_SECONDS * 1000} ms are needed to classify it.`,
    };
  if (peakAmplitude(samples) < SILENCE_PEAK)
    return { kind: 'silent', message: 'This clip is silent (its loudest sample is below −60 dBFS), so there is nothing to classify.' };
  return null;
}

/**
 * Peak amplitude per bucket, for drawing a waveform of `buckets` bars. At most `maxReadsPerBucket`
 * samples are read per bar (evenly spaced), so a ten-minute clip costs the main thread no more than
 * a short one.
 */
export function waveformPeaks(samples: Float32Array, buckets: number, maxReadsPerBucket = Infinity): Float32Array {
  const peaks = new Float32Array(buckets);
  if (samples.length === 0) return peaks;
  const per = samples.length / buckets;
  const stride = Math.max(1, Math.floor(per / maxReadsPerBucket));
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor(b * per);
    const end = Math.max(start + 1, Math.floor((b + 1) * per));
    let peak = 0;
    for (let i = start; i < end && i < samples.length; i += stride) peak = Math.max(peak, Math.abs(samples[i] as number));
    peaks[b] = peak;
  }
  return peaks;
}

/** The note an item shows when only part of a long clip was scored, or it was scored in windows. */
export function windowNote(outcome: { durationSeconds: number; scoredSeconds: number; windows: number; windowSeconds: number }): string | null {
  const parts: string[] = [];
  if (outcome.windows > 1) parts.push(`scored in ${outcome.windows} windows of ${outcome.windowSeconds} s, window scores averaged`);
  if (outcome.durationSeconds > outcome.scoredSeconds + 0.5)
    parts.push(`only the first ${formatDuration(outcome.scoredSeconds)} of ${formatDuration(outcome.durationSeconds)} were scored`);
  return parts.length > 0 ? parts.join('; ') : null;
}
