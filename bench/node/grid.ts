/**
 * `--only=grid`: benchmark 1 of the prompt lab. The lab's grid search (80 CLIP ImageNet templates ×
 * 10 classes on 200 already-embedded images: every single template, the full ensemble, greedy
 * selection, each cross-validated) against the same per-template evaluation through
 * transformers.js's zero-shot-image-classification pipeline, one call per template. The browser
 * side is bench/browser/gridBench.ts.
 */
import type { Page } from 'playwright-core';
import { TEMPLATE_LIBRARY } from '../../src/lib/templateLibrary';
import { LAB_MAX_FOLDS, LAB_SEED } from '../../src/features/lab/client/labController';
import type { ShapeClass } from '../browser/images';
import type { GridEngineRuns } from '../shared/protocol';
import { median } from '../shared/random';
import { call, freshWorker, log } from './pageCalls';

const GRID_IMAGES = 200;
const GRID_IMAGE_SIDE_PX = 256;
const GRID_IMAGE_SEED = 7;
/** Ten colour + shape classes the built-in model was trained on (each colour and each shape twice). */
const GRID_CLASSES: ShapeClass[] = [
  { colour: 'red', shape: 'circle' },
  { colour: 'orange', shape: 'square' },
  { colour: 'yellow', shape: 'triangle' },
  { colour: 'green', shape: 'star' },
  { colour: 'blue', shape: 'cross' },
  { colour: 'purple', shape: 'circle' },
  { colour: 'red', shape: 'square' },
  { colour: 'orange', shape: 'triangle' },
  { colour: 'blue', shape: 'star' },
  { colour: 'green', shape: 'cross' },
];
/**
 * Smaller shapes than the other benches draw (radius 4–10 % of the side: 3–6 px once the model's
 * preprocessor has shrunk the picture to 64 px), so that the model gets some wrong and the templates'
 * accuracies differ: the two sides' accuracies are then a real check, not 100 % against 100 %.
 */
const GRID_RADIUS = { min: 0.04, spread: 0.06 };
const GRID_LABELS = GRID_CLASSES.map(({ colour, shape }) => `${colour} ${shape}`);
/** Templates per pipeline call of the runner (one pipeline run each); after each chunk the projected total is checked. */
const PIPELINE_CHUNK = 10;
/** A baseline projected to take longer than this over every template is cut at the current chunk and scaled linearly. */
const PIPELINE_BUDGET_MS = 6 * 60 * 1000;
const QUICK_PIPELINE_TEMPLATES = 10;

export interface GridResult {
  engineModelId: string;
  pipelineModelId: string;
  images: number;
  classes: number;
  labels: string[];
  templates: number;
  maxFolds: number;
  engine: GridEngineRuns & { medianMs: number; embedImagesMs: number };
  pipeline: {
    warmupMs: number;
    /** Templates actually run through the pipeline (the first ones, in library order). */
    templatesRun: number;
    ms: number[];
    msRun: number;
    /** msRun × templates / templatesRun (equal to msRun when every template ran). */
    msAllTemplates: number;
    scaled: boolean;
    accuracies: number[];
    exactTies: number;
  };
  agreement: {
    /** Largest |pipeline accuracy − grid accuracy| over the templates the pipeline ran. */
    maxAccuracyDifference: number;
    templatesDiffering: number;
    compared: number;
  };
  /** Pipeline time over every template / the grid search's median time. */
  speedup: number;
}

export async function benchGrid(page: Page, models: { engineModelId: string; pipelineModelId: string }, quick: boolean): Promise<GridResult> {
  const templates = TEMPLATE_LIBRARY.imagenet80;
  const labels = GRID_LABELS;
  const images = { count: GRID_IMAGES, side: GRID_IMAGE_SIDE_PX, seed: GRID_IMAGE_SEED, classes: GRID_CLASSES, radius: GRID_RADIUS };

  // Phase 1: the app's grid search, in a fresh worker.
  log(`grid: runGridSearch on ${models.engineModelId}, ${templates.length} templates × ${labels.length} classes, ${GRID_IMAGES} images`);
  await freshWorker(page);
  const made = await call(page, 'makeLabelledImages', images);
  await call(page, 'loadEngine', { modelId: models.engineModelId });
  const reps = quick ? 1 : 3;
  // One more call than timed: the first is a warm-up.
  const engine = await call(page, 'gridEngine', { labels, templates, maxFolds: LAB_MAX_FOLDS, seed: LAB_SEED, reps: reps + 1 });
  const engineMedianMs = median(engine.ms.slice(1));

  // Phase 2: the pipeline, one call per template, in a fresh worker on the same pictures.
  log(`grid: pipeline('zero-shot-image-classification') on ${models.pipelineModelId}, one call per template`);
  await freshWorker(page);
  await call(page, 'makeLabelledImages', images);
  await call(page, 'loadPipeline', { modelId: models.pipelineModelId });
  const limit = quick ? QUICK_PIPELINE_TEMPLATES : templates.length;
  const ms: number[] = [];
  const predictions: number[][] = [];
  let exactTies = 0;
  let warmupMs = 0;
  for (let start = 0; start < limit; start += PIPELINE_CHUNK) {
    const chunk = templates.slice(start, Math.min(limit, start + PIPELINE_CHUNK));
    const runs = await call(page, 'gridPipeline', { labels, templates: chunk, warmup: start === 0 });
    if (start === 0) warmupMs = runs.warmupMs;
    ms.push(...runs.ms);
    predictions.push(...runs.predictions);
    exactTies += runs.exactTies.reduce((sum, n) => sum + n, 0);
    const sum = ms.reduce((a, b) => a + b, 0);
    const projected = (sum * templates.length) / ms.length;
    log(`  pipeline: ${ms.length} templates in ${(sum / 1000).toFixed(1)} s (projected over ${templates.length}: ${(projected / 1000).toFixed(0)} s)`);
    if (ms.length < templates.length && projected > PIPELINE_BUDGET_MS) {
      log(`  pipeline: projected over ${PIPELINE_BUDGET_MS / 60000} min, stopping at ${ms.length} templates and scaling linearly`);
      break;
    }
  }

  const truth = made.truth;
  const accuracies = predictions.map((predicted) => predicted.filter((label, index) => label === truth[index]).length / truth.length);
  const differences = accuracies.map((accuracy, t) => Math.abs(accuracy - (engine.singleAccuracies[t] as number)));
  const msRun = ms.reduce((a, b) => a + b, 0);
  const msAllTemplates = (msRun * templates.length) / ms.length;
  return {
    engineModelId: models.engineModelId,
    pipelineModelId: models.pipelineModelId,
    images: made.count,
    classes: labels.length,
    labels,
    templates: templates.length,
    maxFolds: LAB_MAX_FOLDS,
    engine: { ...engine, medianMs: engineMedianMs },
    pipeline: { warmupMs, templatesRun: ms.length, ms, msRun, msAllTemplates, scaled: ms.length < templates.length, accuracies, exactTies },
    agreement: {
      maxAccuracyDifference: Math.max(...differences),
      templatesDiffering: differences.filter((difference) => difference > 0).length,
      compared: differences.length,
    },
    speedup: msAllTemplates / engineMedianMs,
  };
}
