/**
 * `--only=preprocess`: where an image's time goes in the app's CLIP worker, per model, on the exact
 * (processor) and native (browser resize) paths; the app's time per image against ORT's pure
 * `session.run` per image at the same batch size in the same worker; and exact vs native on the
 * built-in model's held-out set (bench/.heldout/clip-shapes, tools/make_clip_shapes_heldout.py).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { HeldOutResult, PreprocessRuns, StageTimes } from '../shared/protocol';
import { median } from '../shared/random';
import type { PreprocessRun } from './main';
import { call, freshWorker, log } from './pageCalls';
import { modelDir, repoRoot } from './paths';

const IMAGE_SIDE_PX = 256;
const IMAGE_SEED = 42;
/** The template tools/train_clip_shapes.py evaluated the held-out set with (tools/clip_shapes_metrics.json). */
const HELD_OUT_TEMPLATE = 'a photo of a {}.';
const HELD_OUT_DIR = 'bench/.heldout/clip-shapes';

const PREPROCESS_MODELS = [
  // 32 pictures = 4 batches of 8; at ViT-B/32 size 16 (2 batches: the second's decode overlaps the first's run) keep the run within minutes.
  { key: 'shapes', title: 'clip-shapes (built-in)', modelId: 'builtin/clip-shapes', heldOut: true, images: 32, stageReps: 3 },
  { key: 'vitb32', title: 'ViT-B/32-sized, random weights', modelId: 'bench/clip-vitb32-random', heldOut: false, images: 16, stageReps: 1 },
] as const;

const STAGES: ReadonlyArray<[keyof StageTimes, string]> = [
  ['hashMs', 'hash (SHA-256, crypto.subtle; on the page in the app)'],
  ['decodeMs', 'decode (createImageBitmap + OffscreenCanvas)'],
  ['preprocessMs', 'resize / crop / normalise to the batch tensor'],
  ['visionMs', 'vision model (transformers.js call)'],
  ['sessionRunMs', '… of which ORT session.run'],
  ['storeMs', 'store (unit rows + IndexedDB write, awaited)'],
];

export interface PreprocessModelResult {
  key: string;
  title: string;
  modelId: string;
  runs: PreprocessRuns;
  /** Median ms per image of each stage. */
  perImage: { exact: StageTimes; native: StageTimes | null };
  appMsPerImage: { exact: number; native: number | null };
  sessionRunMsPerImage: number;
  /** App time per image / session.run per image (target at ViT-B/32 size: ≤ 1.15). */
  overhead: { exact: number; native: number | null };
  heldOut: HeldOutResult | null;
}

export interface PreprocessResult {
  imageSidePx: number;
  models: PreprocessModelResult[];
  skipped: Array<{ key: string; reason: string }>;
}

function medianStages(runs: readonly StageTimes[], images: number): StageTimes {
  const keys = STAGES.map(([key]) => key);
  return Object.fromEntries(keys.map((key) => [key, median(runs.map((run) => run[key])) / images])) as unknown as StageTimes;
}

