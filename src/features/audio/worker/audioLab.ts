/**
 * The prompt lab in the audio worker, next to the clips, their encodings and their embeddings:
 * grid search over templates (Whisper: crossed with score rules and calibrations), few-shot
 * heads on the clip embeddings, the learning curve, and head export/import. The main thread
 * sends item ids and truth and gets summaries back, never per-clip scores or embeddings.
 */
import { buildTranscriptClassPrompts, priorMatch, type Calibration, type TokenAggregation } from '../../../lib/audioScoring';
import {
  headProbabilities,
  learningCurve,
  trainHead,
  type FeatureMatrix,
  type HeadKind,
  type TrainedHead,
} from '../../../lib/fewShot';
import { buildClassPrompts } from '../../../lib/labels';
import { argmaxAt, l2Normalize } from '../../../lib/scoring';
import {
  embeddingCandidates,
  searchTemplates,
  summarizePredictions,
  type EvaluatedSelection,
  type ScoreCandidates,
  type TemplateCandidates,
  type TemplateSearchResult,
} from '../../../lib/templateSearch';
import type {
  ExportHeadRequest,
  GridConfigResult,
  GridSearchRequest,
  GridSearchResult,
  HeadSummary,
  ImportHeadRequest,
  LabEvent,
  LabItem,
  LabRequest,
  LearningCurveRequest,
  TrainHeadRequest,
  ZeroShotConfig,
} from '../../lab/shared';

type HeadEmbedding = HeadSummary['embedding'];
type ClassPrompts = readonly (readonly string[])[];

/** What the lab needs of the audio engine (AudioEngine provides it; tests give a fake). */
export interface AudioLabEngine {
  readonly family: 'whisper' | 'clap';
  readonly embeddingKind: HeadEmbedding;
  /** CLAP's cosine-to-logit scale; null for Whisper. */
  readonly logitScale: number | null;
  holds(contentHash: string): boolean;
  clipClassScores(contentHash: string, promptSets: readonly ClassPrompts[], aggregation: TokenAggregation): Promise<Float32Array[] | null>;
  silenceClassScores(promptSets: readonly ClassPrompts[], aggregation: TokenAggregation): Promise<Float32Array[]>;
  clipEmbedding(contentHash: string): Promise<Float32Array | null>;
  /** The length of the clip embeddings computed so far; null before the first. */
  embeddingDim(): number | null;
  /** CLAP: unit caption embeddings; null for Whisper. */
  captionEmbeddings(prompts: readonly string[]): Promise<Float32Array[] | null>;
  storeHead(headId: string, head: TrainedHead): void;
  headFor(headId: string): TrainedHead | undefined;
}

export interface LabContext {
  isCancelled: () => boolean;
  post: (event: LabEvent) => void;
}

/** Progress is posted at most this often per stage (in items), so a long grid doesn't flood the main thread. */
const PROGRESS_EVERY_ITEMS = 4;
/** Whisper reads the default score rule when a configuration doesn't name one (CLAP ignores it). */
const DEFAULT_AGGREGATION: TokenAggregation = 'mean';

export async function answerLabRequest(engine: AudioLabEngine, request: LabRequest, context: LabContext): Promise<void> {
  switch (request.type) {
    case 'labGridSearch':
      return runGridSearch(engine, request, context);
    case 'labTrainHead':
      return trainAudioHead(engine, request, context);
    case 'labLearningCurve':
      return runLearningCurve(engine, request, context);
    case 'labExportHead':
      return exportAudioHead(engine, request, context);
    case 'labImportHead':
      return importAudioHead(engine, request, context);
    case 'labBiasProbe':
      throw new Error('The bias probe runs on images only.');
  }
}

/** The items whose clips the worker holds (the others can't be scored here and are left out). */
function heldItems(engine: AudioLabEngine, items: readonly LabItem[]): LabItem[] {
  return items.filter((item) => engine.holds(item.contentHash));
}

