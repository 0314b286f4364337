/// <reference types="vite/client" />
/// <reference types="@webgpu/types" />
/**
 * Runs inside a dedicated worker of the bench page, like the app's CLIP and audio workers, with the
 * app's own code (loadClip, ClipEngine, runtime configuration; the audio commands are in
 * audioBench.ts) and the baselines next to it.
 */
import { workersSpawned } from './countWorkers';
import { MODEL_BASE_URL, builtinLoadRequest, clipInputSide, engineLoadInfo, ortThreads } from './engineLoad';
import { CLIPVisionModelWithProjection, env as transformersEnv, pipeline, type ZeroShotImageClassificationPipeline } from '@huggingface/transformers';
import * as ort from 'onnxruntime-web/webgpu';
import { loadClip, disposeClip, type LoadedClip } from '../../src/features/image/worker/loadModel';
import { ClipEngine } from '../../src/features/image/worker/clipEngine';
import { configureModelSource, configureOrtRuntime } from '../../src/features/models/worker/runtimeEnv';
import type { ClassifyItem, ClassifyRequest } from '../../src/features/image/shared/protocol';
import type { WorkerStats } from '../../src/lib/workerReports';
import { sha256Hex } from '../../src/lib/cacheKeys';
import { buildPrompts } from '../../src/lib/labels';
import { makeLabelledShapeImages, makeShapeImages } from './images';
import { benchGridEngine, benchGridPipeline, type LabelledItem } from './gridBench';
import { audioHandlers } from './audioBench';
import { q8Handlers } from './q8Bench';
import { liveHandlers } from './liveBench';
import { heldOutComparison, preprocessRuns } from './preprocessBench';
import { randomPixels } from '../shared/random';
import type { BenchCommand, BenchCommandMap, BenchReply, BenchRequest, RerankResult, ThroughputResult } from '../shared/protocol';

interface WorkerScope {
  postMessage(message: BenchReply): void;
  onmessage: ((event: MessageEvent<BenchRequest>) => void) | null;
  crossOriginIsolated: boolean;
  navigator: { userAgent: string; hardwareConcurrency: number };
}
const scope = self as unknown as WorkerScope;

let items: ClassifyItem[] = [];
/** The pictures of the grid-search bench, each with its class (set by makeLabelledImages). */
let labelledItems: LabelledItem[] = [];
let clip: LoadedClip | null = null;
let zeroShot: ZeroShotImageClassificationPipeline | null = null;

const configuredThreads = configureOrtRuntime('cpu');

const now = (): number => performance.now();

/** Base of `models/` handed to the app's configureModelSource: absolute, as the app passes it. */

/** Milliseconds of each of `reps` sequential runs. */
async function timeReps(reps: number, run: () => Promise<void>): Promise<number[]> {
  const ms: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const started = now();
    await run();
    ms.push(now() - started);
  }
  return ms;
}

function noCallbacks(onItemError: (message: string) => void) {
  return {
    isCancelled: () => false,
    onItem: (_item: ClassifyItem, outcome: { ok: boolean; error?: string }) => {
      if (!outcome.ok) onItemError(outcome.error ?? 'unknown error');
    },
    onBatchProgress: () => {},
    onStats: () => {},
  };
}

async function classifyTimed(engine: ClipEngine, prompts: string[], subset: ClassifyItem[]): Promise<number> {
  const errors: string[] = [];
  const request: ClassifyRequest = { type: 'classify', requestId: 0, resizeMode: 'exact', classPrompts: prompts.map((prompt) => [prompt]), head: null, items: subset };
  const started = now();
  await engine.classify(request, noCallbacks((message) => errors.push(message)));
  const elapsed = now() - started;
  if (errors.length > 0) throw new Error(`classify failed on ${errors.length} items: ${errors[0]}`);
  return elapsed;
}

function requireClip(): LoadedClip {
  if (!clip) throw new Error('loadEngine first');
  return clip;
}

function requirePipeline(): ZeroShotImageClassificationPipeline {
  if (!zeroShot) throw new Error('loadPipeline first');
  return zeroShot;
}

