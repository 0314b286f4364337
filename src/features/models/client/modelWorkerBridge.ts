import type { BackendPreference } from '../../../lib/urlState';
import { isBaseWorkerEvent, type BaseWorkerEvent, type CancelRequest, type LoadModelRequest, type ModelSource } from '../shared/loadProtocol';
import { type FileProgress, type LoadErrorKind, type LoadedModelInfo } from '../../../lib/workerReports';

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
  keepInputsForDebug: boolean;
  onProgress?: (files: FileProgress[]) => void;
}

export interface BridgeListeners<TStats> {
  onStats?: (stats: TStats) => void;
  onBackendChanged?: (info: LoadedModelInfo) => void;
  onCrash?: (error: WorkerCrashedError) => void;
}

export interface Settle<T> {
  resolve: (value: T) => void;
  reject: (error: Error) => void;
}

/** Handles one task event addressed to its request; returns true when the event was the terminal reply. */
export type TaskEventHandler<TTaskEvent, T> = (event: TTaskEvent, settle: Settle<T>) => boolean;

type Pending<TTaskEvent> =
  | { kind: 'load'; options: LoadOptions; settle: Settle<LoadedModelInfo> }
  | { kind: 'task'; handle: (event: TTaskEvent) => boolean; reject: (error: Error) => void };

type OutgoingMessage<TTaskRequest> = LoadModelRequest | CancelRequest | TTaskRequest;

/**
 * Owns one model worker's life, whatever the task: starts it on first use, matches replies to
 * requests, forwards cancellation (AbortSignal → `cancel`), and after a crash starts a fresh worker
 * and reloads the last model before the next request. Task bridges add their requests with `call`.
 */
export class ModelWorkerBridge<
  TTaskRequest extends { type: string; requestId: number },
  TTaskEvent extends { type: string; requestId: number },
  TStats,
> {
  private worker: Worker | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending<TTaskEvent>>();
  private lastLoad: Omit<LoadOptions, 'onProgress'> | null = null;
  private reloadAfterCrash: Promise<unknown> | null = null;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly listeners: BridgeListeners<TStats> = {},
  ) {}

  /** Buffers in a task request that should be moved to the worker rather than copied. */
  protected transferablesOf(_request: TTaskRequest): Transferable[] {
    return [];
  }

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
      this.pending.set(requestId, { kind: 'load', options, settle: { resolve, reject } });
      this.send({
        type: 'load',
        requestId,
        modelId: options.modelId,
        source: options.source,
        backend: options.backend,
        keepInputsForDebug: options.keepInputsForDebug,
      });
    });
  }

  /**
   * Sends a task request once the model is back (after a crash) and settles when its terminal
   * reply arrives. An aborted signal asks the worker to stop; the worker still replies.
   */
  protected call<T>(build: (requestId: number) => TTaskRequest, handle: TaskEventHandler<TTaskEvent, T>, signal?: AbortSignal): Promise<T> {
    const start = async (): Promise<T> => {
      const requestId = this.nextRequestId++;
      const result = new Promise<T>((resolve, reject) => {
        const settle = { resolve, reject };
        this.pending.set(requestId, { kind: 'task', handle: (event) => handle(event, settle), reject });
      });
      const onAbort = () => this.worker?.postMessage({ type: 'cancel', targetRequestId: requestId } satisfies CancelRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      const request = build(requestId);
      this.send(request, this.transferablesOf(request));
      try {
        return await result;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
    // Sent at once unless a crashed worker's model is still coming back.
    return this.reloadAfterCrash ? this.reloadAfterCrash.then(start) : start();
  }

  terminate(): void {
    this.stopWorker(new Error('The model worker was stopped.'));
  }

  private stopWorker(reason: Error): void {
    this.worker?.terminate();
    this.worker = null;
    for (const pending of this.pending.values()) (pending.kind === 'load' ? pending.settle.reject : pending.reject)(reason);
    this.pending.clear();
  }

  private send(message: OutgoingMessage<TTaskRequest>, transfer: Transferable[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.onmessage = (message: MessageEvent<BaseWorkerEvent<TStats> | TTaskEvent>) => this.handle(message.data);
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
    // The next task waits for the same model to be back before it runs.
    if (this.lastLoad) this.reloadAfterCrash = this.load(this.lastLoad).catch(() => undefined);
  }

  private handle(event: BaseWorkerEvent<TStats> | TTaskEvent): void {
    if (!isBaseWorkerEvent(event)) {
      const pending = this.pending.get(event.requestId);
      if (pending?.kind === 'task' && pending.handle(event)) this.pending.delete(event.requestId);
      return;
    }
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
        if (pending.kind === 'load') pending.settle.resolve(event.info);
        return;
      case 'loadFailed':
        this.pending.delete(event.requestId);
        (pending.kind === 'load' ? pending.settle.reject : pending.reject)(new ModelLoadFailure(event.kind, event.message));
        return;
      case 'failed':
        this.pending.delete(event.requestId);
        (pending.kind === 'load' ? pending.settle.reject : pending.reject)(new Error(event.message));
        return;
    }
  }
}
