import type { TokenAggregation } from '../../../lib/audioScoring';

/** A window's encoding, kept in the engine's cache: Whisper's encoder output or CLAP's audio embedding. */
export interface EncodedWindow {
  readonly bytes: number;
}

export interface ModelInput {
  dims: number[];
  data: Float32Array;
}

export interface EncodeResult<W extends EncodedWindow> {
  encoded: W;
  /** Greedy transcription, when asked for and the family can transcribe (Whisper). */
  transcript: string | null;
  /** The model's input (log-mel or CLAP features), when asked for: tests compare it with a reference runtime. */
  input: ModelInput | null;
}

export interface ScoreCounters {
  decoderRuns: number;
  labelRowsScored: number;
  textRuns: number;
  textsEmbedded: number;
}

/**
 * What the audio engine needs from a model family: the rate and window length it reads, how a
 * window is encoded (once; the engine caches it), and how prompts are scored against it.
 */
export interface AudioScorer<W extends EncodedWindow = EncodedWindow> {
  readonly family: 'whisper' | 'clap';
  readonly sampleRate: number;
  readonly windowSeconds: number;
  encode(windowSamples: Float32Array, options: { transcribe: boolean; keepInput: boolean }): Promise<EncodeResult<W>>;
  /** Raw log-space scores of each prompt against the window. */
  score(window: W, prompts: readonly string[], aggregation: TokenAggregation, counters: ScoreCounters): Promise<Float32Array>;
  warmUp(): Promise<void>;
  dispose(): Promise<void>;
}
