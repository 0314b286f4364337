import type { ScoresByRule } from '../../../lib/audioScoring';
import type { DecoderStrategyScores } from '../shared/protocol';

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
  /**
   * The window's vector for the clip embedding few-shot heads read (small; kept when the
   * encoding itself leaves the cache): CLAP's unit audio embedding, or Whisper's encoder
   * output mean-pooled over the positions that hold the window's audio.
   */
  pooled: Float32Array;
  /** The model's input (log-mel or CLAP features), when asked for: tests compare it with a reference runtime. */
  input: ModelInput | null;
}

export interface ScoreCounters {
  decoderRuns: number;
  labelRowsScored: number;
  promptRuns: number;
  textRuns: number;
  textsEmbedded: number;
}

/**
 * What the audio engine needs from a model family: the rate and window length it reads, how a
 * window is encoded (once; the engine caches it), and how prompts are scored against it.
 */
/** CLAP's text side: captions as unit vectors in the audio embedding space (cached by the scorer). */
export interface CaptionSpace {
  /** CLAP's scale from cosine to logit. */
  readonly logitScale: number;
  embedCaptions(prompts: readonly string[], counters: ScoreCounters): Promise<Float32Array[]>;
}

/** Whisper's text side: what it hears in a window, from the window's cached encoding. */
export interface Transcriber<W extends EncodedWindow = EncodedWindow> {
  /** Greedy transcription; null when `cancelled` turned true before it finished. */
  transcribe(window: W, cancelled: () => boolean): Promise<string | null>;
}

export interface AudioScorer<W extends EncodedWindow = EncodedWindow> {
  readonly family: 'whisper' | 'clap';
  /** CLAP only: labels ensemble their captions' embeddings (Whisper averages its prompts' scores instead). */
  readonly captions: CaptionSpace | null;
  /** Whisper only: transcription, asked for apart from scoring (after the scores) so it never delays them. */
  readonly transcriber: Transcriber<W> | null;
  readonly sampleRate: number;
  readonly windowSeconds: number;
  encode(windowSamples: Float32Array, options: { keepInput: boolean }): Promise<EncodeResult<W>>;
  /** Raw log-space scores of each prompt against the window, under every score rule (one decoder pass serves them all). */
  score(window: W, prompts: readonly string[], counters: ScoreCounters): Promise<ScoresByRule>;
  /** Whisper: the window scored with each of its decoder strategies (the debug check that they agree); absent for CLAP. */
  scoreEachDecoderStrategy?(window: W, prompts: readonly string[], counters: ScoreCounters): Promise<DecoderStrategyScores[]>;
  /**
   * The engine dropped this window from its encoder cache: whatever the scorer keeps for it goes
   * too (Whisper: its prompt state), so nothing outlives the cache's bound. A window encoded again
   * is a new object, and a new key of the scorer's.
   */
  forgetWindow?(window: W): void;
  warmUp(): Promise<void>;
  dispose(): Promise<void>;
}
