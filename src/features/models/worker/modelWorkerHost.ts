/// <reference lib="webworker" />
/**
 * The message loop every model worker runs: requests one after another (only `cancel` and the
 * debug faults jump the queue), exactly one terminal reply per request, load with throttled
 * progress, and a WebGPU failure (a failing run, or the device lost, even while idle) reported as
 * `webgpuLost`: the page then replaces this worker with one on WASM. Reloading on WASM in this
 * worker does not work: after the device is lost, a new WASM session's warm-up run here still
 * failed in ORT's WebGPU buffer manager ("Failed to download data from buffer"), seen in Chromium.
 */
import type { BaseWorkerEvent, CancelRequest, DebugFaultRequest, DebugSlowModelRequest, LoadModelRequest, WorkerFault } from '../shared/loadProtocol';
import type { FileProgress, LoadedModelInfo } from '../../../lib/workerReports';
import { ortGpuDevice } from './gpuDevice';
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

/** Calls `onLost` with the reason when the device ORT's WebGPU sessions run on is lost (destroyed, GPU reset). */
async function watchGpuDevice(onLost: (reason: string) => void): Promise<void> {
  const device = await ortGpuDevice();
  void device?.lost.then((info) => onLost(info.message || `the device was ${info.reason ?? 'lost'}`));
}

/** The debug faults (`zspDebug`): real failures, so the app's own recovery is what a test sees. */
function injectFault(fault: WorkerFault, onWebGpu: boolean): void {
  switch (fault) {
    case 'crash':
      // Thrown from a timer, outside every promise chain: an uncaught error, which is what the page's
      // worker.onerror reports for a real crash (an out-of-memory abort of the WASM heap, a bug).
      setTimeout(() => {
        throw new Error('zspDebug.crashWorker: simulated crash');
      }, 0);
      return;
    case 'loseGpuDevice':
      // ORT's own device: destroying it is what a GPU reset or a driver update does to a page.
      if (onWebGpu) void ortGpuDevice().then((device) => device?.destroy());
      return;
  }
}

export function serveModelWorker<
  TLoaded extends { info: LoadedModelInfo },
  TStats,
  TEngine extends HostedEngine<TLoaded, TStats>,
  TTaskRequest extends { type: string; requestId: number },
  TTaskEvent,
>(spec: ModelWorkerSpec<TLoaded, TStats, TEngine, TTaskRequest, TTaskEvent>): void {
  let engine: TEngine | null = null;
  let lifetimeStats: TStats | undefined;
  let queue: Promise<void> = Promise.resolve();
  const cancelledRequests = new Set<number>();
  /** Set once WebGPU failed in this worker: it only waits to be replaced, and runs nothing more. */
  let webgpuLost = false;
  /** The debug slow-model delay (zspDebug.slowModel), waited before every task; 0 = off. */
  let taskDelayMs = 0;

  function reportWebGpuLost(cause: string): void {
    if (webgpuLost) return;
    webgpuLost = true;
    postBase({ type: 'webgpuLost', message: `WebGPU stopped working (${cause}); switched to WebAssembly.` });
  }

  const postBase = (event: BaseWorkerEvent<TStats>) => self.postMessage(event);
  const postTask = (event: TTaskEvent) => self.postMessage(event, spec.transferablesOf(event));

  async function replaceEngine(request: LoadModelRequest, reportFiles: (files: FileProgress[]) => void): Promise<TEngine> {
    if (engine) {
      lifetimeStats = engine.currentStats();
      await spec.dispose(engine.model);
    }
    engine = null;
    const loaded = await spec.load(request, reportFiles);
    engine = spec.createEngine(loaded, request, lifetimeStats);
    if (loaded.info.backend === 'webgpu') void watchGpuDevice((reason) => reportWebGpuLost(`the WebGPU device was lost: ${reason}`));
    postBase({ type: 'stats', stats: engine.currentStats() });
    return engine;
  }

  async function handleLoad(request: LoadModelRequest): Promise<void> {
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
    if (webgpuLost) return;
    const context: TaskContext<TTaskEvent, TStats> = {
      isCancelled: () => cancelledRequests.has(request.requestId),
      // Results computed around a lost device are not trusted: the WASM worker computes them again.
      post: (event) => {
        if (!webgpuLost) postTask(event);
      },
      postStats: (stats) => postBase({ type: 'stats', stats }),
    };
    // Inside the queue, so a slowed task holds the ones behind it as a slow model would.
    if (taskDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, taskDelayMs));
    try {
      await spec.runTask(current, request, context);
    } catch (error) {
      if (current.model.info.backend !== 'webgpu') throw error;
      // No terminal reply: the page replaces this worker (its requests fail as a crash would) and sends again what had no result.
      reportWebGpuLost(errorMessage(error));
    }
  }

  self.onmessage = (message: MessageEvent<LoadModelRequest | CancelRequest | DebugFaultRequest | DebugSlowModelRequest | TTaskRequest>) => {
    const request = message.data;
    if (isCancelRequest(request)) {
      cancelledRequests.add(request.targetRequestId);
      return;
    }
    if (isDebugFault(request)) {
      injectFault(request.fault, engine?.model.info.backend === 'webgpu');
      return;
    }
    if (isDebugSlowModel(request)) {
      taskDelayMs = Math.max(0, request.delayMs);
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

function isDebugFault<T extends { type: string }>(request: DebugFaultRequest | T): request is DebugFaultRequest {
  return request.type === 'debugFault';
}

function isDebugSlowModel<T extends { type: string }>(request: DebugSlowModelRequest | T): request is DebugSlowModelRequest {
  return request.type === 'debugSlowModel';
}

function isLoadRequest<T extends { type: string }>(request: LoadModelRequest | T): request is LoadModelRequest {
  return request.type === 'load';
}