export async function benchPreprocess(page: Page, quick: boolean): Promise<PreprocessResult> {
  const models: PreprocessModelResult[] = [];
  const skipped: PreprocessResult['skipped'] = [];
  for (const spec of PREPROCESS_MODELS) {
    if (!existsSync(join(modelDir(spec.modelId), 'onnx/vision_model.onnx'))) {
      skipped.push({ key: spec.key, reason: `no ${spec.modelId} (run: /usr/bin/python3 tools/make_bench_models.py)` });
      continue;
    }
    log(`preprocess: ${spec.title}`);
    await freshWorker(page);
    await call(page, 'makeImages', { count: spec.images, side: IMAGE_SIDE_PX, seed: IMAGE_SEED });
    await call(page, 'loadEngine', { modelId: spec.modelId });
    const reps = quick ? 2 : 5;
    const runs = await call(page, 'preprocessRuns', { items: spec.images, reps, stageReps: Math.min(reps, quick ? 1 : spec.stageReps), prompt: 'a photo of a red circle.' });
    let heldOut: HeldOutResult | null = null;
    if (spec.heldOut && runs.nativePlan) {
      if (existsSync(join(repoRoot, HELD_OUT_DIR, 'labels.json'))) {
        heldOut = await call(page, 'heldOutComparison', { url: `/${HELD_OUT_DIR}`, template: HELD_OUT_TEMPLATE, limit: 100_000 });
      } else skipped.push({ key: `${spec.key}-heldout`, reason: `no ${HELD_OUT_DIR} (run: /usr/bin/python3 tools/make_clip_shapes_heldout.py)` });
    }
    const images = runs.images;
    const appExact = median(runs.appMs.exact) / images;
    const appNative = runs.appMs.native.length > 0 ? median(runs.appMs.native) / images : null;
    const sessionRun = median(runs.sessionRunMs) / images;
    models.push({
      key: spec.key,
      title: spec.title,
      modelId: spec.modelId,
      runs,
      perImage: { exact: medianStages(runs.stages.exact, images), native: runs.stages.native.length > 0 ? medianStages(runs.stages.native, images) : null },
      appMsPerImage: { exact: appExact, native: appNative },
      sessionRunMsPerImage: sessionRun,
      overhead: { exact: appExact / sessionRun, native: appNative === null ? null : appNative / sessionRun },
      heldOut,
    });
  }
  return { imageSidePx: IMAGE_SIDE_PX, models, skipped };
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));
const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

export function renderPreprocess(result: PreprocessResult): string[] {
  const lines: string[] = [];
  for (const model of result.models) {
    const { exact, native } = model.perImage;
    lines.push(
      `#### ${model.title}: where an image's time goes (${model.runs.images} PNGs of ${result.imageSidePx} px, batches of ${model.runs.batch}, input ${model.runs.inputDims.join('×')})`,
      '',
      '| Stage (ms per image, median of the repetitions) | Exact (processor, default) | Native resize |',
      '|---|---|---|',
    );
    for (const [key, title] of STAGES) lines.push(`| ${title} | ${ms(exact[key])} | ${native ? ms(native[key]) : '—'} |`);
    const { appMsPerImage: app, sessionRunMsPerImage: run, overhead } = model;
    lines.push(
      `| **App: ClipEngine.classify, ms per image** (decode of batch n + 1 overlapping the run of batch n; no IndexedDB) | **${ms(app.exact)}** | **${app.native === null ? '—' : ms(app.native)}** |`,
      `| Pure session.run on the app's pixels, ms per image (same batches, same session) | ${ms(run)} | ${ms(run)} |`,
      `| **App / session.run** | **${overhead.exact.toFixed(3)}×** | **${overhead.native === null ? '—' : `${overhead.native.toFixed(3)}×`}** |`,
      '',
    );
    const held = model.heldOut;
    if (held) {
      lines.push(
        `Exact vs native on the held-out set (${held.images} pictures, ${held.classes} classes, template "${held.template}"): top-1 agreement **${percent(held.top1Agreement)}**, ` +
          `accuracy exact ${percent(held.accuracyExact)} / native ${percent(held.accuracyNative)}, max |Δ prob| ${held.maxAbsProbDelta.toExponential(2)} ` +
          `(mean ${held.meanAbsProbDelta.toExponential(2)}; at the exact top label ${held.maxAbsTopProbDelta.toExponential(2)}); ` +
          `embedding all of them ${(held.msExact / 1000).toFixed(1)} s exact, ${(held.msNative / 1000).toFixed(1)} s native.`,
        '',
      );
    }
  }
  for (const { key, reason } of result.skipped) lines.push(`Skipped ${key}: ${reason}.`, '');
  return lines;
}

export function renderPreprocessRun(run: PreprocessRun): string[] {
  return [
    ...renderPreprocess(run),
    `${run.generatedAt.slice(0, 16).replace('T', ' ')} UTC; ${run.quick ? 'quick run: 2 repetitions of app vs session.run, 1 stage pass' : 'medians of 5 repetitions of app vs session.run, 3 (built-in) or 1 (ViT-B/32) stage passes'}, after an untimed batch; ` +
      `the same bench worker and session for the app and its session.run baseline (interleaved per repetition); WASM, fp32, ${run.browser.configuredThreads} threads; ` +
      `${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end.`,
  ];
}
