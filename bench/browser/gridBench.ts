/**
 * Benchmark 1 of the prompt lab: grid search over templates on already-embedded images.
 *
 * App side: the CLIP worker's own `runGridSearch` (clipLab.ts), called as the worker calls it for
 * `labGridSearch`, on a ClipEngine that has already embedded every image. Each timed call gets a
 * fresh text cache, so every template × label prompt goes through the text model inside the
 * timed part. Baseline: transformers.js's zero-shot-image-classification pipeline, one call per
 * template (that template as `hypothesis_template`) over every image.
 */
import type { ZeroShotImageClassificationPipeline } from '@huggingface/transformers';
import { ClipEngine } from '../../src/features/image/worker/clipEngine';
import { runGridSearch, type LabEngine } from '../../src/features/image/worker/clipLab';
import type { LoadedClip } from '../../src/features/image/worker/loadModel';
import type { ClassifyItem } from '../../src/features/image/shared/protocol';
import type { GridConfigResult, GridSearchResult, LabEvent } from '../../src/features/lab/shared';
import { buildPrompts } from '../../src/lib/labels';
import type { GridArgs, GridConfigSummary, GridEngineRuns, GridPipelineRuns } from '../shared/protocol';

export interface LabelledItem extends ClassifyItem {
  truth: number;
}

const now = (): number => performance.now();

/** Puts every item through the vision model once (the untimed "cached images" step). */
async function embedAll(engine: ClipEngine, items: readonly LabelledItem[], label: string): Promise<void> {
  const errors: string[] = [];
  await engine.classify(
    { type: 'classify', requestId: 0, resizeMode: 'exact', classPrompts: buildPrompts('{}', [label]).map((prompt) => [prompt]), head: null, items: [...items] },
    {
      isCancelled: () => false,
      onItem: (_item, outcome) => {
        if (!outcome.ok) errors.push(outcome.error);
      },
      onBatchProgress: () => {},
      onStats: () => {},
    },
  );
  if (errors.length > 0) throw new Error(`embedding failed on ${errors.length} images: ${errors[0]}`);
}

/**
 * The engine the lab command sees: image features from the engine that embedded the images, and
 * everything text-side from a fresh ClipEngine on the same loaded model (an empty text cache).
 */
function labEngineWithFreshTextCache(images: ClipEngine, texts: ClipEngine): LabEngine {
  return {
    scoring: texts.scoring,
    heads: texts.heads,
    imageFeatures: (hashes, source) => images.imageFeatures(hashes, source),
    embedTexts: (prompts) => texts.embedTexts(prompts),
    classVectors: (classPrompts) => texts.classVectors(classPrompts),
    embeddingDim: () => texts.embeddingDim(),
  };
}

function summaryOf(config: GridConfigResult | undefined): GridConfigSummary & { chosen: string[] } {
  if (!config) throw new Error('the grid search reported no such configuration');
  return { templates: config.templates.length, accuracy: config.accuracy, cvAccuracy: config.cvAccuracy, chosen: config.templates };
}

