/// <reference lib="webworker" />
import { transferablesOf, type ClassifyRequest, type LoadModelRequest, type WorkerEvent, type WorkerRequest, type WorkerStats } from '../shared/protocol';
import { ClipEngine } from './clipEngine';
import { ModelLoadError, disposeClip, loadClip } from './loadModel';

declare const self: DedicatedWorkerGlobalScope;

/** Progress messages are coalesced to this interval so a fast download doesn't flood the UI thread. */
const PROGRESS_INTERVAL_MS = 100;

let engine: ClipEngine | null = null;
let lastLoadRequest: LoadModelRequest | null = null;
let lifetimeStats: WorkerStats | undefined;
/** Requests run one after another; only `cancel` jumps the queue. */
let queue: Promise<void> = Promise.resolve();
const cancelledRequests = new Set<number>();

function post(event: WorkerEvent): void {
  self.postMessage(event, transferablesOf(event));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function handleLoad(request: LoadModelRequest): Promise<void> {
  lastLoadRequest = request;
  if (engine) lifetimeStats = engine.currentStats();
  await disposeClip(engine?.model ?? null);
  engine = null;
  let lastPost = 0;
  try {
    const model = await loadClip(request, (files) => {
      const now = performance.now();
      const allDone = files.every((f) => f.done);
      if (now - lastPost < PROGRESS_INTERVAL_MS && !allDone) return;
      lastPost = now;
      post({ type: 'loadProgress', requestId: request.requestId, files });
    });
    engine = new ClipEngine(model, request.keepPixelsForDebug, lifetimeStats);
    post({ type: 'stats', stats: engine.currentStats() });
    post({ type: 'loaded', requestId: request.requestId, info: model.info });
  } catch (error) {
    const failure = error instanceof ModelLoadError ? error : new ModelLoadError('other', errorMessage(error));
    post({ type: 'loadFailed', requestId: request.requestId, kind: failure.kind, message: failure.message });
  }
}

/** A lost or failing WebGPU device mid-run: reload the same model on WASM, say so, and carry on. */
async function fallBackToWasm(reason: string): Promise<ClipEngine> {
  if (!lastLoadRequest) throw new Error(reason);
  const request: LoadModelRequest = { ...lastLoadRequest, backend: 'wasm' };
  lifetimeStats = engine?.currentStats();
  await disposeClip(engine?.model ?? null);
  engine = null;
  const model = await loadClip(request, () => undefined);
  const info = { ...model.info, fallbackReason: `WebGPU stopped working (${reason}); switched to WebAssembly.` };
  engine = new ClipEngine({ ...model, info }, request.keepPixelsForDebug, lifetimeStats);
  post({ type: 'backendChanged', info });
  return engine;
}

async function handleClassify(request: ClassifyRequest): Promise<void> {
  let current = engine;
  if (!current) {
    post({ type: 'failed', requestId: request.requestId, message: 'No model is loaded yet.' });
    return;
  }
  try {
    await runClassify(current, request);
  } catch (error) {
    if (current.model.info.backend !== 'webgpu') throw error;
    current = await fallBackToWasm(errorMessage(error));
    await runClassify(current, request);
  }
}

async function runClassify(current: ClipEngine, request: ClassifyRequest): Promise<void> {
  const result = await current.classify(request, {
    isCancelled: () => cancelledRequests.has(request.requestId),
    onItem: (item, outcome) =>
      post({ type: 'itemResult', requestId: request.requestId, itemId: item.itemId, contentHash: item.contentHash, outcome }),
    onBatchProgress: (done, total) => post({ type: 'batchProgress', requestId: request.requestId, done, total }),
    onStats: (stats) => post({ type: 'stats', stats }),
  });
  post({ type: 'classified', requestId: request.requestId, cancelled: result.cancelled });
}

async function handle(request: Exclude<WorkerRequest, { type: 'cancel' }>): Promise<void> {
  switch (request.type) {
    case 'load':
      return handleLoad(request);
    case 'classify':
      if (cancelledRequests.has(request.requestId)) {
        post({ type: 'classified', requestId: request.requestId, cancelled: true });
        return;
      }
      return handleClassify(request);
    case 'debugPixels': {
      const pixels = engine?.pixelsFor(request.contentHash);
      post({ type: 'debugPixels', requestId: request.requestId, dims: pixels?.dims ?? [], data: pixels ? pixels.data.slice() : null });
      return;
    }
  }
}

self.onmessage = (message: MessageEvent<WorkerRequest>) => {
  const request = message.data;
  if (request.type === 'cancel') {
    cancelledRequests.add(request.targetRequestId);
    return;
  }
  queue = queue
    .then(() => handle(request))
    .catch((error: unknown) => post({ type: 'failed', requestId: request.requestId, message: errorMessage(error) }))
    .finally(() => cancelledRequests.delete(request.requestId));
};
