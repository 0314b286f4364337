import type { BackendPreference } from '../../../lib/urlState';
import {
  isBaseWorkerEvent,
  type BaseWorkerEvent,
  type CancelRequest,
  type DebugFaultRequest,
  type DebugSlowModelRequest,
  type LoadModelRequest,
  type ModelSource,
  type WorkerFault,
} from '../shared/loadProtocol';
import { type DtypePreference, type FileProgress, type LoadErrorKind, type LoadedModelInfo } from '../../../lib/workerReports';

export class ModelLoadFailure extends Error {
  constructor(
    readonly kind: LoadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export class WorkerCrashedError extends Error {
  constructor(detail?: string) {
    super(`The model worker stopped unexpectedly${detail ? ` (${detail})` : ''}; it is being restarted and the model reloaded.`);
  }
}

/**
 * WebGPU stopped working in the worker (device lost, or a run on it failed): handled like a crash,
 * but the fresh worker loads the model on WASM. The message is the worker's reason, shown as is.
 */
export class WebGpuLostError extends WorkerCrashedError {
  constructor(reason: string) {
    super();
    this.message = reason;
  }
}

/** The worker crashed and could not be brought back: it crashed again, or the model failed to load again. */
export class WorkerRestartFailedError extends Error {
  constructor(cause: string) {
    super(`The model worker stopped unexpectedly and could not be restarted: ${cause}`);
  }
}

/** A request dropped because a newer model load replaced the worker; nothing went wrong. */
export class SupersededError extends Error {
  constructor() {
    super('Superseded by another model load.');
  }
}

/**
 * A request dropped because the worker was stopped on purpose (the user cancelled a model load, or
 * the app shut the task down); nothing went wrong, and whoever stopped it says so.
 */
export class StoppedError extends Error {
  constructor() {
    super('The model worker was stopped.');
  }
}

export interface LoadOptions {
  modelId: string;
  source: ModelSource;
  backend: BackendPreference;
  /** Which weights (default `auto`: the loader's rule, see chooseDtype). */
  dtype?: DtypePreference;
  keepInputsForDebug: boolean;
  onProgress?: (files: FileProgress[]) => void;
}

export interface BridgeListeners<TStats> {
  onStats?: (stats: TStats) => void;
  /** The worker died: a fresh one is reloading the last model (requests made meanwhile wait for it). */
  onCrash?: (error: WorkerCrashedError) => void;
  /**
   * The fresh worker has the model again (after `cause`); the requests that waited are on their way.
   * `duringLoad`: the crash came while the model was being loaded (it had not been ready in that worker).
   */
  onRestarted?: (info: LoadedModelInfo, cause: WorkerCrashedError, duringLoad: boolean) => void;
  /** The restart failed (crashed again, or the model would not load): nothing waits any more. */
  onRestartFailed?: (error: WorkerRestartFailedError) => void;
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

type OutgoingMessage<TTaskRequest> = LoadModelRequest | CancelRequest | DebugFaultRequest | DebugSlowModelRequest | TTaskRequest;

/** A task request made while a crashed worker's model reloads: sent once it is back, unless dropped first. */
interface WaitingRequest {
  send: () => void;
  reject: (error: Error) => void;
}

/**
 * Owns one model worker's life, whatever the task: starts it on first use, matches replies to
 * requests, forwards cancellation (AbortSignal → `cancel`), and after a crash starts a fresh worker
 * and reloads the last model before the next request. Task bridges add their requests with `call`.
 *
 * After a crash, requests wait in `waiting` until the reload is done. One that is aborted while it
 * waits is answered at once with its cancelled reply and never sent (an abort listener added after
 * the fact would never fire, so this is checked, not listened for, when it is finally sent). A
 * worker that crashes again while it reloads is not restarted again: that would loop for ever on a
 * model that kills its worker; the waiting requests fail and the listener is told. The one
 * exception is WebGPU lost during that reload: it is restarted once more, on WASM.
 */
export class ModelWorkerBridge<
  TTaskRequest extends { type: string; requestId: number },
  TTaskEvent extends { type: string; requestId: number },
  TStats,
> {
  private worker: Worker | null = null;
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending<TTaskEvent>>();
  /** What a crash restart loads again, progress callback included (a crash during a first load keeps showing its progress). */
  private lastLoad: LoadOptions | null = null;
  /** The reload after a crash, while it runs (identity tells a stale settlement from the current one). */
  private restart: Promise<LoadedModelInfo> | null = null;
  private readonly waiting = new Set<WaitingRequest>();
  /** Whether the crash being recovered from came while a model was loading (see onRestarted). */
  private crashedDuringLoad = false;
  /** The debug slow-model delay, given again to every new worker (a model load or a restart replaces it). */
  private slowModelMs = 0;

  constructor(
    private readonly createWorker: () => Worker,
    private readonly listeners: BridgeListeners<TStats> = {},
  ) {}

  /** Buffers in a task request that should be moved to the worker rather than copied. */
  protected transferablesOf(_request: TTaskRequest): Transferable[] {
    return [];
  }

  /** Whether a crashed worker's model is being reloaded (requests made now wait for it). */
  get restarting(): boolean {
    return this.restart !== null;
  }

  /**
   * Each model gets a fresh worker: WebAssembly memory never shrinks, so the old model's heap goes
   * with the old worker, and transformers.js's per-worker memo of which files exist can't make a
   * retry repeat a stale "not found". A load also ends a restart in progress: what waited for the
   * old model is dropped (superseded), not sent to the new one.
   */
  load(options: LoadOptions): Promise<LoadedModelInfo> {
    this.lastLoad = options;
    this.restart = null;
    this.dropWaiting(new SupersededError());
    return this.startLoad(options);
  }

  /**
   * Sends a task request (once the model is back, after a crash) and settles when its terminal
   * reply arrives. An aborted signal asks the worker to stop; the worker still replies. With
   * `cancelled`, a request aborted before it was sent resolves to that value without being sent.
   */
  protected call<T>(
    build: (requestId: number) => TTaskRequest,
    handle: TaskEventHandler<TTaskEvent, T>,
    signal?: AbortSignal,
    cancelled?: () => T,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const send = () => {
        if (signal?.aborted && cancelled) {
          resolve(cancelled());
          return;
        }
        const requestId = this.nextRequestId++;
        const onAbort = () => this.worker?.postMessage({ type: 'cancel', targetRequestId: requestId } satisfies CancelRequest);
        const done = () => signal?.removeEventListener('abort', onAbort);
        const settle: Settle<T> = {
          resolve: (value) => {
            done();
            resolve(value);
          },
          reject: (error) => {
            done();
            reject(error);
          },
        };
        this.pending.set(requestId, { kind: 'task', handle: (event) => handle(event, settle), reject: settle.reject });
        const request = build(requestId);
        this.send(request, this.transferablesOf(request));
        // Aborted while it waited, with no cancelled value of its own: the worker decides (a cancel right behind it).
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      };
      if (!this.restart) {
        send();
        return;
      }
      const waiting: WaitingRequest = { send, reject };
      this.waiting.add(waiting);
      if (cancelled && signal)
        signal.addEventListener(
          'abort',
          () => {
            // Still waiting for the reload: answered now, so the caller isn't held up until the model is back.
            if (this.waiting.delete(waiting)) resolve(cancelled());
          },
          { once: true },
        );
    });
  }

  /** Test hook (`?debug=1`): asks the worker to fail the way a real fault would; nothing replies. */
  debugFault(fault: WorkerFault): void {
    this.worker?.postMessage({ type: 'debugFault', fault } satisfies DebugFaultRequest);
  }

  /** Test hook (`?debug=1`): every later task waits `delayMs` in the worker first (0 = off), in this worker and the ones after it. */
  debugSlowModel(delayMs: number): void {
    this.slowModelMs = Math.max(0, delayMs);
    this.worker?.postMessage({ type: 'debugSlowModel', delayMs: this.slowModelMs } satisfies DebugSlowModelRequest);
  }

  terminate(): void {
    this.restart = null;
    const reason = new StoppedError();
    this.dropWaiting(reason);
    this.stopWorker(reason);
  }

  private startLoad(options: LoadOptions): Promise<LoadedModelInfo> {
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
        dtype: options.dtype ?? 'auto',
        keepInputsForDebug: options.keepInputsForDebug,
      });
    });
  }

  private dropWaiting(reason: Error): void {
    const dropped = [...this.waiting];
    this.waiting.clear();
    for (const waiting of dropped) waiting.reject(reason);
  }

  private stopWorker(reason: Error): void {
    this.worker?.terminate();
    this.worker = null;
    const dropped = [...this.pending.values()];
    this.pending.clear();
    for (const pending of dropped) (pending.kind === 'load' ? pending.settle.reject : pending.reject)(reason);
  }

  private send(message: OutgoingMessage<TTaskRequest>, transfer: Transferable[] = []): void {
    this.ensureWorker().postMessage(message, transfer);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    // A terminated worker's messages still queued on this side belong to nobody.
    worker.onmessage = (message: MessageEvent<BaseWorkerEvent<TStats> | TTaskEvent>) => {
      if (this.worker === worker) this.handle(message.data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (this.worker === worker) this.handleCrash(new WorkerCrashedError(event.message || undefined));
    };
    worker.onmessageerror = () => {
      if (this.worker === worker) this.handleCrash(new WorkerCrashedError('a message could not be read'));
    };
    this.worker = worker;
    if (this.slowModelMs > 0) worker.postMessage({ type: 'debugSlowModel', delayMs: this.slowModelMs } satisfies DebugSlowModelRequest);
    return worker;
  }

  private handleCrash(error: WorkerCrashedError): void {
    const lostGpu = error instanceof WebGpuLostError;
    // WebGPU lost while a reload runs on it (a plain crash's restart keeps the backend): once more,
    // on WASM, which can't lose it, so this can happen only once per crash and never loops.
    const retryOnWasm = lostGpu && this.lastLoad !== null && this.lastLoad.backend !== 'wasm';
    const reloading = this.restart !== null;
    // A crash of the first load (not of a restart's reload, which keeps what the first crash found).
    if (!reloading) this.crashedDuringLoad = [...this.pending.values()].some((pending) => pending.kind === 'load');
    // While reloading, this rejects the reload itself, whose handler gives up (no second restart)
    // unless a newer restart has replaced it by then.
    this.stopWorker(error);
    if (reloading && !retryOnWasm) return;
    this.listeners.onCrash?.(error);
    if (!this.lastLoad) {
      this.dropWaiting(error);
      return;
    }
    // WASM from now on for this model: a later crash must not bring the lost device's backend back.
    if (lostGpu) this.lastLoad = { ...this.lastLoad, backend: 'wasm' };
    const restart = this.startLoad(this.lastLoad).then((info) => (lostGpu ? { ...info, fallbackReason: error.message } : info));
    this.restart = restart;
    restart.then(
      (info) => {
        if (this.restart !== restart) return;
        this.restart = null;
        this.listeners.onRestarted?.(info, error, this.crashedDuringLoad);
        const waiting = [...this.waiting];
        this.waiting.clear();
        for (const request of waiting) request.send();
      },
      (cause: unknown) => {
        // Superseded by a newer load (which dropped the waiting requests itself) or by terminate().
        if (this.restart !== restart) return;
        this.restart = null;
        const failure = new WorkerRestartFailedError(cause instanceof Error ? cause.message : String(cause));
        this.dropWaiting(failure);
        this.listeners.onRestartFailed?.(failure);
      },
    );
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
      case 'webgpuLost':
        this.handleCrash(new WebGpuLostError(event.message));
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
