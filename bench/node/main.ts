/**
 * `npm run bench`: starts a Vite server for bench/browser/, opens it in headless Chromium, runs the
 * image measurements (three per CLIP model) and the audio ones (Whisper: batched label scoring and
 * browser vs native; CLAP: re-rank after a label edit; see audio.ts), and prints a JSON object and
 * a Markdown table (also written to bench/results.json and bench/results.md; a run of one part
 * keeps the other part's previous results, and audio figures not run keep theirs). Every figure is
 * a ratio against a baseline measured in the same run. Benchmarks, not tests: nothing here asserts
 * on a timing.
 *
 * Options: --only=<list>          comma-separated: images, audio, or single figures/models:
 *                                 shapes, vitb32 (images); whisper-words, whisper-tiny, clap (audio)
 *          --model=<id>           images only: any other model served under /models/ (e.g. bench/<folder>
 *                                 for bench/.models/<folder>) with both towers and onnx/model.onnx
 *          --only=scale           the built app with 1,000 images, virtualised grid on and off (scale.ts);
 *                                 part of a full run too
 *          --only=fewshot         the few-shot maths in Node: logistic regression against scikit-learn,
 *                                 the learning curve (fewShotBench.ts); part of a full run too
 *          --only=grid            the prompt lab's grid search (80 templates × 10 classes, 200 cached images)
 *                                 against the pipeline run once per template (grid.ts); part of a full run too
 *          --only=q8              q8 in Chromium WASM vs fp32 onnxruntime-node, threads, kernel probe, q8/fp32 agreement
 *                                 on the held-out shapes (q8.ts); part of a full run too
 *          --only=startup         time to the first result, the built app against a bare transformers.js page,
 *                                 fresh profile and second load (startup.ts); part of a full run too
 *          --only=preprocess      where an image's time goes (decode, resize/crop/normalise, vision run, store), app vs
 *                                 session.run per image, exact vs native resize on the held-out shapes (preprocess.ts)
 *          --only=soak            the built app with 5,000 images in one workspace, label edits, a grid search and a
 *                                 few-shot head, twice in one page: heap, worker and IndexedDB memory (soak.ts)
 *          --only=live            live mode in the built app with fake camera/microphone against the model alone
 *                                 (live.ts; or one figure: live-shapes, live-vitb32, live-whisper); part of a full run too
 *          --only=builtin-dtype   page open → ready for both built-in models with fp32 and q8 weights (WASM, fresh
 *                                 browser context per load, the app's "Weights" setting; builtinDtype.ts); part of a full run too
 *          --dist=<dir>           scale, soak, live and builtin-dtype: serve this existing build instead of building into bench/.scale-dist
 *                                 (bench/.soak-dist, bench/.live-dist)
 *          --quick                fewer repetitions, CLAP pipeline on 5 clips scaled to 50, grid baseline on
 *                                 10 templates scaled to 80 (a smoke run;
 *                                 results files are still written)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { DEFAULT_TEMPLATE } from '../../src/lib/labels';
import type { WorkerStats } from '../../src/lib/workerReports';
import type { BrowserEnvInfo, EngineLoadInfo, RerankResult, ThroughputResult } from '../shared/protocol';
import { call, freshWorker, log } from './pageCalls';
import { modelDir, repoRoot } from './paths';
import { median } from '../shared/random';
import { nativeVisionThroughput, type NativeThroughput } from './native';
import { BENCH_MODELS_URL_PREFIX, startBenchServer } from './server';
import { renderMarkdown } from './report';
import { AUDIO_KEYS, benchAudio, mergeAudioResults, type AudioKey, type AudioResults } from './audio';
import { benchScale, type ScaleRun } from './scale';
import { benchFewShot, type FewShotRun } from './fewShotBench';
import { benchGrid, type GridResult } from './grid';
import { benchQ8, type Q8Result } from './q8';
import { benchStartup, type StartupRun } from './startup';
import { benchPreprocess, type PreprocessResult } from './preprocess';
import { benchSoak, type SoakRun } from './soak';
import { LIVE_KEYS, benchLive, type LiveRun } from './live';
import { benchMachine, type BenchMachine } from './machine';
import { benchBuiltinDtype, type BuiltinDtypeRun } from './builtinDtype';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',')
  .map((key) => key.trim())
  .filter(Boolean);
const customModel = args.find((arg) => arg.startsWith('--model='))?.slice('--model='.length);
const scaleDist = args.find((arg) => arg.startsWith('--dist='))?.slice('--dist='.length);

const IMAGE_SIDE_PX = 256;
const IMAGE_SEED = 42;
const RERANK_ITEMS = 100;
const BATCHED_ITEMS = 32;
const THROUGHPUT_BATCH = 8;
const LABELS_A = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross'];
const SINGLE_LABEL = 'red circle';

interface ModelSpec {
  key: string;
  title: string;
  /** Tower pair loaded by the app's loadClip / ClipEngine. */
  engineModelId: string;
  /** Same weights with a combined onnx/model.onnx, for transformers.js's pipeline(). */
  pipelineModelId: string;
  /** Untimed full-size calls before the timed ones, and timed repetitions, of the slow baselines. */
  pipelineReps: number;
}

