/// <reference lib="webworker" />
/**
 * The message loop every model worker runs: requests one after another (only `cancel` and the
 * debug faults jump the queue), exactly one terminal reply per request, load with throttled
 * progress, and a WebGPU failure mid-task (a failing run, or the device lost) turned into a
 * reload on WASM that the UI is told about.
 */
import type { BaseWorkerEvent, CancelRequest, DebugFaultRequest, LoadModelRequest, WorkerFault } from '../shared/loadProtocol';
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

/** Thrown into a WebGPU run whose device was lost: a run on a lost device may fail late, or never settle. */
class GpuDeviceLostError extends Error {}

/** The WebGPU device of the current engine: `reason` once lost, and a promise that rejects then. */
interface GpuWatch {
  reason: string | null;
  lost: Promise<never>;
}

/** Watches the device ORT's sessions run on: its `lost` promise resolves when it is destroyed or the GPU resets. */
async function watchGpuDevice(): Promise<GpuWatch | null> {
  const device = await ortGpuDevice();
  if (!device) return null;
  const watch: GpuWatch = {
    reason: null,
    lost: new Promise<never>((_, reject) => {
      void device.lost.then((info) => {
        watch.reason = info.message || `the device was ${info.reason ?? 'lost'}`;
        reject(new GpuDeviceLostError(`the WebGPU device was lost: ${watch.reason}`));
      });
    }),
  };
  // Nobody may be running when it happens; the next task finds the reason.
  watch.lost.catch(() => undefined);
  return watch;
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
  let lastLoadRequest: LoadModelRequest | null = null;
  let lifetimeStats: TStats | undefined;
  let queue: Promise<void> = Promise.resolve();
  const cancelledRequests = new Set<number>();
  /** The current engine's WebGPU device, watched for loss (null on WASM). */
  let gpu: GpuWatch | null = null;

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
    gpu = loaded.info.backend === 'webgpu' ? await watchGpuDevice() : null;
    postBase({ type: 'stats', stats: engine.currentStats() });
    return engine;
  }

  /** Reloads the same model on WASM after WebGPU failed, and tells the page (badge and notice). */
  async function fallBackToWasm(cause: string): Promise<TEngine> {
    if (!lastLoadRequest) throw new Error(cause);
    const reason = `WebGPU stopped working (${cause}); switched to WebAssembly.`;
    const replacement = await replaceEngine({ ...lastLoadRequest, backend: 'wasm' }, () => undefined, reason);
    postBase({ type: 'backendChanged', info: replacement.model.info });
    return replacement;
  }

  /**
   * One attempt at a task. On WebGPU it ends when the device is lost even if the run never does,
   * and whatever that run still posts is dropped: its results may come from a dead device.
   */
  async function runOn(current: TEngine, request: TTaskRequest, context: TaskContext<TTaskEvent, TStats>): Promise<void> {
    const watch = gpu;
    if (current.model.info.backend !== 'webgpu' || !watch) return spec.runTask(current, request, context);
    let live = true;
    const attempt: TaskContext<TTaskEvent, TStats> = {
      isCancelled: context.isCancelled,
      post: (event) => {
        if (live && watch.reason === null) context.post(event);
      },
      postStats: (stats) => {
        if (live) context.postStats(stats);
      },
    };
    try {
      await Promise.race([spec.runTask(current, request, attempt), watch.lost]);
    } finally {
      live = false;
    }
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
    // The device was lost while the worker was idle: straight to WASM.
    const lostBefore = current.model.info.backend === 'webgpu' ? gpu?.reason : null;
    const runner = lostBefore ? await fallBackToWasm(`the WebGPU device was lost: ${lostBefore}`) : current;
    try {
      await runOn(runner, request, context);
    } catch (error) {
      if (runner.model.info.backend !== 'webgpu' || !lastLoadRequest) throw error;
      // A lost or failing WebGPU device mid-run: reload the same model on WASM, say so, and run the
      // request again there (the items it already answered are answered again, from the WASM model).
      const lost = gpu?.reason;
      const replacement = await fallBackToWasm(lost ? `the WebGPU device was lost: ${lost}` : errorMessage(error));
      await spec.runTask(replacement, request, context);
    }
  }

  self.onmessage = (message: MessageEvent<LoadModelRequest | CancelRequest | DebugFaultRequest | TTaskRequest>) => {
    const request = message.data;
    if (isCancelRequest(request)) {
      cancelledRequests.add(request.targetRequestId);
      return;
    }
    if (isDebugFault(request)) {
      injectFault(request.fault, engine?.model.info.backend === 'webgpu');
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

function isLoadRequest<T extends { type: string }>(request: LoadModelRequest | T): request is LoadModelRequest {
  return request.type === 'load';
}
