import { Tensor, type FeatureExtractor } from '@huggingface/transformers';

/**
 * Whisper's log-mel features with the STFT and mel product computed only on the frames that
 * touch audio.
 *
 * transformers.js's WhisperFeatureExtractor pads every window with zeros to 30 s (480,000
 * samples) and computes all 3,000 frames; for a 1 s clip 97 % of that work is on zeros. What the
 * padding produces is known exactly: a frame whose samples are all padding has power 0 in every
 * bin, hence mel energy 0, floored to 1e-10 and log10'd — one value, `f`, for every such frame.
 * The extractor then clamps every value at (max − 8) and maps x → (x + 4) / 4. Every value is at
 * least `f`, so the all-zero frames never raise the max: the max over the frames that touch audio
 * is the global one, and every all-zero frame ends as (max(f, max − 8) + 4) / 4.
 *
 * So this runs the very same extractor (its code, config, mel filters, STFT and matmul) on the
 * clip padded only far enough that (1) every frame touching audio, with its reflected border,
 * reads exactly what it reads in the 30 s input, and (2) the last frame computed is all zeros.
 * That frame carries the clamped padding value, bit for bit as the full extractor computes it,
 * and it is copied over the remaining frames. The extractor's own `max_length` option sets the
 * shorter padding; no arithmetic of the features is re-implemented here.
 */

export interface WhisperFrameGeometry {
  /** Samples per 30 s window (`n_samples`, 480,000 at 16 kHz). */
  windowSamples: number;
  /** Frames of the features (`nb_max_frames`, 3,000). */
  frames: number;
  /** STFT hop (`hop_length`, 160) and frame length (`n_fft`, 400). */
  hopLength: number;
  fftLength: number;
}

/**
 * The padded length to give the extractor for a clip of `clipSamples` samples, or the full
 * window when the clip is too close to 30 s for a shorter input to pay off or be exact.
 *
 * With center=true, frame i reads samples [i·hop − fft/2, i·hop + fft/2), reflected at both ends
 * of the input, and the extractor keeps L / hop frames of an input of L samples (a multiple of
 * the hop; it drops the last of its L / hop + 1). Its last kept frame reads [L − hop − fft/2,
 * L + fft/2 − hop) and, reflected, back to L − (fft/2 − hop) − 1: with L − hop − fft/2 ≥ clip
 * length that frame is all zeros, every earlier frame that touches audio reads the same samples
 * as in the 30 s input (zeros past the clip, also where reflected), and so does the padding.
 */
export function paddedSamplesForClip(clipSamples: number, geometry: WhisperFrameGeometry): number {
  const { hopLength, fftLength, windowSamples } = geometry;
  const padded = hopLength * Math.ceil((clipSamples + hopLength + Math.floor(fftLength / 2)) / hopLength);
  // The all-zero last frame must lie within the window's frames, and L must stay under the window.
  return padded / hopLength < geometry.frames && padded < windowSamples ? padded : windowSamples;
}

/**
 * Appends the padding frames: `computed` is the extractor's [mels, computedFrames] output whose
 * last frame is all zeros in the input, so its (clamped, mapped) value is what every later frame
 * of the 30 s features holds.
 */
export function appendPaddedFrames(computed: Float32Array, mels: number, computedFrames: number, frames: number): Float32Array {
  if (computed.length !== mels * computedFrames) throw new RangeError(`Expected ${mels}×${computedFrames} values, got ${computed.length}.`);
  if (computedFrames === frames) return computed;
  if (computedFrames < 1 || computedFrames > frames) throw new RangeError(`Cannot extend ${computedFrames} frames to ${frames}.`);
  const paddedValue = computed[computedFrames - 1] as number;
  const out = new Float32Array(mels * frames);
  for (let mel = 0; mel < mels; mel++) {
    const row = computed.subarray(mel * computedFrames, (mel + 1) * computedFrames);
    // An all-zero frame has the same value in every mel bin; anything else means the input's last frame wasn't silent.
    if (row[computedFrames - 1] !== paddedValue) throw new Error('The last computed frame is not an all-zero frame.');
    out.set(row, mel * frames);
    out.fill(paddedValue, mel * frames + computedFrames, (mel + 1) * frames);
  }
  return out;
}

function configNumber(extractor: FeatureExtractor, key: string): number {
  const value: unknown = Reflect.get(extractor.config as object, key);
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`The Whisper feature extractor's config lacks ${key}.`);
  return value;
}

export function whisperFrameGeometry(extractor: FeatureExtractor): WhisperFrameGeometry {
  return {
    windowSamples: configNumber(extractor, 'n_samples'),
    frames: configNumber(extractor, 'nb_max_frames'),
    hopLength: configNumber(extractor, 'hop_length'),
    fftLength: configNumber(extractor, 'n_fft'),
  };
}

/** The Whisper features of one window ([1, mels, frames]), equal to `extractor(samples)`'s. */
export async function whisperLogMel(extractor: FeatureExtractor, samples: Float32Array): Promise<Tensor> {
  const geometry = whisperFrameGeometry(extractor);
  const paddedLength = paddedSamplesForClip(samples.length, geometry);
  const { input_features } = (await extractor(samples, { max_length: paddedLength })) as { input_features: Tensor };
  const [, mels, computedFrames] = input_features.dims as [number, number, number];
  if (computedFrames === geometry.frames) return input_features;
  const data = appendPaddedFrames(input_features.data as Float32Array, mels, computedFrames, geometry.frames);
  input_features.dispose();
  return new Tensor('float32', data, [1, mels, geometry.frames]);
}
