/**
 * The one message protocol between the app and the CLIP worker. Every request carries a
 * requestId and gets exactly one terminal reply (`loaded`, `classified`, `failed`, ...) so no
 * caller ever waits on a request the worker silently dropped.
 */
import type { BaseWorkerEvent, CancelRequest, LoadModelRequest } from '../../models/shared';
import type { WorkerStats } from '../../../lib/workerReports';
import type { ClassifierKind } from '../../../lib/classifiers';
import type { ImageResizeMode } from '../../../lib/imagePreprocess';
import { labTransferablesOf, type HeadUse, type LabEvent, type LabRequest } from '../../lab/shared';

export type { CancelRequest, LoadModelRequest, ModelSource } from '../../models/shared';

export interface ClassifyItem {
  itemId: string;
  /** SHA-256 of the file's bytes; with the model variant, the image-embedding cache key. */
  contentHash: string;
  /** Structured-cloning a Blob shares its bytes rather than copying them. */
  image: Blob;
}

export { IMAGE_RESIZE_MODES, type ImageResizeMode } from '../../../lib/imagePreprocess';

export interface ClassifyRequest {
  type: 'classify';
  requestId: number;
  resizeMode: ImageResizeMode;
  /** Per label, every prompt (templates × the label's alternatives); their embeddings are ensembled into the class vector. */
  classPrompts: string[][];
  /** Rank with this trained head (blended with zero-shot) instead of zero-shot alone. */
  head: HeadUse | null;
  items: ClassifyItem[];
}

export interface DebugPixelsRequest {
  type: 'debugPixels';
  requestId: number;
  contentHash: string;
}

/**
 * One live camera frame to score now: never cached nor stored (live frames are not kept). Its
 * class vectors come from the text cache, so a label edit costs only the new prompts' text run.
 */
export interface ClassifyFrameRequest {
  type: 'classifyFrame';
  requestId: number;
  /** Transferred: the worker draws it, then closes it. */
  frame: ImageBitmap;
  classPrompts: string[][];
  head: HeadUse | null;
  resizeMode: ImageResizeMode;
}

export type ClipTaskRequest = ClassifyRequest | ClassifyFrameRequest | DebugPixelsRequest | LabRequest;

export type WorkerRequest = LoadModelRequest | CancelRequest | ClipTaskRequest;

export type { ClassifierKind } from '../../../lib/classifiers';

export type ItemOutcome =
  | {
      ok: true;
      /** Per label, as the model scores (softmax or sigmoid), or the head's blended probabilities. */
      scores: Float32Array;
      /** Per label, the raw cosine of the image with the class vector (with one label, softmax always says 100%). */
      similarities: Float32Array;
      classifier: ClassifierKind;
      embeddedNow: boolean;
      width: number;
      height: number;
    }
  | { ok: false; error: string };

/** A live frame's result (the terminal reply to `classifyFrame`). */
export interface FrameScores {
  /** Per label, as ItemOutcome's: the model's scores or the head's blended probabilities. */
  scores: Float32Array;
  similarities: Float32Array;
  classifier: ClassifierKind;
  width: number;
  height: number;
  /** Preprocessing and the vision run in the worker (without the wait in its queue). */
  inferenceMs: number;
}

/** The CLIP worker's own replies, on top of the load/stats/failed messages every model worker sends. */
export type ClipTaskEvent =
  | { type: 'batchProgress'; requestId: number; done: number; total: number }
  | { type: 'itemResult'; requestId: number; itemId: string; contentHash: string; outcome: ItemOutcome }
  | { type: 'classified'; requestId: number; cancelled: boolean }
  | { type: 'debugPixels'; requestId: number; dims: number[]; data: Float32Array | null }
  | ({ type: 'frameResult'; requestId: number } & FrameScores)
  | LabEvent;

export type WorkerEvent = BaseWorkerEvent<WorkerStats> | ClipTaskEvent;

/** Buffers inside a reply that should move to the other side instead of being copied. */
export function transferablesOf(event: ClipTaskEvent): Transferable[] {
  switch (event.type) {
    case 'itemResult':
      return event.outcome.ok ? [event.outcome.scores.buffer, event.outcome.similarities.buffer] : [];
    case 'frameResult':
      return [event.scores.buffer, event.similarities.buffer];
    case 'debugPixels':
      return event.data ? [event.data.buffer] : [];
    case 'batchProgress':
    case 'classified':
      return [];
    default:
      return labTransferablesOf(event);
  }
}