function progress(context: LabContext, requestId: number, stage: string, done: number, total: number): void {
  if (done === total || done % PROGRESS_EVERY_ITEMS === 0) context.post({ type: 'labProgress', requestId, stage, done, total });
}

export async function runGridSearch(engine: AudioLabEngine, request: GridSearchRequest, context: LabContext): Promise<void> {
  const result = engine.family === 'whisper' ? await whisperGrid(engine, request, context) : await clapGrid(engine, request, context);
  context.post({ type: 'labGridResult', requestId: request.requestId, result });
}

/**
 * Whisper: per score rule, every clip's per-label scores under every template (each template's
 * alternatives averaged; decoder runs only for prompts not scored before), and the silent clip's;
 * then, per calibration, the template search over those scores.
 */
async function whisperGrid(engine: AudioLabEngine, request: GridSearchRequest, context: LabContext): Promise<GridSearchResult | null> {
  const items = heldItems(engine, request.items);
  const classes = request.labels.length;
  const truth = Int32Array.from(items, (item) => item.truth);
  const templatePrompts = request.templates.map((template) => buildTranscriptClassPrompts([template], request.alternatives));
  const aggregations = request.audio?.aggregations.length ? request.audio.aggregations : [DEFAULT_AGGREGATION];
  const calibrations: Calibration[] = request.audio?.calibrations.length ? request.audio.calibrations : ['none'];
  const configs: GridConfigResult[] = [];
  let folds: number | null = null;
  const total = aggregations.length * items.length;
  let done = 0;
  for (const aggregation of aggregations) {
    const scores = request.templates.map(() => new Float32Array(items.length * classes));
    for (const [index, item] of items.entries()) {
      if (context.isCancelled()) return null;
      const clipScores = await engine.clipClassScores(item.contentHash, templatePrompts, aggregation);
      if (!clipScores) throw new Error(`The audio worker lost the clip of item ${item.itemId} during the grid search.`);
      clipScores.forEach((perLabel, template) => (scores[template] as Float32Array).set(perLabel, index * classes));
      progress(context, request.requestId, 'Scoring templates', ++done, total);
    }
    const zeroInput = calibrations.includes('zero-input') ? await engine.silenceClassScores(templatePrompts, aggregation) : null;
    for (const calibration of calibrations) {
      const candidates: ScoreCandidates = {
        kind: 'score-average',
        templates: request.templates.length,
        items: items.length,
        classes,
        scores,
        calibration,
        zeroInput: calibration === 'zero-input' ? zeroInput : null,
      };
      const searched = search(candidates, truth, request, context);
      if (!searched) return null;
      folds = searched.folds > 0 ? searched.folds : null;
      configs.push(...configsOf(searched, request.templates, truth, classes, calibration, aggregation));
    }
  }
  return { configs, folds, evaluated: items.length };
}

/** CLAP: the CLIP way over the clip embeddings and each template's summed caption embeddings. */
async function clapGrid(engine: AudioLabEngine, request: GridSearchRequest, context: LabContext): Promise<GridSearchResult | null> {
  const classes = request.labels.length;
  const features = await featuresOf(engine, heldItems(engine, request.items), request.requestId, context);
  if (!features) return null;
  const { matrix, items } = features;
  const truth = Int32Array.from(items, (item) => item.truth);
  const sums: Float32Array[] = [];
  for (const template of request.templates) {
    if (context.isCancelled()) return null;
    sums.push(await classSums(engine, buildClassPrompts([template], request.alternatives), matrix.dim));
  }
  const candidates = embeddingCandidates(matrix.data, matrix.count, matrix.dim, sums, classes);
  const searched = search(candidates, truth, request, context);
  if (!searched) return null;
  return {
    configs: configsOf(searched, request.templates, truth, classes, null, null),
    folds: searched.folds > 0 ? searched.folds : null,
    evaluated: items.length,
  };
}

function search(candidates: TemplateCandidates, truth: Int32Array, request: GridSearchRequest, context: LabContext): TemplateSearchResult | null {
  context.post({ type: 'labProgress', requestId: request.requestId, stage: 'Searching templates', done: 0, total: 1 });
  return searchTemplates(candidates, truth, { maxFolds: request.maxFolds, seed: request.seed, isCancelled: context.isCancelled });
}

