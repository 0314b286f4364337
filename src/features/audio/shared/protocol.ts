/**
 * The message protocol between the app and the audio worker (Whisper or CLAP). As for images,
 * every request carries a requestId and gets exactly one terminal reply (`scored`, `transcribed`,
 * `zeroInputScores`, `debugFeatures`, the lab's replies or the shared `failed`).
 */
import type { TokenAggregation } from '../../../lib/audioScoring';
import { labTransferablesOf, type HeadUse, type LabEvent, type LabRequest } from '../../lab/shared';
import type { BaseWorkerEvent, CancelRequest, LoadModelRequest } from '../../models/shared';
import type { AudioWorkerStats } from '../../../lib/workerReports';

/** Decoded audio as the main thread got it from the browser's decoder; the worker down-mixes and resamples. */
export interface DecodedAudio {
  /** At most the part that will be scored (the main thread doesn't copy what the worker would drop). */
  channels: Float32Array[];
  /** The rate the browser decoded at. */
  sampleRate: number;
  /**
   * The file's own rate from its header; null when the header doesn't say (or, for HE-AAC, may
   * not be the decoded rate). A decode at another rate means the browser resampled once before
   * the worker's own resampling.
   */
  fileSampleRate: number | null;
  /** The whole file's duration. */
  durationSeconds: number;
}

export interface AudioClip {
  itemId: string;
  /** SHA-256 of the file's bytes: with the model variant, the key of the clip's cached encoder output. */
  contentHash: string;
  /** Null when the worker already holds this clip (sent earlier to the same model); it answers `needs-audio` if not. */
  audio: DecodedAudio | null;
}

export interface ScoreRequest {
  type: 'score';
  requestId: number;
  /**
   * Per label, its prompts: every template × alternative already filled (Whisper: the text after
   * the prompt tokens; CLAP: the caption). A label's raw score ensembles them (Whisper: the mean
   * of their scores; CLAP: the score against their normalised, summed caption embeddings).
   */
  classPrompts: string[][];
  aggregation: TokenAggregation;
  clips: AudioClip[];
  /** A head the worker holds (trained or imported): each clip's result then carries its probabilities too. */
  head: HeadUse | null;
}

/** A clip to transcribe: the worker must already hold it (it was scored); no audio travels with it. */
export interface TranscribeClip {
  itemId: string;
  contentHash: string;
}

/**
 * Whisper's greedy transcription of each clip's first window, from its cached encoder output. A
 * request of its own, sent after the scores arrived and cancelled by the next score request, so
 * scoring never waits behind it; one `transcript` event per clip it got to, then `transcribed`.
 */
export interface TranscribeRequest {
  type: 'transcribe';
  requestId: number;
  clips: TranscribeClip[];
}

/** The scores of a silent clip for the same prompts: zero-input calibration subtracts them. */
export interface ZeroInputRequest {
  type: 'zeroInput';
  requestId: number;
  classPrompts: string[][];
  aggregation: TokenAggregation;
}

export interface DebugFeaturesRequest {
  type: 'debugFeatures';
  requestId: number;
  contentHash: string;
}

/** Debug (?debug=1): a held clip's first window scored with each Whisper decoder strategy, to check they agree on this backend. */
export interface DebugDecoderStrategiesRequest {
  type: 'debugDecoderStrategies';
  requestId: number;
  contentHash: string;
  prompts: string[];
}

/**
 * How the Whisper scorer's decoder reads the labels. cached-cross-attention (the default): the
 * prompt tokens run once per window with batch 1 and the label rows, which decode only their own
 * tokens, read that key/value cache (self-attention tiled over the rows, cross-attention as the
 * CrossAttentionFeed says). tiled: the reference, every row decodes prompt + label against the
 * encoder output tiled along the batch (each row recomputes the cross-attention). Same scores.
 */
export type WhisperDecoderStrategy = 'cached-cross-attention' | 'tiled';

/**
 * How the label rows of one decoder call read the prompt's cross-attention cache. broadcast: the
 * batch-1 keys/values go in as they are and the decoder's attention MatMuls broadcast them over
 * the rows (no copy; checked once per model against tiled). tiled: one copy per row along the
 * batch, for exports whose attention reshapes by the batch size.
 */
export type CrossAttentionFeed = 'broadcast' | 'tiled';

/** One decoder strategy's raw scores of the prompts (both score rules), and how it fed the cross-attention cache. */
export interface DecoderStrategyScores {
  strategy: WhisperDecoderStrategy;
  crossAttentionFeed: CrossAttentionFeed | null;
  mean: number[];
  sumWithEot: number[];
  /** Wall time of this strategy's scoring in the worker (a debug measurement, never asserted). */
  ms: number;
}

/**
 * One live microphone window (mono, at the rate it was captured; the buffer is transferred): the
 * worker resamples it, runs the encoder once, scores the prompts and, if asked, transcribes it
 * (Whisper), then forgets it. Nothing of the window is cached or kept; only the prompt side
 * (CLAP's caption embeddings) is. Terminal reply: `liveWindowScored` (or the shared `failed`).
 */
