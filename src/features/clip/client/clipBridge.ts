import type { BackendPreference } from '../../../lib/urlState';
import type {
  ClassifyItem,
  FileProgress,
  ItemOutcome,
  LoadErrorKind,
  LoadedModelInfo,
  ModelSource,
  WorkerEvent,
  WorkerRequest,
  WorkerStats,
} from '../shared/protocol';

export class ModelLoadFailure extends Error {
  constructor(
    readonly kind: LoadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export class WorkerCrashedError extends Error {
  constructor() {
    super('The model worker stopped unexpectedly; it has been restarted.');
  }
}

/** A request dropped because a newer model load replaced the worker; nothing went wrong. */
export class SupersededError extends Error {
  constructor() {
    super('Superseded by another model load.');
  }
}

export interface LoadOptions {
  modelId: string;
  source: ModelSource;
  backend: BackendPreference;
  keepPixelsForDebug: boolean;
  onProgress?: (files: FileProgress[]) => void;
}

export interface ClassifyOptions {
  signal?: AbortSignal;
  onItem?: (itemId: string, contentHash: string, outcome: ItemOutcome) => void;
  onBatchProgress?: (done: number, total: number) => void;
}

export interface BridgeListeners {
  onStats?: (stats: WorkerStats) => void;
  onBackendChanged?: (info: LoadedModelInfo) => void;
  onCrash?: (error: WorkerCrashedError) => void;
}

type Pending =
  | { kind: 'load'; options: LoadOptions; resolve: (info: LoadedModelInfo) => void; reject: (error: Error) => void }
  | { kind: 'classify'; options: ClassifyOptions; resolve: (result: { cancelled: boolean }) => void; reject: (error: Error) => void }
  | { kind: 'debugPixels'; resolve: (pixels: { dims: number[]; data: Float32Array } | null) => void; reject: (error: Error) => void };

/**
 * Owns the CLIP worker's life: starts it on first use, matches replies to requests, forwards
 * cancellation, and after a crash starts a fresh worker and reloads the last model before the
 * next request.
 */
export class ClipBridge {
  private worker: Worker | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastLoad: Omit<LoadOptions, 'onProgress'> | null = null;
  private reloadAfterCrash: Promise<unknown> | null = null;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly listeners: BridgeListeners = {},
  ) {}

  /**
   * Each model gets a fresh worker: WebAssembly memory never shrinks, so the old model's heap goes
   * with the old worker, and transformers.js's per-worker memo of which files exist can't make a
   * retry repeat a stale "not found".
   */
  load(options: LoadOptions): Promise<LoadedModelInfo> {
    const { onProgress: _ignored, ...rest } = options;
    this.lastLoad = rest;
    this.reloadAfterCrash = null;
    this.stopWorker(new SupersededError());
    const requestId = this.nextRequestId++;
    return new Promise<LoadedModelInfo>((resolve, reject) => {
      this.pending.set(requestId, { kind: 'load', options, resolve, reject });
      this.send({
        type: 'load',
        requestId,
        modelId: options.modelId,
        source: options.source,
        backend: options.backend,
        keepPixelsForDebug: options.keepPixelsForDebug,
      });
    });
  }

  async classify(prompts: string[], items: ClassifyItem[], options: ClassifyOptions = {}): Promise<{ cancelled: boolean }> {
    if (options.signal?.aborted) return { cancelled: true };
    await this.reloadAfterCrash;
    const requestId = this.nextRequestId++;
    const result = new Promise<{ cancelled: boolean }>((resolve, reject) => {
      this.pending.set(requestId, { kind: 'classify', options, resolve, reject });
    });
    const onAbort = () => this.worker?.postMessage({ type: 'cancel', targetRequestId: requestId } satisfies WorkerRequest);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    this.send({ type: 'classify', requestId, prompts, items });
    try {
      return await result;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  debugPixels(contentHash: string): Promise<{ dims: number[]; data: Float32Array } | null> {
    const requestId = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { kind: 'debugPixels', resolve, reject });
      this.send({ type: 'debugPixels', requestId, contentHash });
    });
  }

  terminate(): void {
    this.stopWorker(new Error('The model worker was stopped.'));
  }

  private stopWorker(reason: Error): void {
    this.worker?.terminate();
    this.worker = null;
    for (const pending of this.pending.values()) pending.reject(reason);
    this.pending.clear();
  }

  private send(request: WorkerRequest): void {
    this.ensureWorker().postMessage(request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (message: MessageEvent<WorkerEvent>) => this.handle(message.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.handleCrash();
    };
    worker.onmessageerror = () => this.handleCrash();
    this.worker = worker;
    return worker;
  }

  private handleCrash(): void {
    const error = new WorkerCrashedError();
    this.stopWorker(error);
    this.listeners.onCrash?.(error);
    // The next classify waits for the same model to be back before it runs.
    if (this.lastLoad) this.reloadAfterCrash = this.load(this.lastLoad).catch(() => undefined);
  }

  private handle(event: WorkerEvent): void {
    switch (event.type) {
      case 'stats':
        this.listeners.onStats?.(event.stats);
        return;
      case 'backendChanged':
        this.listeners.onBackendChanged?.(event.info);
        return;
    }
    const pending = this.pending.get(event.requestId);
    if (!pending) return;
    switch (event.type) {
      case 'loadProgress':
        if (pending.kind === 'load') pending.options.onProgress?.(event.files);
        return;
      case 'loaded':
        this.pending.delete(event.requestId);
        if (pending.kind === 'load') pending.resolve(event.info);
        return;
      case 'loadFailed':
        this.pending.delete(event.requestId);
        pending.reject(new ModelLoadFailure(event.kind, event.message));
        return;
      case 'batchProgress':
        if (pending.kind === 'classify') pending.options.onBatchProgress?.(event.done, event.total);
        return;
      case 'itemResult':
        if (pending.kind === 'classify') pending.options.onItem?.(event.itemId, event.contentHash, event.outcome);
        return;
      case 'classified':
        this.pending.delete(event.requestId);
        if (pending.kind === 'classify') pending.resolve({ cancelled: event.cancelled });
        return;
      case 'debugPixels':
        this.pending.delete(event.requestId);
        if (pending.kind === 'debugPixels') pending.resolve(event.data ? { dims: event.dims, data: event.data } : null);
        return;
      case 'failed':
        this.pending.delete(event.requestId);
        pending.reject(new Error(event.message));
        return;
    }
  }
}

export function createClipWorker(): Worker {
  return new Worker(new URL('../worker/clip.worker.ts', import.meta.url), { type: 'module', name: 'clip' });
}