/** Per class, the sum of its prompts' unit caption embeddings (classes × dim, row-major). */
async function classSums(engine: AudioLabEngine, classPrompts: ClassPrompts, dim: number): Promise<Float32Array> {
  const out = new Float32Array(classPrompts.length * dim);
  for (const [label, prompts] of classPrompts.entries()) {
    const embeddings = await engine.captionEmbeddings(prompts);
    if (!embeddings) throw new Error('This model has no caption embeddings.');
    for (const embedding of embeddings) {
      if (embedding.length !== dim) throw new Error(`Caption embeddings have ${embedding.length} values, clip embeddings ${dim}.`);
      for (let k = 0; k < dim; k++) out[label * dim + k] = (out[label * dim + k] as number) + (embedding[k] as number);
    }
  }
  return out;
}

function configsOf(
  searched: TemplateSearchResult,
  templates: readonly string[],
  truth: Int32Array,
  classes: number,
  calibration: Calibration | null,
  aggregation: TokenAggregation | null,
): GridConfigResult[] {
  const crossValidated = searched.folds > 0;
  const config = (kind: GridConfigResult['kind'], selection: EvaluatedSelection): GridConfigResult => {
    const summary = summarizePredictions(truth, selection.predictions, classes);
    return {
      kind,
      templates: selection.templates.map((index) => templates[index] as string),
      calibration,
      aggregation,
      accuracy: selection.accuracy,
      cvAccuracy: crossValidated ? selection.cvAccuracy : null,
      macroF1: summary.macroF1,
      perClassRecall: summary.perClassRecall,
      perClassSupport: summary.perClassSupport,
      confusion: summary.confusion,
    };
  };
  return [
    ...searched.singles.map((selection) => config('single', selection)),
    config('ensemble', searched.ensemble),
    config('greedy', searched.greedy),
    config('best-single', searched.bestSingle),
  ];
}

/** The held items' clip embeddings as one matrix (rows in item order), or null when cancelled. */
async function featuresOf(
  engine: AudioLabEngine,
  items: readonly LabItem[],
  requestId: number,
  context: LabContext,
): Promise<{ matrix: FeatureMatrix; items: LabItem[] } | null> {
  const vectors: Float32Array[] = [];
  const kept: LabItem[] = [];
  for (const item of items) {
    if (context.isCancelled()) return null;
    const embedding = await engine.clipEmbedding(item.contentHash);
    if (!embedding) continue;
    vectors.push(embedding);
    kept.push(item);
    progress(context, requestId, 'Reading clip embeddings', kept.length, items.length);
  }
  const dim = vectors[0]?.length ?? engine.embeddingDim() ?? 0;
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((vector, row) => {
    if (vector.length !== dim) throw new Error(`Clip embeddings of different lengths (${vector.length} and ${dim}).`);
    data.set(vector, row * dim);
  });
  return { matrix: { data, count: vectors.length, dim }, items: kept };
}

/** Every row's zero-shot logits (rows × classes): the clip's raw per-label scores for the zero-shot prompts. */
async function zeroShotLogitsOf(engine: AudioLabEngine, items: readonly LabItem[], zeroShot: ZeroShotConfig): Promise<Float32Array> {
  const classes = zeroShot.labels.length;
  const logits = new Float32Array(items.length * classes);
  for (const [row, item] of items.entries()) {
    const scores = await engine.clipClassScores(item.contentHash, [zeroShot.classPrompts], zeroShot.aggregation ?? DEFAULT_AGGREGATION);
    const perLabel = scores?.[0];
    if (!perLabel) throw new Error(`The audio worker lost the clip of item ${item.itemId}.`);
    logits.set(perLabel, row * classes);
  }
  return logits;
}

