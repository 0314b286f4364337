/**
 * Live microphone maths, pure: cutting a stream of sample chunks into overlapping windows (each
 * with its start time from the start of listening), telling silent windows from sound, keeping the
 * last few seconds in a ring buffer, and writing a captured clip as a WAV file.
 */
import audioBufferToWav from 'audiobuffer-to-wav';

/** The window lengths the user may choose (seconds). */
export const MIN_LIVE_WINDOW_SECONDS = 1;
export const MAX_LIVE_WINDOW_SECONDS = 5;
/** Overlap between consecutive windows, as a fraction of the window; at most this much (a hop of at least a tenth of the window). */
export const MAX_LIVE_OVERLAP = 0.9;
/**
 * A window whose RMS level is below this (dBFS: 0 dB is a full-scale square wave) is silent: not
 * scored. −45 dBFS is well under speech at a normal distance (−30…−10 dBFS) and over a quiet room's
 * noise through a laptop microphone without noise suppression (−60…−50 dBFS).
 */
export const SILENCE_THRESHOLD_DBFS = -45;
/** What the level of all-zero samples reads as, instead of −Infinity (16-bit PCM's floor is about −96 dBFS). */
export const LEVEL_FLOOR_DBFS = -120;

export interface WindowSettings {
  /** Samples per second of the stream. */
  sampleRate: number;
  windowSeconds: number;
  /** 0 (windows side by side) … MAX_LIVE_OVERLAP. */
  overlap: number;
}

export interface LiveWindow {
  samples: Float32Array;
  /** Milliseconds from the start of listening to the window's first sample. */
  startMs: number;
  /** Index of the window's first sample in the stream. */
  startSample: number;
}

/** Window and hop in samples; throws on settings outside the ranges the UI offers. */
export function windowGeometry({ sampleRate, windowSeconds, overlap }: WindowSettings): { windowLength: number; hopLength: number } {
  if (!(sampleRate > 0)) throw new RangeError('sample rate must be positive');
  if (!(windowSeconds >= MIN_LIVE_WINDOW_SECONDS && windowSeconds <= MAX_LIVE_WINDOW_SECONDS))
    throw new RangeError(`window length must be ${MIN_LIVE_WINDOW_SECONDS}–${MAX_LIVE_WINDOW_SECONDS} s`);
  if (!(overlap >= 0 && overlap <= MAX_LIVE_OVERLAP)) throw new RangeError(`overlap must be in [0, ${MAX_LIVE_OVERLAP}]`);
  const windowLength = Math.round(windowSeconds * sampleRate);
  const hopLength = Math.max(1, Math.round(windowLength * (1 - overlap)));
  return { windowLength, hopLength };
}

/**
 * Cuts a stream of chunks of any size into windows of `windowLength` samples every `hopLength`
 * samples: window k covers samples [k·hop, k·hop + window). It holds only the samples a future
 * window still needs (at most one window's worth), so memory doesn't grow with listening time.
 */
export class WindowSlicer {
  readonly windowLength: number;
  readonly hopLength: number;
  private readonly sampleRate: number;
  private buffer: Float32Array;
  /** Samples held in `buffer`, starting at stream index `bufferStart`. */
  private held = 0;
  private bufferStart = 0;
  /** Stream index of the next window's first sample. */
  private nextStart = 0;

  constructor(settings: WindowSettings) {
    ({ windowLength: this.windowLength, hopLength: this.hopLength } = windowGeometry(settings));
    this.sampleRate = settings.sampleRate;
    this.buffer = new Float32Array(this.windowLength);
  }

  /** Adds a chunk; returns the windows it completed, oldest first (each its own copy). */
  push(chunk: Float32Array): LiveWindow[] {
    const windows: LiveWindow[] = [];
    let offset = 0;
    while (offset < chunk.length) {
      // A hop longer than the window leaves samples no window reads: skip them.
      if (this.held === 0 && this.bufferStart < this.nextStart) {
        const skip = Math.min(this.nextStart - this.bufferStart, chunk.length - offset);
        this.bufferStart += skip;
        offset += skip;
        continue;
      }
      const take = Math.min(this.windowLength - this.held, chunk.length - offset);
      this.buffer.set(chunk.subarray(offset, offset + take), this.held);
      this.held += take;
      offset += take;
      if (this.held < this.windowLength) break;
      windows.push({ samples: this.buffer.slice(), startSample: this.bufferStart, startMs: (this.bufferStart * 1000) / this.sampleRate });
      this.nextStart = this.bufferStart + this.hopLength;
      // The overlap stays for the next window, which starts at nextStart.
      const keep = Math.max(0, this.windowLength - this.hopLength);
      this.buffer.copyWithin(0, this.windowLength - keep, this.windowLength);
      this.held = keep;
      this.bufferStart = keep > 0 ? this.nextStart : this.bufferStart + this.windowLength;
    }
    return windows;
  }

