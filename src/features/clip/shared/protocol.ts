/**
 * The one message protocol between the app and the CLIP worker. Every request carries a
 * requestId and gets exactly one terminal reply (`loaded`, `classified`, `failed`, ...) so no
 * caller ever waits on a request the worker silently dropped.
 */
import type { BaseWorkerEvent, CancelRequest, LoadModelRequest } from '../../models/shared/loadProtocol';

export type {
  Backend,
  CancelRequest,
  FileProgress,
  LoadErrorKind,
  LoadModelRequest,
  LoadedModelInfo,
  ModelSource,
} from '../../models/shared/loadProtocol';

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

export interface DebugPixelsRequest {
  type: 'debugPixels';
  requestId: number;
  contentHash: string;
}

export type WorkerRequest = LoadModelRequest | ClassifyRequest | CancelRequest | DebugPixelsRequest;

export interface WorkerStats {
  imagesEmbedded: number;
  /** Image embeddings read back from the on-disk cache instead of running the vision model. */
  imagesFromStorage: number;
  /** Stored embeddings that did not match the record schema (another app version, corruption): embedded again. */
  storedEmbeddingsSkipped: number;
  visionRuns: number;
  textsEmbedded: number;
  textRuns: number;
  imageCacheSize: number;
  textCacheSize: number;
}

export const EMPTY_STATS: WorkerStats = {
  imagesEmbedded: 0,
  imagesFromStorage: 0,
  storedEmbeddingsSkipped: 0,
  visionRuns: 0,
  textsEmbedded: 0,
  textRuns: 0,
  imageCacheSize: 0,
  textCacheSize: 0,
};

export type ItemOutcome =
  | { ok: true; scores: Float32Array; embeddedNow: boolean; width: number; height: number }
  | { ok: false; error: string };

/** The CLIP worker's own replies, on top of the load/stats/failed messages every model worker sends. */
export type ClipTaskEvent =
  | { type: 'batchProgress'; requestId: number; done: number; total: number }
  | { type: 'itemResult'; requestId: number; itemId: string; contentHash: string; outcome: ItemOutcome }
  | { type: 'classified'; requestId: number; cancelled: boolean }
  | { type: 'debugPixels'; requestId: number; dims: number[]; data: Float32Array | null };

export type ClipTaskRequest = ClassifyRequest | DebugPixelsRequest;

export type WorkerEvent = BaseWorkerEvent<WorkerStats> | ClipTaskEvent;

/** Buffers inside a reply that should move to the other side instead of being copied. */
export function transferablesOf(event: ClipTaskEvent): Transferable[] {
  if (event.type === 'itemResult' && event.outcome.ok) return [event.outcome.scores.buffer];
  if (event.type === 'debugPixels' && event.data) return [event.data.buffer];
  return [];
}