const MODELS: ModelSpec[] = [
  { key: 'shapes', title: 'clip-shapes (built-in)', engineModelId: 'builtin/clip-shapes', pipelineModelId: 'bench/clip-shapes-full', pipelineReps: 3 },
  { key: 'vitb32', title: 'ViT-B/32-sized, random weights', engineModelId: 'bench/clip-vitb32-random', pipelineModelId: 'bench/clip-vitb32-random', pipelineReps: 2 },
];

const REQUIRED_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
function missingFiles(spec: ModelSpec): string[] {
  const wanted = [
    ...REQUIRED_FILES.map((file) => join(modelDir(spec.engineModelId), file)),
    join(modelDir(spec.engineModelId), 'onnx/text_model.onnx'),
    join(modelDir(spec.engineModelId), 'onnx/vision_model.onnx'),
    ...REQUIRED_FILES.map((file) => join(modelDir(spec.pipelineModelId), file)),
    join(modelDir(spec.pipelineModelId), 'onnx/model.onnx'),
  ];
  return [...new Set(wanted)].filter((path) => !existsSync(path)).map((path) => path.slice(repoRoot.length + 1));
}

function statsDelta(after: WorkerStats, before: WorkerStats): Pick<WorkerStats, 'visionRuns' | 'imagesEmbedded' | 'textRuns' | 'textsEmbedded'> {
  return {
    visionRuns: after.visionRuns - before.visionRuns,
    imagesEmbedded: after.imagesEmbedded - before.imagesEmbedded,
    textRuns: after.textRuns - before.textRuns,
    textsEmbedded: after.textsEmbedded - before.textsEmbedded,
  };
}

export interface ModelResult {
  key: string;
  title: string;
  engineModelId: string;
  pipelineModelId: string;
  engineLoad: EngineLoadInfo;
  pipelineLoad: { loadMs: number; warmupMs: number };
  rerank: {
    images: number;
    labelsA: string[];
    labelsB: string[];
    firstEmbedMs: number;
    engineMs: number[];
    engineMedianMs: number;
    engineStatsPerRerank: ReturnType<typeof statsDelta>[];
    pipelineWarmupMs: number;
    pipelineMs: number[];
    pipelineMedianMs: number;
    speedup: number;
  };
  throughput: {
    batch: number;
    inputDims: number[];
    browser: ThroughputResult & { median: number };
    native: NativeThroughput & { median: number };
    ratio: number;
  };
  batched: {
    images: number;
    engineWarmupMs: number;
    engineMs: number[];
    engineMedianMs: number;
    engineStats: ReturnType<typeof statsDelta>;
    pipelineWarmupMs: number;
    pipelineMs: number[];
    pipelineMedianMs: number;
    speedup: number;
  };
}

