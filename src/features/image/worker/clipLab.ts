/**
 * The prompt lab's commands in the CLIP worker, next to the embeddings: grid search over
 * templates, few-shot heads, the learning curve, head export/import and the bias probe. One
 * function per command; each posts progress and exactly one terminal reply (or throws, and the
 * worker host replies `failed` with the message).
 */
import { fillAttributeTemplate, pairReport } from '../../../lib/biasProbe';
import {
  headProbabilities,
  learningCurve,
  trainHead,
  type FeatureMatrix,
  type TrainedHead,
} from '../../../lib/fewShot';
import { fillTemplate } from '../../../lib/labels';
import { argmaxAt, cosineSimilarities, type ScoringRule } from '../../../lib/scoring';
import { embeddingCandidates, searchTemplates, summarizePredictions, type EvaluatedSelection } from '../../../lib/templateSearch';
import type {
  BiasProbeRequest,
  LabRequest,
  ExportHeadRequest,
  GridConfigResult,
  GridSearchRequest,
  HeadSummary,
  ImageEmbeddingSource,
  ImportHeadRequest,
  LabEvent,
  LabItem,
  LearningCurveRequest,
  TrainHeadRequest,
  ZeroShotConfig,
} from '../../lab/shared';
import { zeroShotLogits } from './clipScoring';

/** Prompts per text-model call in the lab: bounds the text model's memory and lets a cancel land between calls. */
export const LAB_TEXT_BATCH = 64;

/** A head the worker keeps for the classify path and for export. */
export interface KeptHead {
  head: TrainedHead;
  embedding: HeadSummary['embedding'];
  summary: HeadSummary;
}

/** What the lab commands need of the engine (ClipEngine in the worker, a fake in tests). */
export interface LabEngine {
  readonly scoring: ScoringRule;
  readonly heads: Map<string, KeptHead>;
  /** Unit image embeddings of the items already embedded on that resize path (rows in `found` order); never runs the vision model. */
  imageFeatures(contentHashes: readonly string[], source: ImageEmbeddingSource): Promise<{ features: FeatureMatrix; found: number[] }>;
  /** Unit text embeddings (cached). */
  embedTexts(prompts: readonly string[]): Promise<Float32Array[]>;
  /** Per class, the ensemble of its prompts. */
  classVectors(classPrompts: readonly (readonly string[])[]): Promise<Float32Array[]>;
  embeddingDim(): Promise<number>;
}

export interface LabContext {
  isCancelled: () => boolean;
  post: (event: LabEvent) => void;
}

const NOT_EMBEDDED =
  'None of these items has an image embedding for the current model yet: let the items finish ranking, then run this again.';

function progress(context: LabContext, requestId: number, stage: string, done: number, total: number): void {
  context.post({ type: 'labProgress', requestId, stage, done, total });
}

/** Embeds the prompts a batch at a time (with progress); null when cancelled in between. */
async function embedInBatches(
  engine: LabEngine, prompts: readonly string[], context: LabContext, requestId: number, stage: string,
): Promise<Float32Array[] | null> {
  const out: Float32Array[] = [];
  for (let start = 0; start < prompts.length; start += LAB_TEXT_BATCH) {
    if (context.isCancelled()) return null;
    out.push(...(await engine.embedTexts(prompts.slice(start, start + LAB_TEXT_BATCH))));
    progress(context, requestId, stage, out.length, prompts.length);
  }
  return out;
}

/** The request's image embedding source; the lab protocol leaves it null for audio only. */
function imageSourceOf(request: { imageEmbedding: ImageEmbeddingSource | null }): ImageEmbeddingSource {
  if (!request.imageEmbedding) throw new Error('This lab request does not say which image embeddings (resize path) to read.');
  return request.imageEmbedding;
}

/** The embedded items among `items`, their features and truths (in the features' row order). */
async function embeddedItems(
  engine: LabEngine, items: readonly LabItem[], source: ImageEmbeddingSource,
): Promise<{ features: FeatureMatrix; truth: Int32Array; found: number[] }> {
  const { features, found } = await engine.imageFeatures(items.map((item) => item.contentHash), source);
  return { features, found, truth: Int32Array.from(found, (index) => items[index]!.truth) };
}

