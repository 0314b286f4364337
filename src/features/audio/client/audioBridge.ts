import type { TokenAggregation } from '../../../lib/audioScoring';
import type { LearningCurve, TrainedHead } from '../../../lib/fewShot';
import { ModelWorkerBridge, type Settle } from '../../models';
import type { LabBackend, LabCallOptions } from '../../lab';
import type {
  GridSearchRequest,
  GridSearchResult,
  HeadSummary,
  HeadUse,
  LearningCurveRequest,
  TrainHeadRequest,
} from '../../lab/shared';
import {
  audioTransferablesOf,
  type AudioClip,
  type AudioTaskEvent,
  type AudioTaskRequest,
  type ClipOutcome,
  type TranscribeClip,
  type TranscriptOutcome,
  type DecoderStrategyScores,
  type ScoreLiveWindowRequest,
} from '../shared/protocol';
import { type AudioWorkerStats } from '../../../lib/workerReports';

export interface ScoreOptions {
  signal?: AbortSignal;
  onClip?: (itemId: string, contentHash: string, outcome: ClipOutcome) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface ScoreReply {
  cancelled: boolean;
  /** The head the request named, when the worker doesn't hold it (it restarted): the clips came back zero-shot. */
  missingHeadId: string | null;
}

export interface TranscribeOptions {
  /** Aborting it (a new score request is coming) stops the worker at the next clip or token. */
  signal?: AbortSignal;
  onTranscript?: (itemId: string, contentHash: string, outcome: TranscriptOutcome) => void;
}

type Body<R> = Omit<R, 'type' | 'requestId'>;

/** A live window's reply: raw scores, the head's probabilities, Whisper's transcript, the worker's time. */
export type LiveWindowReply = Omit<Extract<AudioTaskEvent, { type: 'liveWindowScored' }>, 'type' | 'requestId'>;

/**
 * The audio worker's bridge: the shared worker life-cycle plus scoring, transcription, zero-input scores, debug
 * features, and the prompt lab's requests (the lab's LabBackend for audio).
 */
export class AudioBridge extends ModelWorkerBridge<AudioTaskRequest, AudioTaskEvent, AudioWorkerStats> implements LabBackend {
  protected override transferablesOf(request: AudioTaskRequest): Transferable[] {
    return audioTransferablesOf(request);
  }

  async score(
    classPrompts: string[][],
    aggregation: TokenAggregation,
    clips: AudioClip[],
    head: HeadUse | null,
    options: ScoreOptions = {},
  ): Promise<ScoreReply> {
    if (options.signal?.aborted) return { cancelled: true, missingHeadId: null };
    return this.call<ScoreReply>(
      (requestId) => ({ type: 'score', requestId, classPrompts, aggregation, clips, head }),
      (event, settle) => {
        switch (event.type) {
          case 'scoreProgress':
            options.onProgress?.(event.done, event.total);
            return false;
          case 'clipResult':
            options.onClip?.(event.itemId, event.contentHash, event.outcome);
            return false;
          case 'scored':
            settle.resolve({ cancelled: event.cancelled, missingHeadId: event.missingHeadId });
            return true;
          default:
            return false;
        }
      },
      options.signal,
      () => ({ cancelled: true, missingHeadId: null }),
    );
  }

  /** Whisper transcripts of clips the worker holds, one event per clip; resolves with whether it was cancelled. */
  async transcribe(clips: TranscribeClip[], options: TranscribeOptions = {}): Promise<{ cancelled: boolean }> {
    if (options.signal?.aborted) return { cancelled: true };
    return this.call<{ cancelled: boolean }>(
      (requestId) => ({ type: 'transcribe', requestId, clips }),
      (event, settle) => {
        switch (event.type) {
          case 'transcript':
            options.onTranscript?.(event.itemId, event.contentHash, event.outcome);
            return false;
          case 'transcribed':
            settle.resolve({ cancelled: event.cancelled });
            return true;
          default:
            return false;
        }
      },
      options.signal,
      () => ({ cancelled: true }),
    );
  }

  /** One live microphone window (its samples are transferred: the caller's copy is emptied). */
  scoreLiveWindow(request: Body<ScoreLiveWindowRequest>): Promise<LiveWindowReply> {
    return this.call<LiveWindowReply>(
      (requestId) => ({ ...request, type: 'scoreLiveWindow', requestId }),
      (event, settle) => {
        if (event.type !== 'liveWindowScored') return false;
        const { type: _type, requestId: _requestId, ...reply } = event;
        settle.resolve(reply);
        return true;
      },
    );
  }