async function benchModel(page: Page, spec: ModelSpec): Promise<ModelResult> {
  const reps = quick ? 2 : 5;
  const batchedReps = quick ? 1 : 3;
  const pipelineReps = quick ? 1 : spec.pipelineReps;
  const template = DEFAULT_TEMPLATE;

  // Phase 1: the app's engine (a fresh worker, hence a fresh WASM heap).
  log(`${spec.title}: ClipEngine on ${spec.engineModelId}`);
  await freshWorker(page);
  await call(page, 'makeImages', { count: RERANK_ITEMS, side: IMAGE_SIDE_PX, seed: IMAGE_SEED });
  const engineLoad = await call(page, 'loadEngine', { modelId: spec.engineModelId });
  const rerank: RerankResult = await call(page, 'rerank', { items: RERANK_ITEMS, labelsA: LABELS_A, template, reps });
  // The first repetition is a warm-up (first batch of 8 after the 1-image warm-up of loadClip); not counted.
  const batchedRuns = await call(page, 'engineBatched', { items: BATCHED_ITEMS, label: SINGLE_LABEL, template, reps: batchedReps + 1 });

  // Phase 2: the transformers.js pipeline baseline, on the same pictures (same seed), in a fresh worker.
  log(`${spec.title}: pipeline('zero-shot-image-classification') on ${spec.pipelineModelId}`);
  await freshWorker(page);
  await call(page, 'makeImages', { count: RERANK_ITEMS, side: IMAGE_SIDE_PX, seed: IMAGE_SEED });
  const pipelineLoad = await call(page, 'loadPipeline', { modelId: spec.pipelineModelId });
  // One untimed identical call first, so the baseline gets the same warm start as the engine.
  const pipelineAll = await call(page, 'pipelineAll', { items: RERANK_ITEMS, labels: rerank.labelsB, template, reps: pipelineReps + 1 });
  const oneByOne = await call(page, 'pipelineOneByOne', { items: BATCHED_ITEMS, label: SINGLE_LABEL, template, reps: batchedReps + 1 });

  // Phase 3: raw vision-tower throughput, browser WASM then onnxruntime-node, same file / shape / threads.
  log(`${spec.title}: vision tower throughput`);
  await freshWorker(page);
  const minSeconds = quick ? 1 : 2;
  const throughputReps = quick ? 2 : 3;
  const browser = await call(page, 'visionThroughput', {
    modelId: spec.engineModelId,
    batch: THROUGHPUT_BATCH,
    minSeconds,
    reps: throughputReps,
    warmupRuns: 2,
  });
  await freshWorker(page); // releases the browser's threads before the native run
  const nativeStarted = performance.now();
  const native = await nativeVisionThroughput({
    modelPath: join(modelDir(spec.engineModelId), 'onnx/vision_model.onnx'),
    inputDims: browser.inputDims,
    threads: browser.ortNumThreads,
    minSeconds,
    reps: throughputReps,
    warmupRuns: 2,
  });
  log(`  native done in ${((performance.now() - nativeStarted) / 1000).toFixed(1)} s`);

  const last = rerank.statsAfterEachRerank;
  const engineStatsPerRerank = last.map((stats, index) => statsDelta(stats, index === 0 ? rerank.statsAfterFirst : (last[index - 1] as WorkerStats)));
  const engineMedianMs = median(rerank.rerankMs);
  const pipelineTimed = pipelineAll.ms.slice(1);
  const pipelineMedianMs = median(pipelineTimed);
  const browserMedian = median(browser.imagesPerSecond);
  const nativeMedian = median(native.imagesPerSecond);
  const batchedTimed = batchedRuns.ms.slice(1);
  const oneByOneTimed = oneByOne.ms.slice(1);
  const zero: WorkerStats = { imagesEmbedded: 0, imagesFromStorage: 0, storedEmbeddingsSkipped: 0, visionRuns: 0, textsEmbedded: 0, textRuns: 0, imageCacheSize: 0, textCacheSize: 0, liveFrames: 0 };

  return {
    key: spec.key,
    title: spec.title,
    engineModelId: spec.engineModelId,
    pipelineModelId: spec.pipelineModelId,
    engineLoad,
    pipelineLoad,
    rerank: {
      images: RERANK_ITEMS,
      labelsA: LABELS_A,
      labelsB: rerank.labelsB,
      firstEmbedMs: rerank.firstEmbedMs,
      engineMs: rerank.rerankMs,
      engineMedianMs,
      engineStatsPerRerank,
      pipelineWarmupMs: pipelineAll.ms[0] as number,
      pipelineMs: pipelineTimed,
      pipelineMedianMs,
      speedup: pipelineMedianMs / engineMedianMs,
    },
    throughput: {
      batch: THROUGHPUT_BATCH,
      inputDims: browser.inputDims,
      browser: { ...browser, median: browserMedian },
      native: { ...native, median: nativeMedian },
      ratio: browserMedian / nativeMedian,
    },
    batched: {
      images: BATCHED_ITEMS,
      engineWarmupMs: batchedRuns.ms[0] as number,
      engineMs: batchedTimed,
      engineMedianMs: median(batchedTimed),
      engineStats: statsDelta(batchedRuns.stats[batchedRuns.stats.length - 1] ?? zero, zero),
      pipelineWarmupMs: oneByOne.ms[0] as number,
      pipelineMs: oneByOneTimed,
      pipelineMedianMs: median(oneByOneTimed),
      speedup: median(oneByOneTimed) / median(batchedTimed),
    },
  };
}