/** Logistic regression's starting weights for CLAP: each label's ensembled caption direction × the logit scale (classes × dim). */
async function captionClassifier(engine: AudioLabEngine, zeroShot: ZeroShotConfig, dim: number): Promise<Float32Array | null> {
  if (engine.logitScale === null) return null;
  const sums = await classSums(engine, zeroShot.classPrompts, dim);
  const weights = new Float32Array(sums.length);
  for (let label = 0; label < zeroShot.labels.length; label++) {
    const direction = l2Normalize(sums.subarray(label * dim, (label + 1) * dim));
    for (let k = 0; k < dim; k++) weights[label * dim + k] = engine.logitScale * (direction[k] as number);
  }
  return weights;
}

function argmaxRows(values: ArrayLike<number>, rows: number, classes: number): Int32Array {
  const out = new Int32Array(rows);
  for (let row = 0; row < rows; row++) {
    out[row] = argmaxAt(values, row * classes, classes);
  }
  return out;
}

function accuracyOf(predicted: Int32Array, truth: readonly number[]): number | null {
  if (truth.length === 0) return null;
  let correct = 0;
  truth.forEach((label, index) => (correct += predicted[index] === label ? 1 : 0));
  return correct / truth.length;
}

/** Zero-shot predictions for some rows under the configuration's calibration (prior matching over those rows). */
async function zeroShotPredictions(
  engine: AudioLabEngine,
  logits: Float32Array,
  rows: readonly number[],
  zeroShot: ZeroShotConfig,
): Promise<Int32Array> {
  const classes = zeroShot.labels.length;
  const rowScores = rows.map((row) => Array.from(logits.subarray(row * classes, (row + 1) * classes)));
  const calibration = zeroShot.calibration ?? 'none';
  if (calibration === 'prior') {
    const { probabilities } = priorMatch(rowScores);
    return argmaxRows(probabilities.flat(), rows.length, classes);
  }
  if (calibration === 'zero-input') {
    const [silence] = await engine.silenceClassScores([zeroShot.classPrompts], zeroShot.aggregation ?? DEFAULT_AGGREGATION);
    for (const scores of rowScores) scores.forEach((value, label) => (scores[label] = value - (silence?.[label] ?? 0)));
  }
  return argmaxRows(rowScores.flat(), rows.length, classes);
}

function indexRange(start: number, end: number): number[] {
  return Array.from({ length: end - start }, (_, i) => start + i);
}

export async function trainAudioHead(engine: AudioLabEngine, request: TrainHeadRequest, context: LabContext): Promise<void> {
  const classes = request.zeroShot.labels.length;
  const features = await featuresOf(engine, heldItems(engine, [...request.items, ...request.heldOut]), request.requestId, context);
  if (!features) throw new Error('Training was cancelled.');
  const { matrix, items } = features;
  const trainingIds = new Set(request.items.map((item) => item.itemId));
  // featuresOf keeps the order: training items first, then the held-out ones.
  const trainCount = items.filter((item) => trainingIds.has(item.itemId)).length;
  if (trainCount === 0) throw new Error('The audio worker holds none of the training clips yet; let them be scored first.');
  const train = indexRange(0, trainCount);
  const heldOut = indexRange(trainCount, items.length);
  const logits = await zeroShotLogitsOf(engine, items, request.zeroShot);
  context.post({ type: 'labProgress', requestId: request.requestId, stage: 'Training the head', done: 0, total: 1 });
  const initialWeights = request.initFromZeroShot && request.kind === 'logistic' ? await captionClassifier(engine, request.zeroShot, matrix.dim) : null;
  const trained = trainHead({
    kind: request.kind,
    features: matrix,
    train,
    labels: train.map((row) => (items[row] as LabItem).truth),
    classes,
    zeroShotLogits: logits,
    initialWeights,
    maxFolds: request.maxFolds,
    seed: request.seed,
  });
  engine.storeHead(request.headId, trained.head);
  const heldOutTruth = heldOut.map((row) => (items[row] as LabItem).truth);
  const headPredicted = argmaxRows(headProbabilities(trained.head, matrix, heldOut, logits), heldOut.length, classes);
  const zeroShotPredicted = await zeroShotPredictions(engine, logits, heldOut, request.zeroShot);
  context.post({
    type: 'labHeadTrained',
    requestId: request.requestId,
    summary: {
      headId: request.headId,
      kind: request.kind,
      dim: matrix.dim,
      chosen: trained.chosen,
      cvAccuracy: trained.cvAccuracy,
      folds: trained.folds,
      examples: trainCount,
      embedding: engine.embeddingKind,
      heldOutAccuracy: accuracyOf(headPredicted, heldOutTruth),
      zeroShotHeldOutAccuracy: accuracyOf(zeroShotPredicted, heldOutTruth),
      heldOutItems: heldOut.length,
    },
  });
}

