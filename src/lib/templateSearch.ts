/**
 * Prompt-template search (level 3 of the talk): every single template, the full ensemble, and
 * greedy forward selection, each scored in-sample and by stratified k-fold cross-validation
 * (the selection re-run on each training fold, scored on the held-out fold).
 *
 * The search is incremental: a running selection keeps, per item and class, the sum of its
 * templates' numerators (embedding) or scores (score-average), and per class the Gram-sum
 * Σ_{t,t'∈S} s[t][c]·s[t'][c], so trying one more template costs O(items · classes).
 * Predictions are the argmax over classes; ties go to the lower class index.
 */
import { argmaxAt } from './scoring';
import { calibratedProbabilities, type Calibration } from './audioScoring';
import { foldCount, stratifiedFolds } from './crossValidation';

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
  /**
   * False when cross-validation could not run for a selected configuration (some class has
   * fewer than 2 items, `folds` is 0): cvAccuracy and cvPredictions then only repeat the
   * in-sample figures and must not be shown as cross-validated (the client reports null).
   * Fixed configurations (single templates, the full ensemble) select nothing, so their figure
   * is always available. Absent means available.
   */
  cvAvailable?: boolean;
}

export interface TemplateSearchResult {
  singles: EvaluatedSelection[];
  ensemble: EvaluatedSelection;
  /** Greedy forward selection: add the template that raises accuracy most; stop when none does. */
  greedy: EvaluatedSelection;
  /** The best single template, chosen by accuracy (ties: lower index). */
  bestSingle: EvaluatedSelection;
  /** k of the cross-validation; 0 when it could not run (see EvaluatedSelection.cvAvailable). */
  folds: number;
}

export interface TemplateSearchOptions {
  /** Upper bound on k; fewer when the smallest class is smaller. */
  maxFolds: number;
  seed: number;
  /** Stops early (returns null) when it turns true; checked between steps. */
  isCancelled?: () => boolean;
}

/**
 * A template set being grown over a fixed subset of the items (indices into the candidates).
 * `correctWith` tries one more template without changing the set; `add` keeps it. Both use the
 * same floating-point expressions as `predict`, so what the search measured is what it predicts.
 */
interface RunningSelection {
  readonly size: number;
  reset(): void;
  /**
   * How many subset items the set plus `template` gets right (truth is per subset item). Only a
   * count above `mustExceed` matters to the caller: once the rest of the items could no longer
   * lift it there, counting stops and some value ≤ `mustExceed` is returned.
   */
  correctWith(template: number, truth: Int32Array, mustExceed: number): number;
  add(template: number): void;
  /** Predicted class of every subset item under the current set. */
  predict(out: Int32Array): void;
  /** Class scores (subset items × classes) under the current set. */
  scores(): Float64Array;
}

function allItems(count: number): Int32Array {
  const indices = new Int32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  return indices;
}

function subsetOf(candidates: TemplateCandidates, items: ArrayLike<number> | undefined): Int32Array {
  if (items === undefined) return allItems(candidates.items);
  const subset = Int32Array.from(items);
  for (const item of subset) if (item < 0 || item >= candidates.items) throw new RangeError(`item ${item} is outside 0..${candidates.items - 1}`);
  return subset;
}

function checkCandidates(candidates: TemplateCandidates): void {
  const { templates, items, classes } = candidates;
  const cells = items * classes;
  if (candidates.kind === 'embedding') {
    if (candidates.dots.length !== templates) throw new RangeError(`${candidates.dots.length} dot matrices for ${templates} templates`);
    for (const dots of candidates.dots) if (dots.length !== cells) throw new RangeError(`a dot matrix has ${dots.length} cells, expected ${items} × ${classes}`);
    if (candidates.gram.length !== classes) throw new RangeError(`${candidates.gram.length} Gram matrices for ${classes} classes`);
    for (const gram of candidates.gram) if (gram.length !== templates * templates) throw new RangeError(`a Gram matrix has ${gram.length} cells, expected ${templates} × ${templates}`);
  } else {
    if (candidates.scores.length !== templates) throw new RangeError(`${candidates.scores.length} score matrices for ${templates} templates`);
    for (const scores of candidates.scores) if (scores.length !== cells) throw new RangeError(`a score matrix has ${scores.length} cells, expected ${items} × ${classes}`);
    if (candidates.calibration === 'zero-input' && !candidates.zeroInput) throw new Error('zero-input calibration needs the silent clip scores');
    if (candidates.zeroInput) {
      if (candidates.zeroInput.length !== templates) throw new RangeError(`${candidates.zeroInput.length} zero-input vectors for ${templates} templates`);
      for (const zero of candidates.zeroInput) if (zero.length !== classes) throw new RangeError(`a zero-input vector has ${zero.length} scores for ${classes} classes`);
    }
  }
}