/**
 * When and where a part (images or audio) was last measured: each part keeps its own, as they may
 * come from different runs (each audio figure also records its own time and load, see audio.ts).
 */
export interface RunInfo {
  generatedAt: string;
  quick: boolean;
  machine: BenchMachine;
  browser: BrowserEnvInfo & { pageCrossOriginIsolated: boolean };
}

export interface ImageRun extends RunInfo {
  models: ModelResult[];
  skipped: Array<{ key: string; missing: string[] }>;
}

export type AudioRun = RunInfo & AudioResults;

export type GridRun = RunInfo & GridResult;

export type Q8Run = RunInfo & Q8Result;
export type PreprocessRun = RunInfo & PreprocessResult;

/** bench/results.json. */
export interface BenchResults {
  images: ImageRun | null;
  audio: AudioRun | null;
  scale: ScaleRun | null;
  fewshot: FewShotRun | null;
  grid: GridRun | null;
  q8: Q8Run | null;
  startup: StartupRun | null;
  preprocess: PreprocessRun | null;
  soak: SoakRun | null;
  live: LiveRun | null;
  builtinDtype: BuiltinDtypeRun | null;
}

const RESULTS_JSON = join(repoRoot, 'bench/results.json');

/** The previous results, so a run of one part keeps the other's (the file of older runs held the image part only, at top level). */
function previousResults(): BenchResults {
  const empty: BenchResults = { images: null, audio: null, scale: null, fewshot: null, grid: null, q8: null, startup: null, preprocess: null, soak: null, live: null, builtinDtype: null };
  if (!existsSync(RESULTS_JSON)) return empty;
  try {
    const parsed = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as Partial<BenchResults> & Partial<ImageRun>;
    if (Array.isArray(parsed.models)) return { ...empty, images: parsed as ImageRun };
    return {
      images: parsed.images ?? null,
      audio: parsed.audio ?? null,
      scale: parsed.scale ?? null,
      fewshot: parsed.fewshot ?? null,
      grid: parsed.grid ?? null,
      q8: parsed.q8 ?? null,
      startup: parsed.startup ?? null,
      preprocess: parsed.preprocess ?? null,
      soak: parsed.soak ?? null,
      live: parsed.live ?? null,
      builtinDtype: parsed.builtinDtype ?? null,
    };
  } catch (error) {
    log(`ignoring unreadable ${RESULTS_JSON}: ${error instanceof Error ? error.message : String(error)}`);
    return empty;
  }
}

const VALID_ONLY = ['images', 'audio', 'scale', 'fewshot', 'grid', 'q8', 'startup', 'preprocess', 'soak', 'live', 'builtin-dtype', ...LIVE_KEYS, ...MODELS.map((spec) => spec.key), ...AUDIO_KEYS];

