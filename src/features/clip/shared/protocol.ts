/**
 * The one message protocol between the app and the CLIP worker. Every request carries a
 * requestId and gets exactly one terminal reply (`loaded`, `classified`, `failed`, ...) so no
 * caller ever waits on a request the worker silently dropped.
 */
import type { BackendPreference } from '../../../lib/urlState';
import type { ModelDtype } from '../../models/shared/catalog';

export type Backend = 'webgpu' | 'wasm';

export type ModelSource =
  | { kind: 'builtin'; baseUrl: string }
  | { kind: 'hub'; host: string }
  /** A model folder the user picked: relative path (as on the Hub, e.g. `onnx/text_model.onnx`) → file. */
  | { kind: 'folder'; name: string; files: ReadonlyArray<{ path: string; file: File }> };

export interface LoadModelRequest {
  type: 'load';
  requestId: number;
  modelId: string;
  source: ModelSource;
  backend: BackendPreference;
  /** Keep each image's preprocessed pixels so tests can compare against a reference runtime. */
  keepPixelsForDebug: boolean;
}

export interface ClassifyItem {
  itemId: string;
  /** SHA-256 of the file's bytes; with the model variant, the image-embedding cache key. */
  contentHash: string;
  /** Structured-cloning a Blob shares its bytes rather than copying them. */
  image: Blob;
}

export interface ClassifyRequest {
  type: 'classify';
  requestId: number;
  prompts: string[];
  items: ClassifyItem[];
}

export interface CancelRequest {
  type: 'cancel';
  /** The classify request to stop; the worker stops between batches and replies `classified` with cancelled. */
  targetRequestId: number;
}

export interface DebugPixelsRequest {
  type: 'debugPixels';
  requestId: number;
  contentHash: string;
}

export type WorkerRequest = LoadModelRequest | ClassifyRequest | CancelRequest | DebugPixelsRequest;

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
  done: boolean;
}

export interface LoadedModelInfo {
  modelId: string;
  backend: Backend;
  dtype: ModelDtype;
  /** Why the requested backend isn't the one running (e.g. WebGPU failed and WASM took over). */
  fallbackReason?: string;
  /** WASM threads in use (1 when the page is not cross-origin isolated). */
  threads: number;
  loadMs: number;
  warmupMs: number;
}

export type LoadErrorKind = 'not-found' | 'unreachable' | 'invalid-model' | 'other';

export interface WorkerStats {
  imagesEmbedded: number;
  visionRuns: number;
  textsEmbedded: number;
  textRuns: number;
  imageCacheSize: number;
  textCacheSize: number;
}

export const EMPTY_STATS: WorkerStats = {
  imagesEmbedded: 0,
  visionRuns: 0,
  textsEmbedded: 0,
  textRuns: 0,
  imageCacheSize: 0,
  textCacheSize: 0,
};

export type ItemOutcome =
  | { ok: true; scores: Float32Array; embeddedNow: boolean; width: number; height: number }
  | { ok: false; error: string };

export type WorkerEvent =
  | { type: 'loadProgress'; requestId: number; files: FileProgress[] }
  | { type: 'loaded'; requestId: number; info: LoadedModelInfo }
  | { type: 'loadFailed'; requestId: number; kind: LoadErrorKind; message: string }
  | { type: 'backendChanged'; info: LoadedModelInfo }
  | { type: 'batchProgress'; requestId: number; done: number; total: number }
  | { type: 'itemResult'; requestId: number; itemId: string; contentHash: string; outcome: ItemOutcome }
  | { type: 'classified'; requestId: number; cancelled: boolean }
  | { type: 'debugPixels'; requestId: number; dims: number[]; data: Float32Array | null }
  | { type: 'failed'; requestId: number; message: string }
  | { type: 'stats'; stats: WorkerStats };

/** Buffers inside a reply that should move to the other side instead of being copied. */
export function transferablesOf(event: WorkerEvent): Transferable[] {
  if (event.type === 'itemResult' && event.outcome.ok) return [event.outcome.scores.buffer];
  if (event.type === 'debugPixels' && event.data) return [event.data.buffer];
  return [];
}