function checkTemplateSet(candidates: TemplateCandidates, templates: readonly number[]): void {
  if (templates.length === 0) throw new RangeError('a template set needs at least one template');
  for (const t of templates) if (!Number.isInteger(t) || t < 0 || t >= candidates.templates) throw new RangeError(`template ${t} is outside 0..${candidates.templates - 1}`);
}

/** Cosine of the ensemble: (Σ_t x·s[t][c]) / √(Σ_{t,t'} s[t][c]·s[t'][c]). */
class EmbeddingSelection implements RunningSelection {
  size = 0;
  /** Per subset item and class, Σ_{t∈S} x_i·s[t][c]. */
  private readonly numerators: Float64Array;
  /** Per class, ‖Σ_{t∈S} s[t][c]‖². */
  private readonly gramSums: Float64Array;
  /** Per class and template u, Σ_{t∈S} s[u][c]·s[t][c] (row-major classes × templates). */
  private readonly cross: Float64Array;
  private readonly inverseNorms: Float64Array;

  constructor(private readonly candidates: EmbeddingCandidates, private readonly subset: Int32Array) {
    this.numerators = new Float64Array(subset.length * candidates.classes);
    this.gramSums = new Float64Array(candidates.classes);
    this.cross = new Float64Array(candidates.classes * candidates.templates);
    this.inverseNorms = new Float64Array(candidates.classes);
  }

  reset(): void {
    this.size = 0;
    this.numerators.fill(0);
    this.gramSums.fill(0);
    this.cross.fill(0);
  }

  /** ‖Σ s‖² of the set plus `template`, per class: the value `add` stores. */
  private grownGramSum(classIndex: number, template: number): number {
    const T = this.candidates.templates;
    const gram = this.candidates.gram[classIndex] as Float64Array;
    return (this.gramSums[classIndex] as number) + 2 * (this.cross[classIndex * T + template] as number) + (gram[template * T + template] as number);
  }

  private static inverseNorm(squaredNorm: number): number {
    return squaredNorm > 0 ? 1 / Math.sqrt(squaredNorm) : 0;
  }

  correctWith(template: number, truth: Int32Array, mustExceed: number): number {
    const C = this.candidates.classes;
    const dots = this.candidates.dots[template] as Float32Array;
    const { numerators, inverseNorms, subset } = this;
    for (let k = 0; k < C; k++) inverseNorms[k] = EmbeddingSelection.inverseNorm(this.grownGramSum(k, template));
    // An item is right when its true class wins the argmax: strictly above every lower class
    // (ties go to the lower index) and at least level with every higher one. Checking that, and
    // stopping at the first class that beats it, is cheaper than the full argmax.
    let correct = 0;
    for (let j = 0; j < subset.length; j++) {
      const row = j * C;
      const base = (subset[j] as number) * C;
      const actual = truth[j] as number;
      const target = ((numerators[row + actual] as number) + (dots[base + actual] as number)) * (inverseNorms[actual] as number);
      let right = true;
      for (let k = 0; k < actual && right; k++) right = ((numerators[row + k] as number) + (dots[base + k] as number)) * (inverseNorms[k] as number) < target;
      for (let k = actual + 1; k < C && right; k++) right = ((numerators[row + k] as number) + (dots[base + k] as number)) * (inverseNorms[k] as number) <= target;
      if (right) correct++;
      else if (correct + (subset.length - 1 - j) <= mustExceed) return correct;
    }
    return correct;
  }

  add(template: number): void {
    const C = this.candidates.classes;
    const T = this.candidates.templates;
    const dots = this.candidates.dots[template] as Float32Array;
    const { numerators, subset, cross } = this;
    for (let k = 0; k < C; k++) {
      this.gramSums[k] = this.grownGramSum(k, template);
      const gram = this.candidates.gram[k] as Float64Array;
      for (let u = 0; u < T; u++) cross[k * T + u] = (cross[k * T + u] as number) + (gram[u * T + template] as number);
    }
    for (let j = 0; j < subset.length; j++) {
      const row = j * C;
      const base = (subset[j] as number) * C;
      for (let k = 0; k < C; k++) numerators[row + k] = (numerators[row + k] as number) + (dots[base + k] as number);
    }
    this.size++;
  }

