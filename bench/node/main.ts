/**
 * `npm run bench`: starts a Vite server for bench/browser/, opens it in headless Chromium, runs the
 * three measurements on each model, and prints a JSON object and a Markdown table (also written to
 * bench/results.json and bench/results.md). Every figure is a ratio against a baseline measured in
 * the same run. Benchmarks, not tests: nothing here asserts on a timing.
 *
 * Options: --only=shapes|vitb32   one model only
 *          --model=<id>           any other model served under /models/ (e.g. bench/<folder> for
 *                                 bench/.models/<folder>) with both towers and onnx/model.onnx
 *          --quick                fewer repetitions (a smoke run; results files are still written)
 */
import { existsSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { DEFAULT_TEMPLATE } from '../../src/lib/labels';
import type { WorkerStats } from '../../src/features/clip/shared/protocol';
import type { BenchCommand, BenchCommandMap, BrowserEnvInfo, EngineLoadInfo, RerankResult, ThroughputResult } from '../shared/protocol';
import { median } from '../shared/random';
import { nativeVisionThroughput, type NativeThroughput } from './native';
import { BENCH_MODELS_URL_PREFIX, startBenchServer } from './server';
import { renderMarkdown } from './report';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const customModel = args.find((arg) => arg.startsWith('--model='))?.slice('--model='.length);

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

/** Where a model id served under /models/ lives on disk. */
function modelDir(modelId: string): string {
  return modelId.startsWith('bench/')
    ? join(repoRoot, 'bench/.models', modelId.slice('bench/'.length))
    : join(repoRoot, 'public/models', modelId);
}

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

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A hung worker must fail the run loudly rather than leave it waiting forever. */
const CALL_TIMEOUT_MS = 20 * 60 * 1000;

async function call<C extends BenchCommand>(page: Page, command: C, commandArgs: BenchCommandMap[C]['args']): Promise<BenchCommandMap[C]['result']> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${command} did not finish within ${CALL_TIMEOUT_MS / 60000} min`)), CALL_TIMEOUT_MS);
  });
  const evaluation = page.evaluate(
    ([name, payload]) => (globalThis as unknown as { zspBench: { call: (c: string, a: unknown) => Promise<unknown> } }).zspBench.call(name, payload),
    [command, commandArgs] as const,
  );
  const result = (await Promise.race([evaluation, timeout]).finally(() => clearTimeout(timer))) as BenchCommandMap[C]['result'];
  log(`  ${command} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function freshWorker(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { zspBench: { freshWorker: () => void } }).zspBench.freshWorker());
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
  const zero: WorkerStats = { imagesEmbedded: 0, visionRuns: 0, textsEmbedded: 0, textRuns: 0, imageCacheSize: 0, textCacheSize: 0 };

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

export interface BenchResults {
  generatedAt: string;
  quick: boolean;
  machine: { cpuModel: string; logicalCpus: number; loadavgAtStart: number[]; loadavgAtEnd: number[]; node: string };
  browser: BrowserEnvInfo & { pageCrossOriginIsolated: boolean };
  models: ModelResult[];
  skipped: Array<{ key: string; missing: string[] }>;
}

async function main(): Promise<void> {
  const loadavgAtStart = loadavg();
  const selected = customModel
    ? [{ key: customModel, title: customModel, engineModelId: customModel, pipelineModelId: customModel, pipelineReps: 2 }]
    : MODELS.filter((spec) => !only || spec.key === only);
  const runnable = selected.filter((spec) => missingFiles(spec).length === 0);
  const skipped = selected.filter((spec) => missingFiles(spec).length > 0).map((spec) => ({ key: spec.key, missing: missingFiles(spec) }));
  for (const { key, missing } of skipped)
    log(`skipping ${key}: missing ${missing.join(', ')} (run: /usr/bin/python3 tools/make_bench_models.py)`);
  if (runnable.length === 0) throw new Error('No model to benchmark: every model has missing files.');

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

    const models: ModelResult[] = [];
    for (const spec of runnable) models.push(await benchModel(page, spec));

    const cpu = cpus();
    const results: BenchResults = {
      generatedAt: new Date().toISOString(),
      quick,
      machine: { cpuModel: cpu[0]?.model ?? 'unknown', logicalCpus: cpu.length, loadavgAtStart, loadavgAtEnd: loadavg(), node: process.version },
      browser: { ...browserEnv, pageCrossOriginIsolated },
      models,
      skipped,
    };
    const markdown = renderMarkdown(results);
    writeFileSync(join(repoRoot, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(repoRoot, 'bench/results.md'), markdown);
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n\n${markdown}`);
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
