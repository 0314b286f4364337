import { ModelWorkerBridge } from '../../models';
import type { ClassifyItem, ClipTaskEvent, ClipTaskRequest, ItemOutcome } from '../shared/protocol';
import type { WorkerStats } from '../../../lib/workerReports';

export {
  ModelLoadFailure,
  SupersededError,
  WorkerCrashedError,
  type BridgeListeners,
  type LoadOptions,
} from '../../models';

export interface ClassifyOptions {
  signal?: AbortSignal;
  onItem?: (itemId: string, contentHash: string, outcome: ItemOutcome) => void;
  onBatchProgress?: (done: number, total: number) => void;
}

/** The CLIP worker's bridge: the shared worker life-cycle plus classify and the debug pixels. */
export class ClipBridge extends ModelWorkerBridge<ClipTaskRequest, ClipTaskEvent, WorkerStats> {
  async classify(prompts: string[], items: ClassifyItem[], options: ClassifyOptions = {}): Promise<{ cancelled: boolean }> {
    if (options.signal?.aborted) return { cancelled: true };
    return this.call<{ cancelled: boolean }>(
      (requestId) => ({ type: 'classify', requestId, prompts, items }),
      (event, settle) => {
        switch (event.type) {
          case 'batchProgress':
            options.onBatchProgress?.(event.done, event.total);
            return false;
          case 'itemResult':
            options.onItem?.(event.itemId, event.contentHash, event.outcome);
            return false;
          case 'classified':
            settle.resolve({ cancelled: event.cancelled });
            return true;
          case 'debugPixels':
            return false;
        }
      },
      options.signal,
    );
  }

  debugPixels(contentHash: string): Promise<{ dims: number[]; data: Float32Array } | null> {
    return this.call(
      (requestId) => ({ type: 'debugPixels', requestId, contentHash }),
      (event, settle: { resolve: (value: { dims: number[]; data: Float32Array } | null) => void }) => {
        if (event.type !== 'debugPixels') return false;
        settle.resolve(event.data ? { dims: event.dims, data: event.data } : null);
        return true;
      },
    );
  }
}

export function createClipWorker(): Worker {
  return new Worker(new URL('../worker/clip.worker.ts', import.meta.url), { type: 'module', name: 'clip' });
}