  scores(): Float64Array {
    const C = this.candidates.classes;
    const out = new Float64Array(this.numerators.length);
    for (let k = 0; k < C; k++) this.inverseNorms[k] = EmbeddingSelection.inverseNorm(this.gramSums[k] as number);
    for (let cell = 0; cell < out.length; cell++) out[cell] = (this.numerators[cell] as number) * (this.inverseNorms[cell % C] as number);
    return out;
  }

  predict(out: Int32Array): void {
    const C = this.candidates.classes;
    const scores = this.scores();
    for (let j = 0; j < this.subset.length; j++) out[j] = argmaxAt(scores, j * C, C);
  }
}

/**
 * The mean of the set's raw scores (minus the mean of their silent-clip scores for zero-input),
 * calibrated over the subset's items. Without prior matching the calibration is a softmax, whose
 * argmax is the argmax of the (zero-input-corrected) mean, so the search skips the softmax there.
 */
class ScoreSelection implements RunningSelection {
  size = 0;
  /** Per subset item and class, Σ_{t∈S} raw score. */
  private readonly sums: Float64Array;
  /** Per class, Σ_{t∈S} silent-clip score. */
  private readonly zeroSums: Float64Array;
  private readonly zeroMeans: Float64Array;
  private readonly means: Float64Array;
  private readonly subtractsZeroInput: boolean;

  constructor(private readonly candidates: ScoreCandidates, private readonly subset: Int32Array) {
    this.sums = new Float64Array(subset.length * candidates.classes);
    this.means = new Float64Array(subset.length * candidates.classes);
    this.zeroSums = new Float64Array(candidates.classes);
    this.zeroMeans = new Float64Array(candidates.classes);
    this.subtractsZeroInput = candidates.calibration === 'zero-input';
  }

  reset(): void {
    this.size = 0;
    this.sums.fill(0);
    this.zeroSums.fill(0);
  }

  private zeroInputOf(template: number): Float32Array | null {
    return this.candidates.zeroInput?.[template] ?? null;
  }

  /** Fills `means` (and `zeroMeans`) with the set's means, optionally with one more template. */
  private fillMeans(extra: number | null): void {
    const C = this.candidates.classes;
    const count = this.size + (extra === null ? 0 : 1);
    const scores = extra === null ? null : (this.candidates.scores[extra] as Float32Array);
    const zero = extra === null ? null : this.zeroInputOf(extra);
    for (let k = 0; k < C; k++) this.zeroMeans[k] = ((this.zeroSums[k] as number) + (zero ? (zero[k] as number) : 0)) / count;
    const { sums, means, subset } = this;
    for (let j = 0; j < subset.length; j++) {
      const row = j * C;
      const base = (subset[j] as number) * C;
      for (let k = 0; k < C; k++) means[row + k] = ((sums[row + k] as number) + (scores ? (scores[base + k] as number) : 0)) / count;
    }
  }

  private rows(values: Float64Array): Float64Array[] {
    const C = this.candidates.classes;
    return Array.from({ length: this.subset.length }, (_, j) => values.subarray(j * C, (j + 1) * C));
  }

  /** Predictions from the filled means. */
  private predictFromMeans(out: Int32Array): void {
    const C = this.candidates.classes;
    const { means, zeroMeans } = this;
    if (this.candidates.calibration === 'prior') {
      const probabilities = calibratedProbabilities(this.rows(means), 'prior', null);
      for (let j = 0; j < probabilities.length; j++) out[j] = argmaxAt(probabilities[j] as number[], 0, C);
      return;
    }
    for (let j = 0; j < this.subset.length; j++) {
      const row = j * C;
      let best = 0;
      let bestValue = -Infinity;
      for (let k = 0; k < C; k++) {
        const value = this.subtractsZeroInput ? (means[row + k] as number) - (zeroMeans[k] as number) : (means[row + k] as number);
        if (value > bestValue) {
          bestValue = value;
          best = k;
        }
      }
      out[j] = best;
    }
  }

  private scratchPredictions: Int32Array | null = null;

  correctWith(template: number, truth: Int32Array, _mustExceed: number): number {
    this.fillMeans(template);
    const predictions = (this.scratchPredictions ??= new Int32Array(this.subset.length));
    this.predictFromMeans(predictions);
    let correct = 0;
    for (let j = 0; j < predictions.length; j++) if (predictions[j] === truth[j]) correct++;
    return correct;
  }