export async function benchGridEngine(
  clip: LoadedClip,
  items: readonly LabelledItem[],
  { labels, templates, maxFolds, seed, reps }: GridArgs & { maxFolds: number; seed: number; reps: number },
): Promise<GridEngineRuns> {
  const images = new ClipEngine(clip, false);
  const embedStarted = now();
  await embedAll(images, items, labels[0] ?? 'a shape');
  const embedImagesMs = now() - embedStarted;
  const visionRunsBefore = images.currentStats().visionRuns;

  const ms: number[] = [];
  const embedPromptsMs: number[] = [];
  const searchMs: number[] = [];
  const perCall: GridEngineRuns['perCall'] = [];
  let result: GridSearchResult | null = null;
  for (let rep = 0; rep < reps; rep++) {
    const texts = new ClipEngine(clip, false);
    const engine = labEngineWithFreshTextCache(images, texts);
    let reply: GridSearchResult | null = null;
    let searchStarted: number | null = null;
    const post = (event: LabEvent) => {
      if (event.type === 'labGridResult') reply = event.result;
      // The command's own progress marks the end of prompt embedding and the start of the search.
      if (event.type === 'labProgress' && event.stage === 'Searching templates' && event.done === 0) searchStarted = now();
    };
    const request = {
      type: 'labGridSearch' as const,
      requestId: rep,
      labels,
      alternatives: labels.map((label) => [label]),
      templates,
      items: items.map((item) => ({ itemId: item.itemId, contentHash: item.contentHash, truth: item.truth })),
      maxFolds,
      seed,
      audio: null,
      // embedAll ranks on the exact path.
      imageEmbedding: { resizeMode: 'exact' as const },
    };
    const started = now();
    await runGridSearch(engine, request, { isCancelled: () => false, post });
    const ended = now();
    ms.push(ended - started);
    if (searchStarted === null) throw new Error('runGridSearch reported no search stage');
    embedPromptsMs.push((searchStarted as number) - started);
    searchMs.push(ended - (searchStarted as number));
    if (!reply) throw new Error('runGridSearch posted no result');
    result = reply;
    const textStats = texts.currentStats();
    perCall.push({ textsEmbedded: textStats.textsEmbedded, textRuns: textStats.textRuns, visionRuns: images.currentStats().visionRuns - visionRunsBefore });
  }
  if (!result) throw new Error('no repetitions');
  const { configs } = result as GridSearchResult;
  const singles = configs.filter((config) => config.kind === 'single');
  if (singles.length !== templates.length) throw new Error(`${singles.length} single-template results for ${templates.length} templates`);
  const singleAt = singles.map((config, index) => {
    if (config.templates.length !== 1 || config.templates[0] !== templates[index]) throw new Error(`single result ${index} is not template ${index}`);
    return config;
  });
  const ensemble = summaryOf(configs.find((config) => config.kind === 'ensemble'));
  return {
    embedImagesMs,
    imagesEmbedded: images.currentStats().imagesEmbedded,
    ms,
    embedPromptsMs,
    searchMs,
    perCall,
    singleAccuracies: singleAt.map((config) => config.accuracy),
    singleCvAccuracies: singleAt.map((config) => config.cvAccuracy),
    ensemble: { templates: ensemble.templates, accuracy: ensemble.accuracy, cvAccuracy: ensemble.cvAccuracy },
    greedy: summaryOf(configs.find((config) => config.kind === 'greedy')),
    bestSingle: summaryOf(configs.find((config) => config.kind === 'best-single')),
    folds: (result as GridSearchResult).folds,
    evaluated: (result as GridSearchResult).evaluated,
  };
}

interface LabelScore {
  label: string;
  score: number;
}

/** The pipeline's output for a list of images: per image, every label with its score, best first. */
function rowsOf(output: unknown, images: number): LabelScore[][] {
  if (!Array.isArray(output) || output.length !== images) throw new Error('the pipeline returned the wrong number of results');
  return output.map((row: unknown) => {
    if (!Array.isArray(row)) throw new Error('a pipeline result is not a list of labels');
    return row.map((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null || !('label' in entry) || !('score' in entry)) throw new Error('a pipeline label has no label or score');
      const { label, score } = entry;
      if (typeof label !== 'string' || typeof score !== 'number') throw new Error('a pipeline label has the wrong types');
      return { label, score };
    });
  });
}

export async function benchGridPipeline(
  pipe: ZeroShotImageClassificationPipeline,
  items: readonly LabelledItem[],
  { labels, templates, warmup }: GridArgs & { warmup: boolean },
): Promise<GridPipelineRuns> {
  const images = items.map((item) => item.image);
  const first = templates[0];
  if (first === undefined) throw new Error('no templates');
  let warmupMs = 0;
  if (warmup) {
    const warmStarted = now();
    rowsOf(await pipe(images, labels, { hypothesis_template: first }), images.length);
    warmupMs = now() - warmStarted;
  }

  const ms: number[] = [];
  const predictions: number[][] = [];
  const exactTies: number[] = [];
  for (const template of templates) {
    const started = now();
    const output = await pipe(images, labels, { hypothesis_template: template });
    ms.push(now() - started);
    // Reading the outputs is not part of the pipeline's time (the engine's accuracies are computed inside its call).
    const rows = rowsOf(output, images.length);
    predictions.push(rows.map((row) => labels.indexOf(row[0]?.label ?? '')));
    exactTies.push(rows.filter((row) => row.length > 1 && row[0]?.score === row[1]?.score).length);
  }
  return { warmupMs, ms, predictions, exactTies };
}
