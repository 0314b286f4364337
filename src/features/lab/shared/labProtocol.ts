/**
 * The prompt lab's requests and replies, answered by both model workers (CLIP for images; Whisper
 * or CLAP for audio) next to the embeddings they hold: the main thread sends item ids and truth,
 * never embeddings, and gets back summaries, never per-item embeddings.
 *
 * Every request gets exactly one terminal reply (or the shared `failed`).
 */
import type { Calibration, TokenAggregation } from '../../../lib/audioScoring';
import type { AttributePair, PairReport } from '../../../lib/biasProbe';
import type { HeadKind, LearningCurve, TrainedHead } from '../../../lib/fewShot';
import type { ImageResizeMode } from '../../../lib/imagePreprocess';

/** An item the worker has embedded (or scored) for the current model; truth is a class index. */
export interface LabItem {
  itemId: string;
  contentHash: string;
  truth: number;
}

/**
 * Which of the CLIP worker's image embeddings a request reads: those of the resize path the items
 * were ranked on (the store's setting when the request is sent; the worker keeps no "current" one,
 * so a restarted worker reads the same embeddings the UI shows).
 */
export interface ImageEmbeddingSource {
  resizeMode: ImageResizeMode;
}

/** How the task's scorer reads a configuration (audio adds calibration and score rule). */
export interface AudioLabOptions {
  calibrations: Calibration[];
  aggregations: TokenAggregation[];
}

export interface GridSearchRequest {
  type: 'labGridSearch';
  requestId: number;
  labels: string[];
  /** Per label, the texts filled into a template (the label itself, or its `|`-separated prompts). */
  alternatives: string[][];
  /** Candidate templates (each with `{}`). */
  templates: string[];
  /** Items with truth (at least two per class for cross-validation). */
  items: LabItem[];
  maxFolds: number;
  seed: number;
  /** Audio only: the calibrations and score rules to cross with the templates (CLAP: ignored). */
  audio: AudioLabOptions | null;
  /** Images: which embeddings to read (the CLIP worker refuses a request without it); audio: null. */
  imageEmbedding: ImageEmbeddingSource | null;
}

/** One evaluated configuration, as the worker reports it; the client turns it into an Experiment. */
export interface GridConfigResult {
  kind: 'single' | 'ensemble' | 'greedy' | 'best-single';
  templates: string[];
  calibration: Calibration | null;
  aggregation: TokenAggregation | null;
  accuracy: number;
  cvAccuracy: number | null;
  macroF1: number | null;
  perClassRecall: Array<number | null>;
  perClassSupport: number[];
  confusion: number[][];
}

export interface GridSearchResult {
  configs: GridConfigResult[];
  folds: number | null;
  evaluated: number;
}

/** The zero-shot configuration a head is trained beside (its logits, and logistic regression's starting weights). */
export interface ZeroShotConfig {
  labels: string[];
  /** Per label, every prompt of the current templates × alternatives. */
  classPrompts: string[][];
  /** Audio: how raw scores become log-probabilities. */
  aggregation: TokenAggregation | null;
  calibration: Calibration | null;
}

export interface TrainHeadRequest {
  type: 'labTrainHead';
  requestId: number;
  headId: string;
  kind: HeadKind;
  zeroShot: ZeroShotConfig;
  /** Training items (truth = the class to learn). */
  items: LabItem[];
  /** Items with ground truth that are not trained on: the head and zero-shot are both scored on them. */
  heldOut: LabItem[];
  initFromZeroShot: boolean;
  maxFolds: number;
  seed: number;
  /** Images: which embeddings to read (the CLIP worker refuses a request without it); audio: null. */
  imageEmbedding: ImageEmbeddingSource | null;
}

export interface HeadSummary {
  headId: string;
  kind: HeadKind;
  dim: number;
  chosen: Record<string, number>;
  cvAccuracy: number | null;
  folds: number | null;
  examples: number;
  embedding: 'image' | 'clap-audio' | 'whisper-encoder-mean';
  /** Accuracy on the held-out items (null when there were none), and zero-shot's on the same items. */
  heldOutAccuracy: number | null;
  zeroShotHeldOutAccuracy: number | null;
  heldOutItems: number;
}

export interface LearningCurveRequest {
  type: 'labLearningCurve';
  requestId: number;
  zeroShot: ZeroShotConfig;
  items: LabItem[];
  heads: HeadKind[];
  splits: number;
  seed: number;
  /** Images: which embeddings to read (the CLIP worker refuses a request without it); audio: null. */
  imageEmbedding: ImageEmbeddingSource | null;
}

export interface ExportHeadRequest {
  type: 'labExportHead';
  requestId: number;
  headId: string;
}

export interface ImportHeadRequest {
  type: 'labImportHead';
  requestId: number;
  headId: string;
  head: TrainedHead;
  embedding: HeadSummary['embedding'];
}

/** Images only: paired prompts that differ in one attribute word. */
export interface BiasProbeRequest {
  type: 'labBiasProbe';
  requestId: number;
  /** With `{attribute}` and `{}`. */
  template: string;
  labels: string[];
  pairs: AttributePair[];
  items: Array<{ itemId: string; contentHash: string }>;
  imageEmbedding: ImageEmbeddingSource;
}

export interface BiasReport {
  pairs: PairReport[];
  /** Text-side association: cosine of each label's prompt (attribute slot removed) with each attribute word. */
  association: { labels: string[]; attributes: string[]; cosines: number[][] };
  items: number;
}

export type LabRequest =
  | GridSearchRequest
  | TrainHeadRequest
  | LearningCurveRequest
  | ExportHeadRequest
  | ImportHeadRequest
  | BiasProbeRequest;

export type LabEvent =
  | { type: 'labProgress'; requestId: number; stage: string; done: number; total: number }
  | { type: 'labGridResult'; requestId: number; result: GridSearchResult | null }
  | { type: 'labHeadTrained'; requestId: number; summary: HeadSummary }
  | { type: 'labLearningCurveResult'; requestId: number; curve: LearningCurve | null }
  | { type: 'labHeadExported'; requestId: number; head: TrainedHead | null; embedding: HeadSummary['embedding'] | null }
  | { type: 'labHeadImported'; requestId: number; summary: HeadSummary }
  | { type: 'labBiasReport'; requestId: number; report: BiasReport };

/** Tells the image/audio classify path to rank with a trained head instead of (or blended with) zero-shot. */
export interface HeadUse {
  headId: string;
  /** 0: the head alone; 1: zero-shot alone. */
  zeroShotWeight: number;
}

/** Buffers inside lab replies that should move rather than be copied. */
export function labTransferablesOf(event: LabEvent): Transferable[] {
  if (event.type === 'labHeadExported' && event.head) {
    const head = event.head;
    if (head.kind === 'logistic') return [head.model.weights.buffer, head.model.bias.buffer];
    return [head.keys.buffer, head.keyLabels.buffer];
  }
  return [];
}