/** Cosines of every feature row with every class vector (count × classes, row-major). */
export function cosineMatrix(features: FeatureMatrix, classVectors: readonly Float32Array[]): Float32Array {
  const classes = classVectors.length;
  const out = new Float32Array(features.count * classes);
  for (let row = 0; row < features.count; row++) {
    const image = features.data.subarray(row * features.dim, (row + 1) * features.dim);
    cosineSimilarities(image, classVectors).forEach((cosine, c) => (out[row * classes + c] = cosine));
  }
  return out;
}

function logitMatrix(cosines: Float32Array, rule: ScoringRule): Float32Array {
  return zeroShotLogits(cosines, rule);
}

function accuracyOf(scores: ArrayLike<number>, classes: number, truth: ArrayLike<number>): number | null {
  if (truth.length === 0) return null;
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (argmaxAt(scores, i * classes, classes) === truth[i]) correct++;
  return correct / truth.length;
}

function configResult(kind: GridConfigResult['kind'], selection: EvaluatedSelection, templates: readonly string[], truth: Int32Array, classes: number): GridConfigResult {
  return {
    kind,
    templates: selection.templates.map((t) => templates[t]!),
    calibration: null,
    aggregation: null,
    ...summarizePredictions(truth, selection.predictions, classes),
    // A selection that could not be re-run per fold has no honest figure: say so rather than repeat the in-sample one.
    cvAccuracy: selection.cvAvailable === false ? null : selection.cvAccuracy,
  };
}

export async function runGridSearch(engine: LabEngine, request: GridSearchRequest, context: LabContext): Promise<void> {
  const { requestId, templates, alternatives } = request;
  const classes = request.labels.length;
  const { features, truth } = await embeddedItems(engine, request.items, imageSourceOf(request));
  if (features.count === 0) throw new Error(NOT_EMBEDDED);

  // Every template × alternative prompt, embedded once (the cache keeps them for "apply best").
  const prompts = templates.flatMap((template) => alternatives.flatMap((texts) => texts.map((text) => fillTemplate(template, text))));
  const embedded = await embedInBatches(engine, prompts, context, requestId, 'Embedding prompts');
  if (!embedded) return context.post({ type: 'labGridResult', requestId, result: null });
  // Per template, s[t][c] (classes × dim): the sum of class c's unit prompt embeddings under t.
  const { dim } = features;
  let next = 0;
  const sums = templates.map(() => {
    const perClass = new Float32Array(classes * dim);
    alternatives.forEach((texts, c) => {
      for (let k = 0; k < texts.length; k++) {
        const unit = embedded[next++]!;
        for (let i = 0; i < dim; i++) perClass[c * dim + i]! += unit[i]!;
      }
    });
    return perClass;
  });

  progress(context, requestId, 'Searching templates', 0, 1);
  const candidates = embeddingCandidates(features.data, features.count, dim, sums, classes);
  const search = searchTemplates(candidates, truth, {
    maxFolds: request.maxFolds,
    seed: request.seed,
    isCancelled: context.isCancelled,
  });
  if (!search) return context.post({ type: 'labGridResult', requestId, result: null });
  const config = (kind: GridConfigResult['kind'], selection: EvaluatedSelection) => configResult(kind, selection, templates, truth, classes);
  const configs = [
    ...search.singles.map((selection) => config('single', selection)),
    config('ensemble', search.ensemble),
    config('greedy', search.greedy),
    config('best-single', search.bestSingle),
  ];
  progress(context, requestId, 'Searching templates', 1, 1);
  context.post({ type: 'labGridResult', requestId, result: { configs, folds: search.folds > 0 ? search.folds : null, evaluated: features.count } });
}

/** The zero-shot side a head is trained and compared beside: class vectors and the logits of every row. */
async function zeroShotOf(engine: LabEngine, features: FeatureMatrix, zeroShot: ZeroShotConfig) {
  const classVectors = await engine.classVectors(zeroShot.classPrompts);
  const cosines = cosineMatrix(features, classVectors);
  return { classVectors, cosines, logits: logitMatrix(cosines, engine.scoring) };
}