  add(template: number): void {
    const C = this.candidates.classes;
    const scores = this.candidates.scores[template] as Float32Array;
    const zero = this.zeroInputOf(template);
    if (zero) for (let k = 0; k < C; k++) this.zeroSums[k] = (this.zeroSums[k] as number) + (zero[k] as number);
    const { sums, subset } = this;
    for (let j = 0; j < subset.length; j++) {
      const row = j * C;
      const base = (subset[j] as number) * C;
      for (let k = 0; k < C; k++) sums[row + k] = (sums[row + k] as number) + (scores[base + k] as number);
    }
    this.size++;
  }

  predict(out: Int32Array): void {
    this.fillMeans(null);
    this.predictFromMeans(out);
  }

  /** log of calibratedProbabilities over the subset, for the mean scores and mean silent-clip scores. */
  scores(): Float64Array {
    this.fillMeans(null);
    const probabilities = calibratedProbabilities(this.rows(this.means), this.candidates.calibration, this.candidates.zeroInput ? this.zeroMeans : null);
    const C = this.candidates.classes;
    const out = new Float64Array(this.means.length);
    probabilities.forEach((row, j) => row.forEach((p, k) => (out[j * C + k] = Math.log(p))));
    return out;
  }
}

function runningSelection(candidates: TemplateCandidates, subset: Int32Array): RunningSelection {
  return candidates.kind === 'embedding' ? new EmbeddingSelection(candidates, subset) : new ScoreSelection(candidates, subset);
}

function selectionOf(candidates: TemplateCandidates, templates: readonly number[], items: ArrayLike<number> | undefined): RunningSelection {
  checkCandidates(candidates);
  checkTemplateSet(candidates, templates);
  const selection = runningSelection(candidates, subsetOf(candidates, items));
  for (const t of templates) selection.add(t);
  return selection;
}

/** Predicted class per item for one template set (the ensemble as described above); with `items`, per listed item, calibrated over those items. */
export function predictWithTemplates(candidates: TemplateCandidates, templates: readonly number[], items?: ArrayLike<number>): Int32Array {
  const selection = selectionOf(candidates, templates, items);
  const out = new Int32Array(items === undefined ? candidates.items : items.length);
  selection.predict(out);
  return out;
}

/** Class scores (items × classes, row-major) for one template set: cosines (embedding) or averaged, calibrated log-probabilities (score-average). */
export function scoresWithTemplates(candidates: TemplateCandidates, templates: readonly number[], items?: ArrayLike<number>): Float64Array {
  return selectionOf(candidates, templates, items).scores();
}

/**
 * Greedy forward selection over the selection's subset: starting from the empty set (so the
 * first step takes the best single template), add the template whose addition gets the most
 * items right (ties: lower index); stop when no addition gets strictly more right. Null if cancelled.
 */
function greedySelect(selection: RunningSelection, templates: number, truth: Int32Array, isCancelled: (() => boolean) | undefined): number[] | null {
  selection.reset();
  const chosen = new Uint8Array(templates);
  const order: number[] = [];
  // Candidates are tried in the order of last step's counts, so a strong one is met early and
  // the weaker ones are cut short; `lastCounts` holds those counts (exact, or where counting stopped).
  const lastCounts = new Float64Array(templates);
  const tryOrder = Array.from({ length: templates }, (_, t) => t);
  let currentCorrect = -1;
  while (order.length < templates) {
    if (isCancelled?.()) return null;
    tryOrder.sort((x, y) => (lastCounts[y] as number) - (lastCounts[x] as number) || x - y);
    let bestTemplate = -1;
    let bestCorrect = currentCorrect;
    for (const t of tryOrder) {
      if (chosen[t]) continue;
      // A lower index wins a tie with the best so far, so it only has to reach that count.
      const mustExceed = bestTemplate >= 0 && t < bestTemplate ? bestCorrect - 1 : bestCorrect;
      const correct = selection.correctWith(t, truth, mustExceed);
      lastCounts[t] = correct;
      if (correct > mustExceed) {
        bestCorrect = correct;
        bestTemplate = t;
      }
    }
    if (bestTemplate < 0) break;
    selection.add(bestTemplate);
    chosen[bestTemplate] = 1;
    order.push(bestTemplate);
    currentCorrect = bestCorrect;
  }
  return order;
}