/** Words that make a label new (so its prompt is not in the text cache) without being nonsense. */
const RERANK_ADJECTIVES = ['dark', 'light', 'bright', 'pale', 'small', 'large', 'tiny', 'big', 'shiny', 'dull'];

const handlers: { [C in BenchCommand]: (args: BenchCommandMap[C]['args']) => Promise<BenchCommandMap[C]['result']> } = {
  ...audioHandlers,
  ...q8Handlers,
  ...liveHandlers,

  preprocessRuns: (args) => preprocessRuns(requireClip(), items, args),
  heldOutComparison: (args) => heldOutComparison(requireClip(), args),

  env() {
    return Promise.resolve({
      userAgent: scope.navigator.userAgent,
      crossOriginIsolated: scope.crossOriginIsolated,
      hardwareConcurrency: scope.navigator.hardwareConcurrency,
      configuredThreads,
      sameOrtInstance: transformersEnv.backends.onnx.wasm === ort.env.wasm,
    });
  },

  async makeImages({ count, side, seed }) {
    const blobs = await makeShapeImages(count, side, seed);
    items = await Promise.all(
      blobs.map(async (image, index) => ({ itemId: `img-${index}`, contentHash: await sha256Hex(await image.arrayBuffer()), image })),
    );
    return { count: items.length, totalBytes: blobs.reduce((sum, blob) => sum + blob.size, 0) };
  },

  async makeLabelledImages({ count, side, seed, classes, radius }) {
    const made = await makeLabelledShapeImages(count, side, seed, classes, radius);
    labelledItems = await Promise.all(
      made.map(async ({ image, truth }, index) => ({ itemId: `shape-${index}`, contentHash: await sha256Hex(await image.arrayBuffer()), image, truth })),
    );
    // The pipeline's loadPipeline warms up on items[0].
    items = labelledItems;
    return { count: labelledItems.length, totalBytes: made.reduce((sum, { image }) => sum + image.size, 0), truth: labelledItems.map((item) => item.truth) };
  },

  async gridEngine(args) {
    if (labelledItems.length === 0) throw new Error('makeLabelledImages first');
    return await benchGridEngine(requireClip(), labelledItems, args);
  },

  async gridPipeline(args) {
    if (labelledItems.length === 0) throw new Error('makeLabelledImages first');
    return await benchGridPipeline(requirePipeline(), labelledItems, args);
  },

  async loadEngine({ modelId }) {
    if (clip) await disposeClip(clip);
    clip = await loadClip(builtinLoadRequest(modelId), () => {});
    return engineLoadInfo(clip.info);
  },

  async rerank({ items: count, labelsA, template, reps }): Promise<RerankResult> {
    if (reps > RERANK_ADJECTIVES.length) throw new Error(`at most ${RERANK_ADJECTIVES.length} re-rank repetitions`);
    const subset = items.slice(0, count);
    const engine = new ClipEngine(requireClip(), false);
    const firstEmbedMs = await classifyTimed(engine, buildPrompts(template, labelsA), subset);
    const statsAfterFirst = engine.currentStats();
    const rerankMs: number[] = [];
    const statsAfterEachRerank: WorkerStats[] = [];
    let labelsB: string[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const adjective = RERANK_ADJECTIVES[rep] as string;
      // One label changed, one added: exactly two prompts the text cache has never seen.
      labelsB = [...labelsA];
      labelsB[1] = `${adjective} ${labelsA[1]}`;
      labelsB.push(`${adjective} ${labelsA[0]}`);
      rerankMs.push(await classifyTimed(engine, buildPrompts(template, labelsB), subset));
      statsAfterEachRerank.push(engine.currentStats());
    }
    return { firstEmbedMs, statsAfterFirst, rerankMs, statsAfterEachRerank, promptsPerRerank: 2, labelsB };
  },

  async engineBatched({ items: count, label, template, reps }) {
    const subset = items.slice(0, count);
    const ms: number[] = [];
    const stats: WorkerStats[] = [];
    for (let rep = 0; rep < reps; rep++) {
      // A fresh engine has empty caches: every image goes through the vision model again.
      const engine = new ClipEngine(requireClip(), false);
      ms.push(await classifyTimed(engine, buildPrompts(template, [label]), subset));
      stats.push(engine.currentStats());
    }
    return { ms, stats };
  },

  async loadPipeline({ modelId }) {
    if (clip) await disposeClip(clip);
    clip = null;
    configureModelSource({ kind: 'builtin', baseUrl: MODEL_BASE_URL });
    const started = now();
    zeroShot = await pipeline('zero-shot-image-classification', modelId, { device: 'wasm', dtype: 'fp32' });
    const loadMs = now() - started;
    const first = items[0];
    if (!first) throw new Error('makeImages first');
    const warmStarted = now();
    await zeroShot(first.image, ['warm up'], { hypothesis_template: '{}' });
    return { loadMs, warmupMs: now() - warmStarted };
  },

  async pipelineAll({ items: count, labels, template, reps }) {
    const pipe = requirePipeline();
    const images = items.slice(0, count).map((item) => item.image);
    const ms = await timeReps(reps, async () => {
      const output = await pipe(images, labels, { hypothesis_template: template });
      if (!Array.isArray(output) || output.length !== images.length) throw new Error('pipeline returned the wrong number of results');
    });
    return { ms };
  },

  async pipelineOneByOne({ items: count, label, template, reps }) {
    const pipe = requirePipeline();
    const images = items.slice(0, count).map((item) => item.image);
    const ms = await timeReps(reps, async () => {
      for (const image of images) await pipe(image, [label], { hypothesis_template: template });
    });
    return { ms };
  },

  async visionThroughput({ modelId, batch, minSeconds, reps, warmupRuns }): Promise<ThroughputResult> {
    if (clip) await disposeClip(clip);
    clip = null;
    await zeroShot?.dispose();
    zeroShot = null;
    configureModelSource({ kind: 'builtin', baseUrl: MODEL_BASE_URL });
    const side = await clipInputSide(modelId);
    // The session is created by transformers.js exactly as the app's loadClip creates it (same ORT
    // build, same wasm files, same options); the timing loop then calls ORT directly, without
    // transformers.js's tensor wrapping. (A raw ort.InferenceSession.create() before transformers.js
    // has initialised ORT hangs in this worker: transformers.js loads the ORT factory its own way.)
    const tower = await CLIPVisionModelWithProjection.from_pretrained(modelId, { device: 'wasm', dtype: 'fp32' });
    const session = (tower.sessions as Record<string, ort.InferenceSession>)['model'];
    if (!session) throw new Error('transformers.js created no "model" session for the vision tower');
    const inputName = session.inputNames[0] as string;
    const inputDims = [batch, 3, side, side];
    const data = randomPixels(batch * 3 * side * side, 1234);
    const feeds = { [inputName]: new ort.Tensor('float32', data, inputDims) };
    for (let i = 0; i < warmupRuns; i++) await session.run(feeds);
    const imagesPerSecond: number[] = [];
    for (let rep = 0; rep < reps; rep++) {
      let runs = 0;
      const started = now();
      while (runs < 2 || now() - started < minSeconds * 1000) {
        await session.run(feeds);
        runs++;
      }
      imagesPerSecond.push((runs * batch * 1000) / (now() - started));
    }
    await tower.dispose();
    return {
      imagesPerSecond,
      inputName,
      inputDims,
      ortNumThreads: ortThreads(),
      pthreadWorkersSpawned: workersSpawned(),
      crossOriginIsolated: scope.crossOriginIsolated,
    };
  },
};

scope.onmessage = (event: MessageEvent<BenchRequest>) => {
  const { id, command, args } = event.data;
  const handler = handlers[command] as (args: unknown) => Promise<unknown>;
  handler(args).then(
    (result) => scope.postMessage({ id, ok: true, result }),
    (error: unknown) => scope.postMessage({ id, ok: false, error: error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error) }),
  );
};
