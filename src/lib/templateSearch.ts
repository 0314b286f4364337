/**
 * Prompt-template search (level 3 of the talk): every single template, the full ensemble, and
 * greedy forward selection, each scored in-sample and by stratified k-fold cross-validation
 * (the selection re-run on each training fold, scored on the held-out fold).
 *
 * CONTRACT (bodies to be written): the signatures below are what the workers call.
 */
import type { Calibration } from './audioScoring';

/**
 * CLIP-style candidates: for template t and class c, s[t][c] is the (unnormalised) sum of the
 * unit text embeddings of that class's prompts under t (one prompt per label alternative).
 * The ensemble of a template set S scores item i, class c by the cosine
 *   (Σ_{t∈S} x_i·s[t][c]) / ‖Σ_{t∈S} s[t][c]‖,
 * so the search needs only the per-template dot products and the per-class Gram matrices.
 */
export interface EmbeddingCandidates {
  kind: 'embedding';
  templates: number;
  items: number;
  classes: number;
  /** Per template: items × classes, row-major, x_i·s[t][c]. */
  dots: Float32Array[];
  /** Per class: templates × templates, row-major, s[t][c]·s[t'][c]. */
  gram: Float64Array[];
}

/**
 * Whisper-style candidates: per template, the raw log-space score of every item and class;
 * an ensemble averages the scores of its templates, then the calibration applies.
 */
export interface ScoreCandidates {
  kind: 'score-average';
  templates: number;
  items: number;
  classes: number;
  /** Per template: items × classes, row-major. */
  scores: Float32Array[];
  calibration: Calibration;
  /** Per template: the silent clip's score per class (zero-input calibration needs it). */
  zeroInput: Float32Array[] | null;
}

export type TemplateCandidates = EmbeddingCandidates | ScoreCandidates;

export interface EvaluatedSelection {
  /** Template indices, in the order they were selected. */
  templates: number[];
  /** Predicted class per item (in-sample: the selection made and scored on every item). */
  predictions: Int32Array;
  accuracy: number;
  /** Accuracy of the pooled out-of-fold predictions (the selection re-run on each training fold); fixed configurations equal their in-sample figure. */
  cvAccuracy: number;
  /** Predicted class per item, each from the selection made without its fold. */
  cvPredictions: Int32Array;
}

export interface TemplateSearchResult {
  singles: EvaluatedSelection[];
  ensemble: EvaluatedSelection;
  /** Greedy forward selection: add the template that raises accuracy most; stop when none does. */
  greedy: EvaluatedSelection;
  /** The best single template, chosen by accuracy (ties: lower index). */
  bestSingle: EvaluatedSelection;
  folds: number;
}

export interface TemplateSearchOptions {
  /** Upper bound on k; fewer when the smallest class is smaller. */
  maxFolds: number;
  seed: number;
  /** Stops early (returns null) when it turns true; checked between steps. */
  isCancelled?: () => boolean;
}

/** Predicted class per item for one template set (the ensemble as described above). */
export function predictWithTemplates(candidates: TemplateCandidates, templates: readonly number[], items?: ArrayLike<number>): Int32Array {
  void candidates; void templates; void items;
  throw new Error('not implemented');
}

/** Class scores (items × classes, row-major) for one template set: cosines (embedding) or averaged, calibrated log-probabilities (score-average). */
export function scoresWithTemplates(candidates: TemplateCandidates, templates: readonly number[], items?: ArrayLike<number>): Float64Array {
  void candidates; void templates; void items;
  throw new Error('not implemented');
}

export function searchTemplates(candidates: TemplateCandidates, truth: Int32Array, options: TemplateSearchOptions): TemplateSearchResult | null {
  void candidates; void truth; void options;
  throw new Error('not implemented');
}

/** Accuracy, macro-F1, per-class recall and support, and the confusion matrix of class-index predictions. */
export interface PredictionSummary {
  accuracy: number;
  macroF1: number | null;
  perClassRecall: Array<number | null>;
  perClassSupport: number[];
  /** confusion[truth][predicted]. */
  confusion: number[][];
}

export function summarizePredictions(truth: Int32Array, predictions: Int32Array, classes: number): PredictionSummary {
  void truth; void predictions; void classes;
  throw new Error('not implemented');
}

/** EmbeddingCandidates from unit item embeddings (items × dim) and, per template, s[t][c] (classes × dim). */
export function embeddingCandidates(itemEmbeddings: Float32Array, items: number, dim: number, classTemplateSums: Float32Array[], classes: number): EmbeddingCandidates {
  void itemEmbeddings; void items; void dim; void classTemplateSums; void classes;
  throw new Error('not implemented');
}
