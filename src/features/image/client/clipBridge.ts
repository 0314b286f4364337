import { ModelWorkerBridge } from '../../models';
import type { LabBackend, LabCallOptions } from '../../lab';
import type {
  BiasProbeRequest,
  BiasReport,
  GridSearchRequest,
  GridSearchResult,
  HeadSummary,
  HeadUse,
  LearningCurveRequest,
  TrainHeadRequest,
} from '../../lab/shared';
import type { LearningCurve, TrainedHead } from '../../../lib/fewShot';
import type { ClassifyItem, ImageResizeMode, ClipTaskEvent, ClipTaskRequest, FrameScores, ItemOutcome } from '../shared/protocol';
import type { WorkerStats } from '../../../lib/workerReports';

export {
  ModelLoadFailure,
  SupersededError,
  WorkerCrashedError,
  WorkerRestartFailedError,
  type BridgeListeners,
  type LoadOptions,
} from '../../models';

export interface ClassifyOptions {
  signal?: AbortSignal;
  onItem?: (itemId: string, contentHash: string, outcome: ItemOutcome) => void;
  onBatchProgress?: (done: number, total: number) => void;
}

/** What the items are ranked with: every label's prompts, and the trained head to use, if any. */
export interface ClassifyQuery {
  classPrompts: string[][];
  head: HeadUse | null;
  resizeMode: ImageResizeMode;
}

type Body<R> = Omit<R, 'type' | 'requestId'>;

/** The terminal reply's value, when the event is the one the request waits for. */
type PickReply<T> = (event: ClipTaskEvent) => { value: T } | null;

/** The CLIP worker's bridge: the shared worker life-cycle plus classify, the debug pixels and the prompt lab's commands. */
export class ClipBridge extends ModelWorkerBridge<ClipTaskRequest, ClipTaskEvent, WorkerStats> implements LabBackend {
  async classify(query: ClassifyQuery, items: ClassifyItem[], options: ClassifyOptions = {}): Promise<{ cancelled: boolean }> {
    if (options.signal?.aborted) return { cancelled: true };
    return this.call<{ cancelled: boolean }>(
      (requestId) => ({ type: 'classify', requestId, classPrompts: query.classPrompts, head: query.head, resizeMode: query.resizeMode, items }),
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
          default:
            return false;
        }
      },
      options.signal,
      () => ({ cancelled: true }),
    );
  }

  /**
   * Scores one live camera frame (never cached nor stored). The bitmap moves to the worker, which
   * closes it; if the request never reaches a worker the caller's close() still frees it.
   * Aborting `signal` before the frame is sent (it waits while the worker restarts) resolves to
   * null without sending it: a stopped live session scores nothing more.
   */
  classifyFrame(query: ClassifyQuery, frame: ImageBitmap, signal?: AbortSignal): Promise<FrameScores | null> {
    if (signal?.aborted) return Promise.resolve(null);
    return this.call<FrameScores | null>(
      (requestId) => ({ type: 'classifyFrame', requestId, frame, classPrompts: query.classPrompts, head: query.head, resizeMode: query.resizeMode }),
      (event, settle) => {
        if (event.type !== 'frameResult') return false;
        const { scores, similarities, classifier, width, height, inferenceMs } = event;
        settle.resolve({ scores, similarities, classifier, width, height, inferenceMs });
        return true;
      },
      signal,
      () => null,
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

  gridSearch(request: Body<GridSearchRequest>, options: LabCallOptions = {}): Promise<GridSearchResult | null> {
    if (options.signal?.aborted) return Promise.resolve(null);
    return this.labCall(
      (requestId) => ({ ...request, type: 'labGridSearch', requestId }),
      (event) => (event.type === 'labGridResult' ? { value: event.result } : null),
      options,
      () => null,
    );
  }

  trainHead(request: Body<TrainHeadRequest>, options: LabCallOptions = {}): Promise<HeadSummary> {
    return this.labCall(
      (requestId) => ({ ...request, type: 'labTrainHead', requestId }),
      (event) => (event.type === 'labHeadTrained' ? { value: event.summary } : null),
      options,
    );
  }

  learningCurve(request: Body<LearningCurveRequest>, options: LabCallOptions = {}): Promise<LearningCurve | null> {
    if (options.signal?.aborted) return Promise.resolve(null);
    return this.labCall(
      (requestId) => ({ ...request, type: 'labLearningCurve', requestId }),
      (event) => (event.type === 'labLearningCurveResult' ? { value: event.curve } : null),
      options,
      () => null,
    );
  }

  exportHead(headId: string): Promise<{ head: TrainedHead; embedding: HeadSummary['embedding'] } | null> {
    return this.labCall(
      (requestId) => ({ type: 'labExportHead', requestId, headId }),
      (event) => {
        if (event.type !== 'labHeadExported') return null;
        return { value: event.head && event.embedding ? { head: event.head, embedding: event.embedding } : null };
      },
    );
  }

  /** The head's buffers move to the worker: the caller's copy is left empty. */
  importHead(headId: string, head: TrainedHead, embedding: HeadSummary['embedding']): Promise<HeadSummary> {
    return this.labCall(
      (requestId) => ({ type: 'labImportHead', requestId, headId, head, embedding }),
      (event) => (event.type === 'labHeadImported' ? { value: event.summary } : null),
    );
  }

  biasProbe(request: Body<BiasProbeRequest>, options: LabCallOptions = {}): Promise<BiasReport> {
    return this.labCall(
      (requestId) => ({ ...request, type: 'labBiasProbe', requestId }),
      (event) => (event.type === 'labBiasReport' ? { value: event.report } : null),
      options,
    );
  }

  protected override transferablesOf(request: ClipTaskRequest): Transferable[] {
    if (request.type === 'classifyFrame') return [request.frame];
    if (request.type !== 'labImportHead') return [];
    const { head } = request;
    const buffers = head.kind === 'logistic' ? [head.model.weights.buffer, head.model.bias.buffer] : [head.keys.buffer, head.keyLabels.buffer];
    // The same buffer listed twice would make postMessage throw.
    return [...new Set(buffers)];
  }

  /**
   * One lab request: progress to `onProgress`, the abort signal to the shared cancel request, settled by its terminal reply;
   * `cancelled` is its reply when aborted before it was sent (the requests the worker can cancel).
   */
  private labCall<T>(build: (requestId: number) => ClipTaskRequest, pick: PickReply<T>, options: LabCallOptions = {}, cancelled?: () => T): Promise<T> {
    return this.call<T>(
      build,
      (event, settle) => {
        if (event.type === 'labProgress') {
          options.onProgress?.({ stage: event.stage, done: event.done, total: event.total });
          return false;
        }
        const reply = pick(event);
        if (!reply) return false;
        settle.resolve(reply.value);
        return true;
      },
      options.signal,
      cancelled,
    );
  }
}

export function createClipWorker(): Worker {
  return new Worker(new URL('../worker/clip.worker.ts', import.meta.url), { type: 'module', name: 'clip' });
}