/** Logistic regression's starting weights: the zero-shot classifier, logit scale × each class vector (classes × dim). */
function zeroShotWeights(classVectors: readonly Float32Array[], rule: ScoringRule, dim: number): Float32Array {
  const weights = new Float32Array(classVectors.length * dim);
  classVectors.forEach((vector, c) => vector.forEach((value, i) => (weights[c * dim + i] = rule.logitScale * value)));
  return weights;
}

export async function runTrainHead(engine: LabEngine, request: TrainHeadRequest, context: LabContext): Promise<void> {
  const { requestId } = request;
  const classes = request.zeroShot.labels.length;
  const all = [...request.items, ...request.heldOut];
  const { features, truth, found } = await embeddedItems(engine, all, imageSourceOf(request));
  const trainRows = found.flatMap((index, row) => (index < request.items.length ? [row] : []));
  const heldOutRows = found.flatMap((index, row) => (index >= request.items.length ? [row] : []));
  if (trainRows.length === 0) throw new Error(NOT_EMBEDDED);

  progress(context, requestId, 'Training', 0, 1);
  const zeroShot = await zeroShotOf(engine, features, request.zeroShot);
  const trained = trainHead({
    kind: request.kind,
    features,
    train: trainRows,
    labels: trainRows.map((row) => truth[row]!),
    classes,
    zeroShotLogits: zeroShot.logits,
    initialWeights: request.initFromZeroShot ? zeroShotWeights(zeroShot.classVectors, engine.scoring, features.dim) : null,
    maxFolds: request.maxFolds,
    seed: request.seed,
  });

  const heldOutTruth = heldOutRows.map((row) => truth[row]!);
  const headScores = heldOutRows.length > 0 ? headProbabilities(trained.head, features, heldOutRows, zeroShot.logits) : new Float64Array(0);
  const zeroShotScores = Float32Array.from(heldOutRows.flatMap((row) => Array.from(zeroShot.cosines.subarray(row * classes, (row + 1) * classes))));
  const summary: HeadSummary = {
    headId: request.headId,
    kind: request.kind,
    dim: features.dim,
    chosen: trained.chosen,
    cvAccuracy: trained.cvAccuracy,
    folds: trained.folds,
    examples: trainRows.length,
    embedding: 'image',
    heldOutAccuracy: accuracyOf(headScores, classes, heldOutTruth),
    zeroShotHeldOutAccuracy: accuracyOf(zeroShotScores, classes, heldOutTruth),
    heldOutItems: heldOutRows.length,
  };
  engine.heads.set(request.headId, { head: trained.head, embedding: 'image', summary });
  progress(context, requestId, 'Training', 1, 1);
  context.post({ type: 'labHeadTrained', requestId, summary });
}

export async function runLearningCurve(engine: LabEngine, request: LearningCurveRequest, context: LabContext): Promise<void> {
  const { requestId } = request;
  const { features, truth } = await embeddedItems(engine, request.items, imageSourceOf(request));
  if (features.count === 0) throw new Error(NOT_EMBEDDED);
  const zeroShot = await zeroShotOf(engine, features, request.zeroShot);
  const curve = learningCurve({
    features,
    rows: Array.from({ length: features.count }, (_, row) => row),
    labels: Array.from(truth),
    classes: request.zeroShot.labels.length,
    zeroShotLogits: zeroShot.logits,
    // The penalised objective is convex, so starting from zero-shot changes only how fast it converges.
    initialWeights: zeroShotWeights(zeroShot.classVectors, engine.scoring, features.dim),
    splits: request.splits,
    heads: request.heads,
    seed: request.seed,
    isCancelled: context.isCancelled,
    onProgress: (done, total) => progress(context, requestId, 'Learning curve', done, total),
  });
  context.post({ type: 'labLearningCurveResult', requestId, curve });
}

