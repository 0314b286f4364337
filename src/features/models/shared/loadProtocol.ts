/**
 * The part of every model worker's protocol that is about loading a model: the same request,
 * progress, ready and failure messages for the image (CLIP) and audio (Whisper, CLAP) workers.
 * Each worker's own protocol module adds its task requests and replies to these.
 */
import type { BackendPreference } from '../../../lib/urlState';
import type { DtypePreference, FileProgress, LoadErrorKind, LoadedModelInfo } from '../../../lib/workerReports';

/**
 * Where a model's files come from. The two network sources may carry a shorter stall timeout than
 * STALL_TIMEOUT_MS (a test hook, see ./stallTimeout.ts); the worker uses the default otherwise.
 */
export type ModelSource =
  | { kind: 'builtin'; baseUrl: string; stallTimeoutMs?: number }
  | { kind: 'hub'; host: string; stallTimeoutMs?: number }
  /** A model folder the user picked: relative path (as on the Hub, e.g. `onnx/text_model.onnx`) → file. */
  | { kind: 'folder'; name: string; files: ReadonlyArray<{ path: string; file: File }> };

export interface LoadModelRequest {
  type: 'load';
  requestId: number;
  modelId: string;
  source: ModelSource;
  backend: BackendPreference;
  /** Which weights: the user's choice, or `auto` (see chooseDtype). */
  dtype: DtypePreference;
  /** Keep each input's preprocessed tensor so tests can compare against a reference runtime. */
  keepInputsForDebug: boolean;
}

export interface CancelRequest {
  type: 'cancel';
  /** The task request to stop; the worker stops at its next checkpoint and still sends that request's terminal reply. */
  targetRequestId: number;
}

/**
 * Test hooks behind `?debug=1` (zspDebug): the worker fails the way a real fault would. `crash`
 * throws from a timer (an uncaught error: the page's `worker.onerror`, as an out-of-memory abort
 * gives); `loseGpuDevice` destroys ORT's WebGPU device (its `lost` promise resolves, runs fail).
 */
export type WorkerFault = 'crash' | 'loseGpuDevice';

export interface DebugFaultRequest {
  type: 'debugFault';
  fault: WorkerFault;
}

/**
 * Test hook behind `?debug=1` (zspDebug.slowModel): every task that starts after it waits
 * `delayMs` first, an artificially slow model for the live-mode backpressure test (0 = off).
 */
export interface DebugSlowModelRequest {
  type: 'debugSlowModel';
  delayMs: number;
}

export type LoadEvent =
  | { type: 'loadProgress'; requestId: number; files: FileProgress[] }
  | { type: 'loaded'; requestId: number; info: LoadedModelInfo }
  | { type: 'loadFailed'; requestId: number; kind: LoadErrorKind; message: string }
  /**
   * WebGPU stopped working in this worker (its device was lost, or a run on it failed). Its ONNX
   * runtime can't be trusted after that (a WASM session in the same worker still fails on the lost
   * device), so the page replaces the worker with one that loads the model on WASM.
   */
  | { type: 'webgpuLost'; message: string }
  /** The terminal reply for any request that threw. */
  | { type: 'failed'; requestId: number; message: string };

export type StatsEvent<TStats> = { type: 'stats'; stats: TStats };

/** What every model worker sends besides its own task replies. */
export type BaseWorkerEvent<TStats> = LoadEvent | StatsEvent<TStats>;

const BASE_EVENT_TYPES: ReadonlySet<string> = new Set<BaseWorkerEvent<unknown>['type']>([
  'loadProgress',
  'loaded',
  'loadFailed',
  'webgpuLost',
  'failed',
  'stats',
]);

export function isBaseWorkerEvent<TStats, TTaskEvent extends { type: string }>(
  event: BaseWorkerEvent<TStats> | TTaskEvent,
): event is BaseWorkerEvent<TStats> {
  return BASE_EVENT_TYPES.has(event.type);
}