function writeResults(results: BenchResults): void {
  const markdown = renderMarkdown(results);
  writeFileSync(RESULTS_JSON, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(repoRoot, 'bench/results.md'), markdown);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n${markdown}`);
}

async function main(): Promise<void> {
  const unknown = (only ?? []).filter((key) => !VALID_ONLY.includes(key));
  if (unknown.length > 0) throw new Error(`Unknown --only value ${unknown.join(', ')}; use a comma-separated list of ${VALID_ONLY.join(', ')}.`);
  const wants = (key: string, part: 'images' | 'audio') => !only || only.includes(part) || only.includes(key);
  const selected = customModel
    ? [{ key: customModel, title: customModel, engineModelId: customModel, pipelineModelId: customModel, pipelineReps: 2 }]
    : MODELS.filter((spec) => wants(spec.key, 'images'));
  const audioKeys: AudioKey[] = customModel ? [] : AUDIO_KEYS.filter((key) => wants(key, 'audio'));
  const wantsScale = !customModel && (!only || only.includes('scale'));
  const wantsFewShot = !customModel && (!only || only.includes('fewshot'));
  const wantsQ8 = !customModel && (!only || only.includes('q8'));
  const wantsStartup = !customModel && (!only || only.includes('startup'));
  const wantsSoak = !customModel && (!only || only.includes('soak'));
  const wantsBuiltinDtype = !customModel && (!only || only.includes('builtin-dtype'));
  const liveKeys = customModel ? [] : LIVE_KEYS.filter((key) => !only || only.includes('live') || only.includes(key));
  // The grid bench runs the built-in model (engine) and its combined export (pipeline), as the shapes figures do.
  const gridModels = MODELS[0] as ModelSpec;
  const gridMissing = missingFiles(gridModels);
  const wantsGrid = !customModel && (!only || only.includes('grid')) && gridMissing.length === 0;
  if (!customModel && (!only || only.includes('grid')) && gridMissing.length > 0)
    log(`skipping grid: missing ${gridMissing.join(', ')} (run: /usr/bin/python3 tools/make_bench_models.py)`);
  const wantsPreprocess = !customModel && (!only || only.includes('preprocess'));
  const runnable = selected.filter((spec) => missingFiles(spec).length === 0);
  const skipped = selected.filter((spec) => missingFiles(spec).length > 0).map((spec) => ({ key: spec.key, missing: missingFiles(spec) }));
  for (const { key, missing } of skipped)
    log(`skipping ${key}: missing ${missing.join(', ')} (run: /usr/bin/python3 tools/make_bench_models.py)`);
  if (runnable.length === 0 && audioKeys.length === 0 && !wantsScale && !wantsFewShot && !wantsGrid && !wantsQ8 && !wantsStartup && !wantsPreprocess && !wantsSoak && !wantsBuiltinDtype && liveKeys.length === 0)
    throw new Error('No model to benchmark: every model has missing files.');

  const results = previousResults();
  if (wantsScale) {
    // Its own build, server and browser (the app as shipped, not the bench page).
    results.scale = await benchScale({ dist: scaleDist });
  }
  if (wantsStartup) {
    // Its own builds, server and one browser launch per load (fresh profiles).
    results.startup = await benchStartup({ quick });
  }
  if (wantsBuiltinDtype) {
    // Its own build, server and browser (the app as shipped; a new browser context per load).
    results.builtinDtype = await benchBuiltinDtype({ dist: scaleDist, quick });
  }
  if (wantsSoak) {
    // Its own build, server and browser, like scale (the app as shipped, one page for both runs).
    results.soak = await benchSoak({ dist: scaleDist, quick });
  }
  if (liveKeys.length > 0) {
    // Its own build and servers (the app as shipped, the bench page for the pure rates) and browsers (fake devices).
    const live = await benchLive({ dist: scaleDist, quick, keys: liveKeys });
    // A run of one live figure keeps the others' previous readings.
    const kept = (results.live?.figures ?? []).filter((figure) => !liveKeys.includes(figure.key));
    results.live = { ...live, figures: [...live.figures, ...kept].sort((a, b) => LIVE_KEYS.indexOf(a.key) - LIVE_KEYS.indexOf(b.key)) };
  }
  if (wantsFewShot) {
    // Plain TypeScript in this process (and scikit-learn in a child); no browser.
    results.fewshot = await benchFewShot({ quick });
  }
  if (runnable.length === 0 && audioKeys.length === 0 && !wantsGrid && !wantsQ8 && !wantsPreprocess) {
    writeResults(results);
    return;
  }

  // Playwright's pipe does not keep Node alive on its own while a page call is pending.
  const keepAlive = setInterval(() => {}, 60_000);
  const { server, origin } = await startBenchServer(repoRoot);
  log(`vite on ${origin} (bench models under ${BENCH_MODELS_URL_PREFIX})`);
  const browserApp = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browserApp.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') log(`  [page ${message.type()}] ${message.text().slice(0, 300)}`);
    });
    page.on('pageerror', (error) => log(`  [page error] ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) log(`  [http ${response.status()}] ${response.url()}`);
    });
    await page.goto(`${origin}/bench/browser/index.html`);
    await page.waitForFunction(() => document.title === 'bench ready');
    const pageCrossOriginIsolated = await page.evaluate(() => self.crossOriginIsolated);
    const browserEnv = await call(page, 'env', {});
    log(`page crossOriginIsolated=${pageCrossOriginIsolated}, worker crossOriginIsolated=${browserEnv.crossOriginIsolated}, threads=${browserEnv.configuredThreads}`);

    const runInfo = (loadavgAtStart: number[], generatedAt: string): RunInfo => ({
      generatedAt,
      quick,
      machine: benchMachine(loadavgAtStart),
      browser: { ...browserEnv, pageCrossOriginIsolated },
    });
    if (selected.length > 0) {
      const generatedAt = new Date().toISOString();
      const loadavgAtStart = loadavg();
      log(`images: load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
      const models: ModelResult[] = [];
      for (const spec of runnable) models.push(await benchModel(page, spec));
      results.images = { ...runInfo(loadavgAtStart, generatedAt), models, skipped };
      log(`images: load average at end ${results.images.machine.loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
    }
    if (wantsGrid) {
      const generatedAt = new Date().toISOString();
      const loadavgAtStart = loadavg();
      log(`grid: load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
      const grid = await benchGrid(page, gridModels, quick);
      results.grid = { ...runInfo(loadavgAtStart, generatedAt), ...grid };
      log(`grid: load average at end ${results.grid.machine.loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
    }
    if (wantsQ8) {
      const generatedAt = new Date().toISOString();
      const loadavgAtStart = loadavg();
      log(`q8: load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
      const q8 = await benchQ8(page, quick, browserEnv.configuredThreads);
      results.q8 = { ...runInfo(loadavgAtStart, generatedAt), ...q8 };
      log(`q8: load average at end ${results.q8.machine.loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
    }
    if (wantsPreprocess) {
      const generatedAt = new Date().toISOString();
      const loadavgAtStart = loadavg();
      log(`preprocess: load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
      const preprocess = await benchPreprocess(page, quick);
      results.preprocess = { ...runInfo(loadavgAtStart, generatedAt), ...preprocess };
      log(`preprocess: load average at end ${results.preprocess.machine.loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
    }
    if (audioKeys.length > 0) {
      const generatedAt = new Date().toISOString();
      const loadavgAtStart = loadavg();
      log(`audio: load average at start ${loadavgAtStart.map((v) => v.toFixed(2)).join(' ')}`);
      const audio = mergeAudioResults(results.audio, await benchAudio(page, audioKeys, quick), audioKeys);
      results.audio = { ...runInfo(loadavgAtStart, generatedAt), ...audio };
      log(`audio: load average at end ${results.audio.machine.loadavgAtEnd.map((v) => v.toFixed(2)).join(' ')}`);
    }

    writeResults(results);
  } finally {
    await browserApp.close();
    await server.close();
    clearInterval(keepAlive);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
