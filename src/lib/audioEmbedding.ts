/**
 * The clip embeddings few-shot heads read for audio: CLAP's audio embedding, and Whisper's
 * encoder output mean-pooled over the positions that hold the clip's audio. Whisper pads every
 * window to 30 s (1500 encoder positions for the standard models), so pooling over all of them
 * would mostly average the padding and make every short clip look alike.
 */
import { l2Normalize } from './scoring';

/**
 * Encoder positions that cover `samples` of audio in a window the encoder reads as
 * `windowSeconds` at `sampleRate` into `positions` positions; at least one, at most all.
 */
export function coveredEncoderPositions(samples: number, sampleRate: number, windowSeconds: number, positions: number): number {
  const windowSamples = sampleRate * windowSeconds;
  const covered = Math.ceil((samples / windowSamples) * positions - 1e-9);
  return Math.min(positions, Math.max(1, covered));
}

/** The mean of the first `covered` rows of a positions × width hidden state (row-major). */
export function meanPoolFrames(hidden: ArrayLike<number>, positions: number, width: number, covered: number): Float32Array {
  const rows = Math.min(positions, Math.max(1, covered));
  const sum = new Float64Array(width);
  for (let row = 0; row < rows; row++) {
    const offset = row * width;
    for (let k = 0; k < width; k++) sum[k] = (sum[k] as number) + (hidden[offset + k] as number);
  }
  return Float32Array.from(sum, (value) => value / rows);
}

/** A clip's embedding from its windows' vectors: their mean, L2-normalised (a clip of one window is that window's unit vector). */
export function clipEmbeddingFromWindows(windowVectors: readonly ArrayLike<number>[]): Float32Array {
  const first = windowVectors[0];
  if (!first) return new Float32Array(0);
  const sum = new Float64Array(first.length);
  for (const vector of windowVectors) for (let k = 0; k < sum.length; k++) sum[k] = (sum[k] as number) + (vector[k] as number);
  return l2Normalize(sum);
}
