import type { TokenAggregation } from '../../../lib/audioScoring';
import { ModelWorkerBridge } from '../../models';
import { audioTransferablesOf, type AudioClip, type AudioTaskEvent, type AudioTaskRequest, type ClipOutcome } from '../shared/protocol';
import { type AudioWorkerStats } from '../../../lib/workerReports';

export interface ScoreOptions {
  signal?: AbortSignal;
  onClip?: (itemId: string, contentHash: string, outcome: ClipOutcome) => void;
  onProgress?: (done: number, total: number) => void;
}

/** The audio worker's bridge: the shared worker life-cycle plus scoring, zero-input scores and debug features. */
export class AudioBridge extends ModelWorkerBridge<AudioTaskRequest, AudioTaskEvent, AudioWorkerStats> {
  protected override transferablesOf(request: AudioTaskRequest): Transferable[] {
    return audioTransferablesOf(request);
  }

  async score(prompts: string[], aggregation: TokenAggregation, clips: AudioClip[], options: ScoreOptions = {}): Promise<{ cancelled: boolean }> {
    if (options.signal?.aborted) return { cancelled: true };
    return this.call<{ cancelled: boolean }>(
      (requestId) => ({ type: 'score', requestId, prompts, aggregation, clips }),
      (event, settle) => {
        switch (event.type) {
          case 'scoreProgress':
            options.onProgress?.(event.done, event.total);
            return false;
          case 'clipResult':
            options.onClip?.(event.itemId, event.contentHash, event.outcome);
            return false;
          case 'scored':
            settle.resolve({ cancelled: event.cancelled });
            return true;
          default:
            return false;
        }
      },
      options.signal,
    );
  }

  zeroInputScores(prompts: string[], aggregation: TokenAggregation): Promise<Float32Array> {
    return this.call<Float32Array>(
      (requestId) => ({ type: 'zeroInput', requestId, prompts, aggregation }),
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
}

export function createAudioWorker(): Worker {
  return new Worker(new URL('../worker/audio.worker.ts', import.meta.url), { type: 'module', name: 'audio' });
}