/** The template that alone gets the most subset items right (ties: lower index). */
function bestSingleTemplate(selection: RunningSelection, templates: number, truth: Int32Array): number {
  selection.reset();
  let best = 0;
  let bestCorrect = -1;
  for (let t = 0; t < templates; t++) {
    const correct = selection.correctWith(t, truth, bestCorrect);
    if (correct > bestCorrect) {
      bestCorrect = correct;
      best = t;
    }
  }
  return best;
}

function accuracyOf(truth: Int32Array, predictions: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predictions[i]) correct++;
  return truth.length > 0 ? correct / truth.length : 0;
}

function fixedConfiguration(templates: number[], predictions: Int32Array, truth: Int32Array): EvaluatedSelection {
  const accuracy = accuracyOf(truth, predictions);
  return { templates, predictions, accuracy, cvAccuracy: accuracy, cvPredictions: predictions.slice(), cvAvailable: true };
}

function gather(values: Int32Array, indices: Int32Array): Int32Array {
  const out = new Int32Array(indices.length);
  for (let j = 0; j < indices.length; j++) out[j] = values[indices[j] as number] as number;
  return out;
}

/**
 * Every single template, the full ensemble, greedy forward selection and the best single
 * template, each with its in-sample accuracy; the two selected ones also with their stratified
 * k-fold figure (k = foldCount(truth, maxFolds)): on each fold the selection is re-run on the
 * other folds' items and predicts the held-out ones (prior matching over the held-out fold), and
 * cvAccuracy is the accuracy of the pooled out-of-fold predictions. Null when cancelled.
 */
export function searchTemplates(candidates: TemplateCandidates, truth: Int32Array, options: TemplateSearchOptions): TemplateSearchResult | null {
  checkCandidates(candidates);
  const { templates, items, classes } = candidates;
  if (templates === 0) throw new RangeError('the search needs at least one template');
  if (items === 0) throw new RangeError('the search needs at least one item with truth');
  if (truth.length !== items) throw new RangeError(`${truth.length} truth labels for ${items} items`);
  for (const label of truth) if (label < 0 || label >= classes) throw new RangeError(`truth ${label} is outside 0..${classes - 1}`);
  const { isCancelled } = options;

  const singles = Array.from({ length: templates }, (_, t) => fixedConfiguration([t], predictWithTemplates(candidates, [t]), truth));
  const ensemble = fixedConfiguration(everyTemplate(templates), predictWithTemplates(candidates, everyTemplate(templates)), truth);

  const everything = runningSelection(candidates, allItems(items));
  const greedyTemplates = greedySelect(everything, templates, truth, isCancelled);
  if (greedyTemplates === null) return null;
  const greedyPredictions = predictWithTemplates(candidates, greedyTemplates);
  const bestIndex = bestSingleTemplate(everything, templates, truth);
  const bestPredictions = (singles[bestIndex] as EvaluatedSelection).predictions;

  const k = foldCount(truth, options.maxFolds);
  const selected = (chosen: number[], predictions: Int32Array, cvPredictions: Int32Array, cvAvailable: boolean): EvaluatedSelection => ({
    templates: chosen,
    predictions,
    accuracy: accuracyOf(truth, predictions),
    cvAccuracy: accuracyOf(truth, cvPredictions),
    cvPredictions,
    cvAvailable,
  });
  if (k === null) {
    return {
      singles,
      ensemble,
      greedy: selected(greedyTemplates, greedyPredictions, greedyPredictions.slice(), false),
      bestSingle: selected([bestIndex], bestPredictions.slice(), bestPredictions.slice(), false),
      folds: 0,
    };
  }

  const folds = stratifiedFolds(truth, k, options.seed);
  const greedyCv = new Int32Array(items);
  const bestSingleCv = new Int32Array(items);
  for (let fold = 0; fold < k; fold++) {
    if (isCancelled?.()) return null;
    const train: number[] = [];
    const heldOut: number[] = [];
    for (let i = 0; i < items; i++) (folds[i] === fold ? heldOut : train).push(i);
    const trainItems = Int32Array.from(train);
    const heldOutItems = Int32Array.from(heldOut);
    const trainTruth = gather(truth, trainItems);
    const trainSelection = runningSelection(candidates, trainItems);
    const foldGreedy = greedySelect(trainSelection, templates, trainTruth, isCancelled);
    if (foldGreedy === null) return null;
    const foldBest = bestSingleTemplate(trainSelection, templates, trainTruth);
    const greedyHeldOut = predictWithTemplates(candidates, foldGreedy, heldOutItems);
    const bestHeldOut = predictWithTemplates(candidates, [foldBest], heldOutItems);
    for (let j = 0; j < heldOutItems.length; j++) {
      const item = heldOutItems[j] as number;
      greedyCv[item] = greedyHeldOut[j] as number;
      bestSingleCv[item] = bestHeldOut[j] as number;
    }
  }
  return {
    singles,
    ensemble,
    greedy: selected(greedyTemplates, greedyPredictions, greedyCv, true),
    bestSingle: selected([bestIndex], bestPredictions.slice(), bestSingleCv, true),
    folds: k,
  };
}

