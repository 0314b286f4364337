/// <reference lib="webworker" />
/**
 * The message loop every model worker runs: requests one after another (only `cancel` jumps the
 * queue), exactly one terminal reply per request, load with throttled progress, and a WebGPU
 * failure mid-task turned into a reload on WASM that the UI is told about.
 */
import type { BaseWorkerEvent, CancelRequest, LoadModelRequest } from '../shared/loadProtocol';
import type { FileProgress, LoadedModelInfo } from '../../../lib/workerReports';
import { ModelLoadError } from './modelLoading';

declare const self: DedicatedWorkerGlobalScope;

/** Progress messages are coalesced to this interval so a fast download doesn't flood the UI thread. */
const PROGRESS_INTERVAL_MS = 100;

export interface TaskContext<TTaskEvent, TStats> {
  isCancelled: () => boolean;
  post: (event: TTaskEvent) => void;
  postStats: (stats: TStats) => void;
}

export interface HostedEngine<TLoaded, TStats> {
  readonly model: TLoaded;
  currentStats(): TStats;
}

export interface ModelWorkerSpec<
  TLoaded extends { info: LoadedModelInfo },
  TStats,
  TEngine extends HostedEngine<TLoaded, TStats>,
  TTaskRequest extends { type: string; requestId: number },
  TTaskEvent,
> {
  load(request: LoadModelRequest, reportFiles: (files: FileProgress[]) => void): Promise<TLoaded>;
  dispose(model: TLoaded): Promise<void>;
  /** A new engine for a loaded model; counters carry over from the previous engine of this worker. */
  createEngine(model: TLoaded, request: LoadModelRequest, previousStats: TStats | undefined): TEngine;
  runTask(engine: TEngine, request: TTaskRequest, context: TaskContext<TTaskEvent, TStats>): Promise<void>;
  /** The reply a task request gets when it was cancelled before it started. */
  cancelledReply(request: TTaskRequest): TTaskEvent | null;
  transferablesOf(event: TTaskEvent): Transferable[];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function serveModelWorker<
  TLoaded extends { info: LoadedModelInfo },
  TStats,
  TEngine extends HostedEngine<TLoaded, TStats>,
  TTaskRequest extends { type: string; requestId: number },
  TTaskEvent,
>(spec: ModelWorkerSpec<TLoaded, TStats, TEngine, TTaskRequest, TTaskEvent>): void {
  let engine: TEngine | null = null;
  let lastLoadRequest: LoadModelRequest | null = null;
  let lifetimeStats: TStats | undefined;
  let queue: Promise<void> = Promise.resolve();
  const cancelledRequests = new Set<number>();

  const postBase = (event: BaseWorkerEvent<TStats>) => self.postMessage(event);
  const postTask = (event: TTaskEvent) => self.postMessage(event, spec.transferablesOf(event));

  async function replaceEngine(request: LoadModelRequest, reportFiles: (files: FileProgress[]) => void, fallbackReason?: string): Promise<TEngine> {
    if (engine) {
      lifetimeStats = engine.currentStats();
      await spec.dispose(engine.model);
    }
    engine = null;
    const loaded = await spec.load(request, reportFiles);
    if (fallbackReason) loaded.info = { ...loaded.info, fallbackReason };
    engine = spec.createEngine(loaded, request, lifetimeStats);
    postBase({ type: 'stats', stats: engine.currentStats() });
    return engine;
  }

  async function handleLoad(request: LoadModelRequest): Promise<void> {
    lastLoadRequest = request;
    let lastPost = 0;
    try {
      const loaded = await replaceEngine(request, (files) => {
        const now = performance.now();
        if (now - lastPost < PROGRESS_INTERVAL_MS && !files.every((f) => f.done)) return;
        lastPost = now;
        postBase({ type: 'loadProgress', requestId: request.requestId, files });
      });
      postBase({ type: 'loaded', requestId: request.requestId, info: loaded.model.info });
    } catch (error) {
      const failure = error instanceof ModelLoadError ? error : new ModelLoadError('other', errorMessage(error));
      postBase({ type: 'loadFailed', requestId: request.requestId, kind: failure.kind, message: failure.message });
    }
  }

  async function handleTask(request: TTaskRequest): Promise<void> {
    const current = engine;
    if (!current) {
      postBase({ type: 'failed', requestId: request.requestId, message: 'No model is loaded yet.' });
      return;
    }
    const context: TaskContext<TTaskEvent, TStats> = {
      isCancelled: () => cancelledRequests.has(request.requestId),
      post: postTask,
      postStats: (stats) => postBase({ type: 'stats', stats }),
    };
    try {
      await spec.runTask(current, request, context);
    } catch (error) {
      if (current.model.info.backend !== 'webgpu' || !lastLoadRequest) throw error;
      // A lost or failing WebGPU device mid-run: reload the same model on WASM, say so, and carry on.
      const reason = `WebGPU stopped working (${errorMessage(error)}); switched to WebAssembly.`;
      const replacement = await replaceEngine({ ...lastLoadRequest, backend: 'wasm' }, () => undefined, reason);
      postBase({ type: 'backendChanged', info: replacement.model.info });
      await spec.runTask(replacement, request, context);
    }
  }

  self.onmessage = (message: MessageEvent<LoadModelRequest | CancelRequest | TTaskRequest>) => {
    const request = message.data;
    if (isCancelRequest(request)) {
      cancelledRequests.add(request.targetRequestId);
      return;
    }
    const { requestId } = request;
    queue = queue
      .then(() => {
        if (isLoadRequest(request)) return handleLoad(request);
        const cancelledReply = cancelledRequests.has(requestId) ? spec.cancelledReply(request) : null;
        if (cancelledReply) {
          postTask(cancelledReply);
          return;
        }
        return handleTask(request);
      })
      .catch((error: unknown) => postBase({ type: 'failed', requestId, message: errorMessage(error) }))
      .finally(() => cancelledRequests.delete(requestId));
  };
}

function isCancelRequest<T extends { type: string }>(request: CancelRequest | T): request is CancelRequest {
  return request.type === 'cancel';
}

function isLoadRequest<T extends { type: string }>(request: LoadModelRequest | T): request is LoadModelRequest {
  return request.type === 'load';
}