export interface ScoreLiveWindowRequest {
  type: 'scoreLiveWindow';
  requestId: number;
  samples: Float32Array;
  sampleRate: number;
  /** Milliseconds from the start of listening to the window's first sample (echoed back). */
  startMs: number;
  classPrompts: string[][];
  aggregation: TokenAggregation;
  head: HeadUse | null;
  /** Whisper's greedy transcript of the window too (ignored for CLAP). */
  transcribe: boolean;
}

/** The audio worker answers the prompt lab's requests (not the bias probe, which is images only). */
export type AudioTaskRequest =
  | ScoreRequest
  | TranscribeRequest
  | ZeroInputRequest
  | DebugFeaturesRequest
  | DebugDecoderStrategiesRequest
  | ScoreLiveWindowRequest
  | LabRequest;
export type AudioWorkerRequest = LoadModelRequest | CancelRequest | AudioTaskRequest;

export interface ClipScores {
  ok: true;
  /** Raw per-label scores in log space: Whisper token log-probs, CLAP scaled cosines. Calibration happens on the main thread. */
  scores: Float32Array;
  /**
   * The requested head's class probabilities for this clip; null without a head (or when the
   * worker doesn't hold it). The main thread blends them with the calibrated zero-shot ones.
   */
  headProbabilities: Float32Array | null;
  durationSeconds: number;
  /** Seconds actually scored (clips are cut at the scoring limit). */
  scoredSeconds: number;
  windows: number;
  windowSeconds: number;
  /**
   * Whisper's greedy transcription of the first window when the worker already has it (the same
   * audio transcribed before); null for CLAP, and for a clip not transcribed yet: a separate
   * `transcribe` request brings it after the scores.
   */
  transcript: string | null;
  /** Whether the encoder ran for this request (false: served from the cache). */
  encodedNow: boolean;
}

export type ClipOutcome =
  | ClipScores
  | { ok: false; kind: 'needs-audio' | 'bad-clip' | 'error'; message: string };

export interface ClipTranscript {
  ok: true;
  transcript: string;
  /** Seconds the transcript covers when the clip is longer than one window (Whisper transcribes its first); else null. */
  coveredSeconds: number | null;
}

export type TranscriptOutcome = ClipTranscript | Extract<ClipOutcome, { ok: false }>;

export type AudioTaskEvent =
  | { type: 'scoreProgress'; requestId: number; done: number; total: number }
  | { type: 'clipResult'; requestId: number; itemId: string; contentHash: string; outcome: ClipOutcome }
  /** `missingHeadId`: the request's head, when the worker doesn't hold it (it restarted): the clips were scored zero-shot. */
  | { type: 'scored'; requestId: number; cancelled: boolean; missingHeadId: string | null }
  | { type: 'transcript'; requestId: number; itemId: string; contentHash: string; outcome: TranscriptOutcome }
  | { type: 'transcribed'; requestId: number; cancelled: boolean }
  | { type: 'zeroInputScores'; requestId: number; scores: Float32Array }
  | { type: 'debugFeatures'; requestId: number; dims: number[]; data: Float32Array | null }
  /** Null when the worker doesn't hold the clip or its model has one decoder strategy (CLAP). */
  | { type: 'debugDecoderStrategies'; requestId: number; results: DecoderStrategyScores[] | null }
  | {
      type: 'liveWindowScored';
      requestId: number;
      startMs: number;
      /** Raw per-label scores, as a clip's (calibration happens on the main thread). */
      scores: Float32Array;
      headProbabilities: Float32Array | null;
      /** Whisper's greedy transcript when asked for; else null. */
      transcript: string | null;
      /** Worker time from receiving the window to its scores (and transcript). */
      inferenceMs: number;
      /** The request's head, when the worker doesn't hold it: the window was scored zero-shot. */
      missingHeadId: string | null;
    }
  | LabEvent;

export type AudioWorkerEvent = BaseWorkerEvent<AudioWorkerStats> | AudioTaskEvent;

/** Buffers inside a message that should move to the other side instead of being copied. */
export function audioTransferablesOf(message: AudioTaskEvent | AudioTaskRequest): Transferable[] {
  switch (message.type) {
    case 'clipResult':
      if (!message.outcome.ok) return [];
      return message.outcome.headProbabilities
        ? [message.outcome.scores.buffer, message.outcome.headProbabilities.buffer]
        : [message.outcome.scores.buffer];
    case 'zeroInputScores':
      return [message.scores.buffer];
    case 'liveWindowScored':
      return message.headProbabilities ? [message.scores.buffer, message.headProbabilities.buffer] : [message.scores.buffer];
    case 'scoreLiveWindow':
      return [message.samples.buffer];
    case 'debugFeatures':
      return 'data' in message && message.data ? [message.data.buffer] : [];
    case 'score':
      return message.clips.flatMap((clip) => clip.audio?.channels.map((channel) => channel.buffer) ?? []);
    case 'labProgress':
    case 'labGridResult':
    case 'labHeadTrained':
    case 'labLearningCurveResult':
    case 'labHeadExported':
    case 'labHeadImported':
    case 'labBiasReport':
      return labTransferablesOf(message);
    default:
      return [];
  }
}
