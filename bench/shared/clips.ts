/**
 * Deterministic synthetic audio for the audio benchmarks: noise, tones, chords, chirps and noise
 * bursts at 48 kHz (the rate the app decodes every file to). Pure TypeScript, so the Node runner
 * (native figure) and the bench worker draw exactly the same samples from the same seed.
 */
import { seededRandom } from './random';

/** The app decodes every clip to this rate (src/lib/audio.ts DECODE_SAMPLE_RATE_HZ); the worker resamples per model. */
export const BENCH_CLIP_SAMPLE_RATE_HZ = 48_000;

export const CLIP_KINDS = ['white noise', 'tone', 'chord', 'chirp', 'noise bursts'] as const;
export type ClipKind = (typeof CLIP_KINDS)[number];

export interface SyntheticClip {
  kind: ClipKind;
  seconds: number;
  sampleRate: number;
  samples: Float32Array;
}

function synthesize(random: () => number, kind: ClipKind, seconds: number, sampleRate: number): Float32Array {
  const length = Math.round(seconds * sampleRate);
  const out = new Float32Array(length);
  const amplitude = 0.1 + 0.4 * random();
  const noise = () => 2 * random() - 1;
  const base = 110 * 2 ** (random() * 4); // 110 Hz … 1.76 kHz
  switch (kind) {
    case 'white noise':
      for (let i = 0; i < length; i++) out[i] = amplitude * noise();
      break;
    case 'tone':
      for (let i = 0; i < length; i++) {
        const t = i / sampleRate;
        out[i] = amplitude * (0.75 * Math.sin(2 * Math.PI * base * t) + 0.25 * Math.sin(2 * Math.PI * 3 * base * t));
      }
      break;
    case 'chord': {
      const ratios = [1, 5 / 4, 3 / 2];
      for (let i = 0; i < length; i++) {
        const t = i / sampleRate;
        let sum = 0;
        for (const ratio of ratios) sum += Math.sin(2 * Math.PI * base * ratio * t);
        out[i] = (amplitude * sum) / ratios.length + 0.02 * noise();
      }
      break;
    }
    case 'chirp': {
      const end = base * (2 + 6 * random());
      for (let i = 0; i < length; i++) {
        const t = i / sampleRate;
        const phase = 2 * Math.PI * (base * t + ((end - base) / (2 * seconds)) * t * t);
        out[i] = amplitude * Math.sin(phase);
      }
      break;
    }
    case 'noise bursts': {
      const burstsPerSecond = 2 + Math.floor(random() * 6);
      for (let i = 0; i < length; i++) {
        const on = Math.floor((i / sampleRate) * burstsPerSecond * 2) % 2 === 0;
        out[i] = (on ? amplitude : 0.01) * noise();
      }
      break;
    }
  }
  return out;
}

/** `count` clips of `minSeconds`–`maxSeconds` (uniform, rounded to 10 ms), kinds in turn, same every run for a seed. */
export function makeSyntheticClips(count: number, seed: number, minSeconds: number, maxSeconds: number, sampleRate = BENCH_CLIP_SAMPLE_RATE_HZ): SyntheticClip[] {
  const random = seededRandom(seed);
  const clips: SyntheticClip[] = [];
  for (let index = 0; index < count; index++) {
    const kind = CLIP_KINDS[index % CLIP_KINDS.length] as ClipKind;
    const seconds = Math.round((minSeconds + (maxSeconds - minSeconds) * random()) * 100) / 100;
    clips.push({ kind, seconds, sampleRate, samples: synthesize(random, kind, seconds, sampleRate) });
  }
  return clips;
}

/** One clip of a given kind and length (the Whisper figures' 10 s clip). */
export function makeSyntheticClip(kind: ClipKind, seconds: number, seed: number, sampleRate = BENCH_CLIP_SAMPLE_RATE_HZ): SyntheticClip {
  return { kind, seconds, sampleRate, samples: synthesize(seededRandom(seed), kind, seconds, sampleRate) };
}
