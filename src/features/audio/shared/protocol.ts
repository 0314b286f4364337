/**
 * The message protocol between the app and the audio worker (Whisper or CLAP). As for images,
 * every request carries a requestId and gets exactly one terminal reply (`scored`,
 * `zeroInputScores`, `debugFeatures` or the shared `failed`).
 */
import type { TokenAggregation } from '../../../lib/audioScoring';
import type { BaseWorkerEvent, CancelRequest, LoadModelRequest } from '../../models/shared';
import type { AudioWorkerStats } from '../../../lib/workerReports';

/** Decoded audio as the main thread got it from the browser's decoder; the worker down-mixes and resamples. */
export interface DecodedAudio {
  /** At most the part that will be scored (the main thread doesn't copy what the worker would drop). */
  channels: Float32Array[];
  sampleRate: number;
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
  /** Each label already filled into the template (Whisper: the text after the prompt tokens; CLAP: the caption). */
  prompts: string[];
  aggregation: TokenAggregation;
  clips: AudioClip[];
}

/** The scores of a silent clip for the same prompts: zero-input calibration subtracts them. */
export interface ZeroInputRequest {
  type: 'zeroInput';
  requestId: number;
  prompts: string[];
  aggregation: TokenAggregation;
}

export interface DebugFeaturesRequest {
  type: 'debugFeatures';
  requestId: number;
  contentHash: string;
}

export type AudioTaskRequest = ScoreRequest | ZeroInputRequest | DebugFeaturesRequest;
export type AudioWorkerRequest = LoadModelRequest | CancelRequest | AudioTaskRequest;

export interface ClipScores {
  ok: true;
  /** Raw per-prompt scores in log space: Whisper token log-probs, CLAP scaled cosines. Calibration happens on the main thread. */
  scores: Float32Array;
  durationSeconds: number;
  /** Seconds actually scored (clips are cut at the scoring limit). */
  scoredSeconds: number;
  windows: number;
  windowSeconds: number;
  /** Whisper's greedy transcription of the first window; null for CLAP. */
  transcript: string | null;
  /** Whether the encoder ran for this request (false: served from the cache). */
  encodedNow: boolean;
}

export type ClipOutcome =
  | ClipScores
  | { ok: false; kind: 'needs-audio' | 'bad-clip' | 'error'; message: string };

export type AudioTaskEvent =
  | { type: 'scoreProgress'; requestId: number; done: number; total: number }
  | { type: 'clipResult'; requestId: number; itemId: string; contentHash: string; outcome: ClipOutcome }
  | { type: 'scored'; requestId: number; cancelled: boolean }
  | { type: 'zeroInputScores'; requestId: number; scores: Float32Array }
  | { type: 'debugFeatures'; requestId: number; dims: number[]; data: Float32Array | null };

export type AudioWorkerEvent = BaseWorkerEvent<AudioWorkerStats> | AudioTaskEvent;

/** Buffers inside a message that should move to the other side instead of being copied. */
export function audioTransferablesOf(message: AudioTaskEvent | AudioTaskRequest): Transferable[] {
  switch (message.type) {
    case 'clipResult':
      return message.outcome.ok ? [message.outcome.scores.buffer] : [];
    case 'zeroInputScores':
      return [message.scores.buffer];
    case 'debugFeatures':
      return 'data' in message && message.data ? [message.data.buffer] : [];
    case 'score':
      return message.clips.flatMap((clip) => clip.audio?.channels.map((channel) => channel.buffer) ?? []);
    default:
      return [];
  }
}