function everyTemplate(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Accuracy, macro-F1, per-class recall and support, and the confusion matrix of class-index predictions. */
export interface PredictionSummary {
  /** Correct / items; 0 when there are no items. */
  accuracy: number;
  /** Mean F1 over the classes where it is defined (in the truth or predicted); null when none is. */
  macroF1: number | null;
  /** Per class, correct / support; null when the class has no items. */
  perClassRecall: Array<number | null>;
  perClassSupport: number[];
  /** confusion[truth][predicted]. */
  confusion: number[][];
}

export function summarizePredictions(truth: Int32Array, predictions: Int32Array, classes: number): PredictionSummary {
  if (truth.length !== predictions.length) throw new RangeError(`${truth.length} truth labels but ${predictions.length} predictions`);
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < truth.length; i++) {
    const actual = truth[i] as number;
    const predicted = predictions[i] as number;
    if (actual < 0 || actual >= classes || predicted < 0 || predicted >= classes) throw new RangeError(`item ${i}: truth ${actual} or prediction ${predicted} is outside 0..${classes - 1}`);
    const row = confusion[actual] as number[];
    row[predicted] = (row[predicted] as number) + 1;
    if (actual === predicted) correct++;
  }
  const perClassSupport = confusion.map((row) => row.reduce((s, n) => s + n, 0));
  const perClassRecall = confusion.map((row, k) => ((perClassSupport[k] as number) > 0 ? (row[k] as number) / (perClassSupport[k] as number) : null));
  let f1Sum = 0;
  let f1Classes = 0;
  for (let k = 0; k < classes; k++) {
    const truePositives = (confusion[k] as number[])[k] as number;
    const predictedCount = confusion.reduce((s, row) => s + (row[k] as number), 0);
    const denominator = predictedCount + (perClassSupport[k] as number);
    if (denominator === 0) continue;
    f1Sum += (2 * truePositives) / denominator;
    f1Classes++;
  }
  return {
    accuracy: truth.length > 0 ? correct / truth.length : 0,
    macroF1: f1Classes > 0 ? f1Sum / f1Classes : null,
    perClassRecall,
    perClassSupport,
    confusion,
  };
}

/**
 * EmbeddingCandidates from raw inputs: unit item embeddings (items × dim, row-major) and, per
 * template, s[t][c] (classes × dim, row-major: the sum of that class's unit prompt embeddings).
 */
export function embeddingCandidates(itemEmbeddings: Float32Array, items: number, dim: number, classTemplateSums: Float32Array[], classes: number): EmbeddingCandidates {
  if (itemEmbeddings.length !== items * dim) throw new RangeError(`${itemEmbeddings.length} embedding values for ${items} × ${dim}`);
  for (const sums of classTemplateSums) if (sums.length !== classes * dim) throw new RangeError(`a template's class sums have ${sums.length} values for ${classes} × ${dim}`);
  const templates = classTemplateSums.length;
  const dots = classTemplateSums.map((sums) => {
    const out = new Float32Array(items * classes);
    for (let i = 0; i < items; i++) {
      const itemBase = i * dim;
      for (let c = 0; c < classes; c++) {
        const classBase = c * dim;
        let total = 0;
        for (let d = 0; d < dim; d++) total += (itemEmbeddings[itemBase + d] as number) * (sums[classBase + d] as number);
        out[i * classes + c] = total;
      }
    }
    return out;
  });
  const gram = Array.from({ length: classes }, (_, c) => {
    const out = new Float64Array(templates * templates);
    const classBase = c * dim;
    for (let t = 0; t < templates; t++) {
      const first = classTemplateSums[t] as Float32Array;
      for (let u = t; u < templates; u++) {
        const second = classTemplateSums[u] as Float32Array;
        let total = 0;
        for (let d = 0; d < dim; d++) total += (first[classBase + d] as number) * (second[classBase + d] as number);
        out[t * templates + u] = total;
        out[u * templates + t] = total;
      }
    }
    return out;
  });
  return { kind: 'embedding', templates, items, classes, dots, gram };
}