export async function runLearningCurve(engine: AudioLabEngine, request: LearningCurveRequest, context: LabContext): Promise<void> {
  const features = await featuresOf(engine, heldItems(engine, request.items), request.requestId, context);
  if (!features) {
    context.post({ type: 'labLearningCurveResult', requestId: request.requestId, curve: null });
    return;
  }
  const { matrix, items } = features;
  const logits = await zeroShotLogitsOf(engine, items, request.zeroShot);
  const curve = learningCurve({
    features: matrix,
    rows: indexRange(0, items.length),
    labels: items.map((item) => item.truth),
    classes: request.zeroShot.labels.length,
    zeroShotLogits: logits,
    splits: request.splits,
    heads: request.heads,
    seed: request.seed,
    isCancelled: context.isCancelled,
    onProgress: (done, total) => context.post({ type: 'labProgress', requestId: request.requestId, stage: 'Learning curve', done, total }),
  });
  context.post({ type: 'labLearningCurveResult', requestId: request.requestId, curve });
}

/** A copy whose buffers can be transferred without taking the worker's own head away. */
function copyHead(head: TrainedHead): TrainedHead {
  if (head.kind === 'logistic') return { ...head, model: { ...head.model, weights: head.model.weights.slice(), bias: head.model.bias.slice() } };
  return { ...head, keys: head.keys.slice(), keyLabels: head.keyLabels.slice() };
}

export function exportAudioHead(engine: AudioLabEngine, request: ExportHeadRequest, context: LabContext): Promise<void> {
  const head = engine.headFor(request.headId);
  context.post({
    type: 'labHeadExported',
    requestId: request.requestId,
    head: head ? copyHead(head) : null,
    embedding: head ? engine.embeddingKind : null,
  });
  return Promise.resolve();
}

function hyperparametersOf(head: TrainedHead): Record<string, number> {
  switch (head.kind) {
    case 'logistic':
      return { C: head.C };
    case 'knn':
      return { k: head.k };
    case 'tip-adapter':
      return { alpha: head.alpha, beta: head.beta };
  }
}

function examplesOf(head: TrainedHead): number {
  return head.kind === 'logistic' ? 0 : head.keyLabels.length;
}

export function importAudioHead(engine: AudioLabEngine, request: ImportHeadRequest, context: LabContext): Promise<void> {
  const { head } = request;
  if (request.embedding !== engine.embeddingKind)
    throw new Error(`This head reads ${request.embedding} embeddings; the loaded model gives ${engine.embeddingKind}.`);
  const dim = engine.embeddingDim();
  if (dim !== null && dim !== head.dim) throw new Error(`This head reads ${head.dim}-value embeddings; the loaded model's have ${dim}.`);
  engine.storeHead(request.headId, copyHead(head));
  const kind: HeadKind = head.kind;
  context.post({
    type: 'labHeadImported',
    requestId: request.requestId,
    summary: {
      headId: request.headId,
      kind,
      dim: head.dim,
      chosen: hyperparametersOf(head),
      cvAccuracy: null,
      folds: null,
      examples: examplesOf(head),
      embedding: engine.embeddingKind,
      heldOutAccuracy: null,
      zeroShotHeldOutAccuracy: null,
      heldOutItems: 0,
    },
  });
  return Promise.resolve();
}