  zeroInputScores(classPrompts: string[][], aggregation: TokenAggregation): Promise<Float32Array> {
    return this.call<Float32Array>(
      (requestId) => ({ type: 'zeroInput', requestId, classPrompts, aggregation }),
      (event, settle) => {
        if (event.type !== 'zeroInputScores') return false;
        settle.resolve(event.scores);
        return true;
      },
    );
  }

  debugFeatures(contentHash: string): Promise<{ dims: number[]; data: Float32Array } | null> {
    return this.call<{ dims: number[]; data: Float32Array } | null>(
      (requestId) => ({ type: 'debugFeatures', requestId, contentHash }),
      (event, settle) => {
        if (event.type !== 'debugFeatures') return false;
        settle.resolve(event.data ? { dims: event.dims, data: event.data } : null);
        return true;
      },
    );
  }

  debugDecoderStrategies(contentHash: string, prompts: string[]): Promise<DecoderStrategyScores[] | null> {
    return this.call<DecoderStrategyScores[] | null>(
      (requestId) => ({ type: 'debugDecoderStrategies', requestId, contentHash, prompts }),
      (event, settle) => {
        if (event.type !== 'debugDecoderStrategies') return false;
        settle.resolve(event.results);
        return true;
      },
    );
  }

  gridSearch(request: Body<GridSearchRequest>, options: LabCallOptions = {}): Promise<GridSearchResult | null> {
    return this.lab<GridSearchResult | null>(
      (requestId) => ({ ...request, type: 'labGridSearch', requestId }),
      (event, settle) => {
        if (event.type !== 'labGridResult') return false;
        settle.resolve(event.result);
        return true;
      },
      options,
      () => null,
    );
  }

  trainHead(request: Body<TrainHeadRequest>, options: LabCallOptions = {}): Promise<HeadSummary> {
    return this.lab<HeadSummary>(
      (requestId) => ({ ...request, type: 'labTrainHead', requestId }),
      (event, settle) => {
        if (event.type !== 'labHeadTrained') return false;
        settle.resolve(event.summary);
        return true;
      },
      options,
    );
  }

  learningCurve(request: Body<LearningCurveRequest>, options: LabCallOptions = {}): Promise<LearningCurve | null> {
    return this.lab<LearningCurve | null>(
      (requestId) => ({ ...request, type: 'labLearningCurve', requestId }),
      (event, settle) => {
        if (event.type !== 'labLearningCurveResult') return false;
        settle.resolve(event.curve);
        return true;
      },
      options,
      () => null,
    );
  }

  exportHead(headId: string): Promise<{ head: TrainedHead; embedding: HeadSummary['embedding'] } | null> {
    return this.lab<{ head: TrainedHead; embedding: HeadSummary['embedding'] } | null>(
      (requestId) => ({ type: 'labExportHead', requestId, headId }),
      (event, settle) => {
        if (event.type !== 'labHeadExported') return false;
        settle.resolve(event.head && event.embedding ? { head: event.head, embedding: event.embedding } : null);
        return true;
      },
    );
  }

  importHead(headId: string, head: TrainedHead, embedding: HeadSummary['embedding']): Promise<HeadSummary> {
    return this.lab<HeadSummary>(
      (requestId) => ({ type: 'labImportHead', requestId, headId, head, embedding }),
      (event, settle) => {
        if (event.type !== 'labHeadImported') return false;
        settle.resolve(event.summary);
        return true;
      },
    );
  }

  /**
   * A lab request: progress events go to `onProgress`, the abort signal cancels it in the worker;
   * `cancelled` is its reply when aborted before it was sent (the requests the worker can cancel).
   */
  private lab<T>(
    build: (requestId: number) => AudioTaskRequest,
    settleOn: (event: AudioTaskEvent, settle: Settle<T>) => boolean,
    options: LabCallOptions = {},
    cancelled?: () => T,
  ): Promise<T> {
    return this.call<T>(
      build,
      (event, settle) => {
        if (event.type === 'labProgress') {
          options.onProgress?.({ stage: event.stage, done: event.done, total: event.total });
          return false;
        }
        return settleOn(event, settle);
      },
      options.signal,
      cancelled,
    );
  }
}

export function createAudioWorker(): Worker {
  return new Worker(new URL('../worker/audio.worker.ts', import.meta.url), { type: 'module', name: 'audio' });
}