/** A copy whose buffers can be transferred without taking the kept head's away. */
function copyOfHead(head: TrainedHead): TrainedHead {
  if (head.kind === 'logistic') return { ...head, model: { ...head.model, weights: head.model.weights.slice(), bias: head.model.bias.slice() } };
  return { ...head, keys: head.keys.slice(), keyLabels: head.keyLabels.slice() };
}

export function runExportHead(engine: LabEngine, request: ExportHeadRequest, context: LabContext): void {
  const kept = engine.heads.get(request.headId);
  context.post({ type: 'labHeadExported', requestId: request.requestId, head: kept ? copyOfHead(kept.head) : null, embedding: kept?.embedding ?? null });
}

/** The hyperparameters a head carries, by name (as training reports them). */
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

export async function runImportHead(engine: LabEngine, request: ImportHeadRequest, context: LabContext): Promise<void> {
  const { head } = request;
  if (request.embedding !== 'image') throw new Error(`This head reads ${request.embedding} embeddings; the image model gives image embeddings.`);
  const dim = await engine.embeddingDim();
  if (head.dim !== dim)
    throw new Error(`This head reads ${head.dim}-dimensional embeddings, but the loaded model's embeddings have ${dim} dimensions: it was trained for another model.`);
  const summary: HeadSummary = {
    headId: request.headId,
    kind: head.kind,
    dim,
    chosen: hyperparametersOf(head),
    cvAccuracy: null,
    folds: null,
    examples: head.kind === 'logistic' ? 0 : head.keyLabels.length,
    embedding: 'image',
    heldOutAccuracy: null,
    zeroShotHeldOutAccuracy: null,
    heldOutItems: 0,
  };
  engine.heads.set(request.headId, { head, embedding: 'image', summary });
  context.post({ type: 'labHeadImported', requestId: request.requestId, summary });
}

/** A label's prompt with the attribute slot left empty (spaces collapsed): the text side of the association table. */
function withoutAttribute(template: string, label: string): string {
  return fillAttributeTemplate(template, '', label).replace(/\s+/g, ' ').trim();
}

export async function runBiasProbe(engine: LabEngine, request: BiasProbeRequest, context: LabContext): Promise<void> {
  const { requestId, template, labels, pairs } = request;
  const classes = labels.length;
  const { features } = await engine.imageFeatures(request.items.map((item) => item.contentHash), request.imageEmbedding);
  if (features.count === 0) throw new Error(NOT_EMBEDDED);

  const logitsFor = async (attribute: string) =>
    logitMatrix(cosineMatrix(features, await engine.embedTexts(labels.map((label) => fillAttributeTemplate(template, attribute, label)))), engine.scoring);
  const reports = [];
  for (const [index, pair] of pairs.entries()) {
    progress(context, requestId, 'Probing pairs', index, pairs.length);
    reports.push(pairReport(pair, await logitsFor(pair.a), await logitsFor(pair.b), features.count, classes));
  }
  progress(context, requestId, 'Probing pairs', pairs.length, pairs.length);

  const attributes = [...new Set(pairs.flatMap((pair) => [pair.a, pair.b]))];
  const labelVectors = await engine.embedTexts(labels.map((label) => withoutAttribute(template, label)));
  const attributeVectors = await engine.embedTexts(attributes);
  const cosines = labelVectors.map((label) => cosineSimilarities(label, attributeVectors));
  context.post({ type: 'labBiasReport', requestId, report: { pairs: reports, association: { labels: [...labels], attributes, cosines }, items: features.count } });
}

/** Runs one lab command (the worker's switch calls this for every lab request). */
export async function runLabCommand(engine: LabEngine, request: LabRequest, context: LabContext): Promise<void> {
  switch (request.type) {
    case 'labGridSearch':
      return runGridSearch(engine, request, context);
    case 'labTrainHead':
      return runTrainHead(engine, request, context);
    case 'labLearningCurve':
      return runLearningCurve(engine, request, context);
    case 'labExportHead':
      return runExportHead(engine, request, context);
    case 'labImportHead':
      return runImportHead(engine, request, context);
    case 'labBiasProbe':
      return runBiasProbe(engine, request, context);
  }
}