  /** Stream samples seen so far. */
  get samplesSeen(): number {
    return this.bufferStart + this.held;
  }
}

/** Root mean square of the samples (0 for none). */
export function rms(samples: ArrayLike<number>): number {
  if (samples.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) * (samples[i] as number);
  return Math.sqrt(sum / samples.length);
}

/** Largest absolute sample (0 for none). */
export function peak(samples: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < samples.length; i++) max = Math.max(max, Math.abs(samples[i] as number));
  return max;
}

/** An amplitude (1 = full scale) in dBFS, floored at LEVEL_FLOOR_DBFS. */
export function amplitudeToDbfs(amplitude: number): number {
  return amplitude > 0 ? Math.max(LEVEL_FLOOR_DBFS, 20 * Math.log10(amplitude)) : LEVEL_FLOOR_DBFS;
}

export type LevelMeasure = 'rms' | 'peak';

/** The window's level in dBFS, by RMS (the default: a click doesn't make a window loud) or peak. */
export function levelDbfs(samples: ArrayLike<number>, measure: LevelMeasure = 'rms'): number {
  return amplitudeToDbfs(measure === 'rms' ? rms(samples) : peak(samples));
}

/** Whether a window is silent: its level below `thresholdDbfs`. */
export function isSilent(samples: ArrayLike<number>, thresholdDbfs = SILENCE_THRESHOLD_DBFS, measure: LevelMeasure = 'rms'): boolean {
  return levelDbfs(samples, measure) < thresholdDbfs;
}

/** The last `capacity` samples of a stream, for "capture the last few seconds". */
export class SampleRingBuffer {
  private readonly data: Float32Array;
  /** Next write position. */
  private head = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity > 0)) throw new RangeError('ring buffer capacity must be a positive integer');
    this.data = new Float32Array(capacity);
  }

  push(chunk: Float32Array): void {
    // Only the chunk's last `capacity` samples can survive; they go in with at most two copies (wrapping once).
    const kept = chunk.length > this.capacity ? chunk.subarray(chunk.length - this.capacity) : chunk;
    const firstPart = Math.min(kept.length, this.capacity - this.head);
    this.data.set(kept.subarray(0, firstPart), this.head);
    this.data.set(kept.subarray(firstPart), 0);
    this.head = (this.head + kept.length) % this.capacity;
    this.filled = Math.min(this.capacity, this.filled + kept.length);
  }

  get length(): number {
    return this.filled;
  }

  /** The held samples, oldest first (a copy). */
  snapshot(): Float32Array {
    const out = new Float32Array(this.filled);
    const oldest = (this.head - this.filled + this.capacity) % this.capacity;
    const firstPart = Math.min(this.filled, this.capacity - oldest);
    out.set(this.data.subarray(oldest, oldest + firstPart), 0);
    out.set(this.data.subarray(0, this.filled - firstPart), firstPart);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.filled = 0;
  }
}

export type WavSampleFormat = 'pcm16' | 'float32';

/**
 * A mono WAV file (RIFF, 44-byte header) of the samples: 16-bit PCM (clipped to ±1) or 32-bit
 * float. Written by audiobuffer-to-wav, which takes anything shaped like an AudioBuffer.
 */
export function encodeWav(samples: Float32Array, sampleRate: number, format: WavSampleFormat = 'pcm16'): ArrayBuffer {
  if (!(Number.isInteger(sampleRate) && sampleRate > 0)) throw new RangeError('sample rate must be a positive integer');
  const channel = new Float32Array(samples);
  // The library reads numberOfChannels, sampleRate and getChannelData; the rest makes it a whole AudioBuffer without a cast.
  const buffer = {
    numberOfChannels: 1,
    sampleRate,
    length: channel.length,
    duration: channel.length / sampleRate,
    getChannelData: () => channel,
    copyFromChannel: (destination: Float32Array, _channel: number, offset = 0) => destination.set(channel.subarray(offset, offset + destination.length)),
    copyToChannel: (source: Float32Array, _channel: number, offset = 0) => channel.set(source, offset),
  };
  return audioBufferToWav(buffer, { float32: format === 'float32' });
}
