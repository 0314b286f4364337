/**
 * The partial log-mel against transformers.js's own WhisperFeatureExtractor on the full 30 s
 * padding: the built-in model's preprocessor config, Whisper's published 80-bin filters (from
 * the shared data) and a 128-bin extractor whose filters transformers.js computes, on seeded
 * noise, a speech-like signal, silence, a clip loud only at its end, and real speech (jfk.flac,
 * decoded to 16 kHz mono by ffmpeg).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WhisperFeatureExtractor, type FeatureExtractor, type Tensor } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { appendPaddedFrames, paddedSamplesForClip, whisperFrameGeometry, whisperLogMel } from './whisperLogMel';
import { seededRandom } from '../../../lib/random';

const REPO_ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../');
const BUILTIN_CONFIG = join(REPO_ROOT, 'public/models/builtin/whisper-words/preprocessor_config.json');
const SHARED_DATA_CANDIDATES = [process.env.SHARED_DATA_DIR, join(REPO_ROOT, '..', 'shared', 'data'), '/work/shared/data'].filter(
  (dir): dir is string => !!dir,
);
const SAMPLE_RATE_HZ = 16_000;
/** The bar for the partial features against the full extractor (max absolute difference). */
const TOLERANCE = 1e-6;

function sharedDataFile(relativePath: string): string {
  const found = SHARED_DATA_CANDIDATES.map((dir) => join(dir, relativePath)).find((path) => existsSync(path));
  if (!found) throw new Error(`${relativePath} is not in any shared data folder tried: ${SHARED_DATA_CANDIDATES.join(', ')}`);
  return found;
}

function noise(seconds: number, seed: number, amplitude = 0.3): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: Math.round(seconds * SAMPLE_RATE_HZ) }, () => amplitude * (2 * random() - 1));
}

/** Voiced syllables: a 120–180 Hz harmonic series under a 4 Hz envelope, with a little noise. */
function speechLike(seconds: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const samples = new Float32Array(Math.round(seconds * SAMPLE_RATE_HZ));
  for (let i = 0; i < samples.length; i++) {
    const t = i / SAMPLE_RATE_HZ;
    const pitch = 150 + 30 * Math.sin(2 * Math.PI * 0.7 * t);
    let voiced = 0;
    for (let harmonic = 1; harmonic <= 12; harmonic++) voiced += Math.sin(2 * Math.PI * pitch * harmonic * t) / harmonic;
    const envelope = Math.max(0, Math.sin(2 * Math.PI * 4 * t));
    samples[i] = 0.2 * envelope * voiced + 0.01 * (2 * random() - 1);
  }
  return samples;
}

/** Near-silence (−80 dBFS noise) for 10 s with a loud burst in its last 0.15 s. */
function loudAtTheEnd(): Float32Array {
  const samples = noise(10, 7, 1e-4);
  const burst = noise(0.15, 8, 0.8);
  samples.set(burst, samples.length - burst.length);
  return samples;
}

function jfkAt16kHz(): Float32Array {
  const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', sharedDataFile('whisper/jfk.flac'), '-f', 'f32le', '-ac', '1', '-ar', String(SAMPLE_RATE_HZ), '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/** Whisper's published filter banks (openai/whisper assets/mel_filters.npz), read with numpy. */
function whisperMelFilters(bins: 80 | 128): number[][] {
  const script = `import json, numpy; print(json.dumps(numpy.load(${JSON.stringify(sharedDataFile('whisper/mel_filters.npz'))})['mel_${bins}'].tolist()))`;
  return JSON.parse(execFileSync('python3', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as number[][];
}

function maxAbsDifference(a: Tensor, b: Tensor): number {
  const x = a.data as Float32Array;
  const y = b.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs((x[i] as number) - (y[i] as number)));
  return worst;
}

const extractors: Record<string, FeatureExtractor> = {};

beforeAll(() => {
  const builtin = JSON.parse(readFileSync(BUILTIN_CONFIG, 'utf8')) as Record<string, unknown>;
  extractors['built-in whisper-words'] = new WhisperFeatureExtractor(builtin);
  extractors['Whisper-tiny 80-bin filters'] = new WhisperFeatureExtractor({ ...builtin, mel_filters: whisperMelFilters(80) });
  const { mel_filters: _builtinFilters, ...withoutFilters } = builtin;
  extractors['128 bins, filters computed by transformers.js'] = new WhisperFeatureExtractor({ ...withoutFilters, feature_size: 128 });
}, 60_000);

const CLIPS: Array<[string, () => Float32Array]> = [
  ['0.1 s of noise', () => noise(0.1, 1)],
  ['1 s speech-like', () => speechLike(1, 2)],
  ['10 s speech-like', () => speechLike(10, 3)],
  ['29.9 s of noise', () => noise(29.9, 4)],
  ['30 s speech-like', () => speechLike(30, 5)],
  ['29.99 s (no all-zero frame fits)', () => noise(29.99, 6)],
  ['2 s of digital silence', () => new Float32Array(2 * SAMPLE_RATE_HZ)],
  ['quiet, loud only in its last 0.15 s', loudAtTheEnd],
  ['jfk.flac (11 s of real speech)', jfkAt16kHz],
];

describe('whisperLogMel equals WhisperFeatureExtractor on the 30 s padding', () => {
  for (const [clipName, makeClip] of CLIPS) {
    it(`${clipName}`, async () => {
      const clip = makeClip();
      for (const [extractorName, extractor] of Object.entries(extractors)) {
        const { input_features: full } = (await extractor(clip)) as { input_features: Tensor };
        const partial = await whisperLogMel(extractor, clip);
        expect(partial.dims, extractorName).toEqual(full.dims);
        expect(maxAbsDifference(partial, full), extractorName).toBeLessThanOrEqual(TOLERANCE);
      }
    }, 60_000);
  }

  it('computes only the frames that touch audio (plus the one all-zero frame)', () => {
    const geometry = whisperFrameGeometry(extractors['built-in whisper-words'] as FeatureExtractor);
    expect(geometry).toEqual({ windowSamples: 480_000, frames: 3000, hopLength: 160, fftLength: 400 });
    // 1 s: frames 0..101 touch audio (frame i reads [160i − 200, 160i + 200)), frame 102 is all zeros → 103 frames.
    expect(paddedSamplesForClip(SAMPLE_RATE_HZ, geometry) / geometry.hopLength).toBe(103);
    expect(paddedSamplesForClip(0, geometry)).toBe(480);
    expect(paddedSamplesForClip(29.9 * SAMPLE_RATE_HZ, geometry) / geometry.hopLength).toBe(2993);
    // Too close to 30 s for an all-zero frame within the 3,000: the full extractor runs.
    expect(paddedSamplesForClip(479_700, geometry)).toBe(480_000);
    expect(paddedSamplesForClip(600_000, geometry)).toBe(480_000);
  });

  it('refuses to extend features whose last frame was not silent', () => {
    expect(() => appendPaddedFrames(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 2, 2, 5)).toThrow(/not an all-zero frame/);
    expect(Array.from(appendPaddedFrames(Float32Array.from([0.5, -0.25, 0.75, -0.25]), 2, 2, 4))).toEqual([0.5, -0.25, -0.25, -0.25, 0.75, -0.25, -0.25, -0.25]);
  });
});
