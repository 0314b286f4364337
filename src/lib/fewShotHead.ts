/**
 * A trained head as a JSON file (export and import, schema-checked). CONTRACT (bodies to be written).
 */
import type { Task } from './tasks';
import type { TrainedHead } from './fewShot';

export const HEAD_FILE_FORMAT = 'zero-shot-playground/few-shot-head';
export const HEAD_FILE_VERSION = 1;

export interface HeadTraining {
  /** Where the training labels came from. */
  source: 'truth' | 'decisions';
  examples: number;
  perClass: Record<string, number>;
  chosen: Record<string, number>;
  cvAccuracy: number | null;
  folds: number | null;
  initialisedFromZeroShot: boolean;
  /** The embedding the head reads: image embedding, CLAP audio embedding or Whisper encoder mean-pool. */
  embedding: 'image' | 'clap-audio' | 'whisper-encoder-mean';
  trainedAt: string;
}

export interface HeadFile {
  format: typeof HEAD_FILE_FORMAT;
  version: typeof HEAD_FILE_VERSION;
  task: Task;
  modelId: string;
  labels: string[];
  embeddingDim: number;
  head: TrainedHead;
  training: HeadTraining;
}

/** JSON text (typed arrays as plain number lists). */
export function serializeHead(file: HeadFile): string {
  void file;
  throw new Error('not implemented');
}

/** Parses and checks a head file: format, version, shapes (weights = labels × dim, …), finite numbers. Throws with what is wrong. */
export function parseHead(text: string): HeadFile {
  void text;
  throw new Error('not implemented');
}
