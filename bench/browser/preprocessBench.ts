/**
 * The preprocessing figures (`--only=preprocess`), inside the bench worker with the app's own worker
 * code: where an image's time goes (hash, decode, resize/crop/normalise, vision run, store) on the
 * exact and the native path; the app's time per image against the pure `session.run` time per image
 * at the same batch size, on the same session; and exact vs native on the built-in model's held-out set.
 */
import * as ort from 'onnxruntime-web/webgpu';
import type { Tensor } from '@huggingface/transformers';
import { ClipEngine, IMAGE_BATCH_SIZE, type ClassifyCallbacks } from '../../src/features/image/worker/clipEngine';
import { batchPixels, decodePicture, type DecodedPicture } from '../../src/features/image/worker/imagePixels';
import type { LoadedClip } from '../../src/features/image/worker/loadModel';
import { PersistentEmbeddings } from '../../src/features/image/worker/persistentEmbeddings';
import type { ClassifyItem, ClassifyRequest, ImageResizeMode } from '../../src/features/image/shared/protocol';
import { sha256Hex } from '../../src/lib/cacheKeys';
import { EmbeddingMatrix } from '../../src/lib/embeddingMatrix';
import { l2Normalize } from '../../src/lib/scoring';
import type { HeldOutResult, PreprocessArgs, PreprocessRuns, StageTimes } from '../shared/protocol';

const now = (): number => performance.now();

function batchesOf<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < values.length; start += size) out.push(values.slice(start, start + size));
  return out;
}

function visionSession(clip: LoadedClip): ort.InferenceSession {
  const session = (clip.visionModel.sessions as Record<string, ort.InferenceSession>)['model'];
  if (!session) throw new Error('transformers.js created no "model" session for the vision tower');
  return session;
}

function callbacksCollecting(onScores: (item: ClassifyItem, scores: Float32Array) => void): ClassifyCallbacks {
  return {
    isCancelled: () => false,
    onItem: (item, outcome) => {
      if (!outcome.ok) throw new Error(`${item.itemId}: ${outcome.error}`);
      onScores(item, outcome.scores);
    },
    onBatchProgress: () => {},
    onStats: () => {},
  };
}

function classifyRequest(items: ClassifyItem[], prompts: string[], resizeMode: ImageResizeMode): ClassifyRequest {
  return { type: 'classify', requestId: 0, resizeMode, classPrompts: prompts.map((prompt) => [prompt]), head: null, items };
}

/** One stage pass over every item in batches of IMAGE_BATCH_SIZE, each stage awaited on its own (no overlap), in ms per stage. */
async function stagePass(clip: LoadedClip, items: readonly ClassifyItem[], mode: ImageResizeMode, plan: ClipEngine['nativePlan']): Promise<StageTimes> {
  const times: StageTimes = { hashMs: 0, decodeMs: 0, preprocessMs: 0, visionMs: 0, sessionRunMs: 0, storeMs: 0 };
  const session = visionSession(clip);
  const inputName = session.inputNames[0] as string;
  const store = new PersistentEmbeddings();
  let matrix: EmbeddingMatrix | null = null;
  for (const [batchIndex, batch] of batchesOf(items, IMAGE_BATCH_SIZE).entries()) {
    let started = now();
    for (const item of batch) await sha256Hex(await item.image.arrayBuffer());
    times.hashMs += now() - started;

    started = now();
    const pictures: DecodedPicture[] = await Promise.all(batch.map((item) => decodePicture(item.image, mode, plan)));
    times.decodeMs += now() - started;

    started = now();
    const { pixelValues } = await batchPixels(pictures, clip.imageProcessor, plan);
    times.preprocessMs += now() - started;

    started = now();
    const output = (await clip.visionModel({ pixel_values: pixelValues })) as Record<string, Tensor>;
    times.visionMs += now() - started;

    started = now();
    await session.run({ [inputName]: new ort.Tensor('float32', pixelValues.data as Float32Array, pixelValues.dims) });
    times.sessionRunMs += now() - started;

    // What the engine does with the output: unit rows into the matrix, then the on-disk write (awaited here to see its cost).
    started = now();
    const embeds = output['image_embeds'] ?? output['pooler_output'];
    if (!embeds) throw new Error('no image embeddings in the vision output');
    const [rows, width] = embeds.dims as [number, number];
    const data = embeds.data as Float32Array;
    const entries = Array.from({ length: rows }, (_, row) => {
      const embedding = l2Normalize(data.subarray(row * width, (row + 1) * width));
      const key = `bench-preprocess|${mode}|${batchIndex}|${row}|${Math.random()}`;
      matrix ??= new EmbeddingMatrix(width);
      matrix.set(key, embedding);
      return { key, embedding, width: pictures[row]!.width, height: pictures[row]!.height };
    });
    await store.putMany(entries);
    times.storeMs += now() - started;
  }
  return times;
}

export async function preprocessRuns(clip: LoadedClip, items: readonly ClassifyItem[], args: PreprocessArgs): Promise<PreprocessRuns> {
  const subset = items.slice(0, args.items);
  const probe = new ClipEngine(clip, false);
  const plan = probe.nativePlan;
  const modes: ImageResizeMode[] = plan ? ['exact', 'native'] : ['exact'];
  const prompts = [args.prompt];

  const stages: PreprocessRuns['stages'] = { exact: [], native: [] };
  const appMs: PreprocessRuns['appMs'] = { exact: [], native: [] };
  const sessionRunMs: number[] = [];
  const session = visionSession(clip);
  const inputName = session.inputNames[0] as string;
  // The app's own input tensors for the pure session.run baseline (built once, outside the timing).
  const feeds: Array<Record<string, ort.Tensor>> = [];
  for (const batch of batchesOf(subset, IMAGE_BATCH_SIZE)) {
    const pictures = await Promise.all(batch.map((item) => decodePicture(item.image, 'exact', plan)));
    const { pixelValues } = await batchPixels(pictures, clip.imageProcessor, plan);
    feeds.push({ [inputName]: new ort.Tensor('float32', pixelValues.data as Float32Array, pixelValues.dims) });
  }
  const inputDims = [...(feeds[0]?.[inputName]?.dims ?? [])];

  // Warm-up: one batch (the first vision call at a new batch size allocates; the canvas paths warm up).
  await stagePass(clip, subset.slice(0, IMAGE_BATCH_SIZE), 'exact', plan);
  if (plan) await Promise.all(subset.slice(0, IMAGE_BATCH_SIZE).map((item) => decodePicture(item.image, 'native', plan)));
  for (let rep = 0; rep < args.reps; rep++) {
    // Interleaved, so a change in the machine's load hits every figure alike.
    const started = now();
    for (const feed of feeds) await session.run(feed);
    sessionRunMs.push(now() - started);
    for (const mode of modes) {
      // A fresh engine (empty image cache) with the prompt already embedded: only the image path is timed.
      const engine = new ClipEngine(clip, false);
      await engine.embedTexts(prompts);
      let scored = 0;
      const appStarted = now();
      await engine.classify(classifyRequest(subset, prompts, mode), callbacksCollecting(() => scored++));
      appMs[mode].push(now() - appStarted);
      if (scored !== subset.length) throw new Error(`${mode}: ${scored} of ${subset.length} items scored`);
      if (engine.currentStats().visionRuns !== Math.ceil(subset.length / IMAGE_BATCH_SIZE)) throw new Error(`${mode}: unexpected number of vision runs`);
      // The breakdown needs fewer repetitions than the ratio (and at ViT-B/32 size each pass runs the tower twice).
      if (rep < args.stageReps) stages[mode].push(await stagePass(clip, subset, mode, plan));
    }
  }
  return { images: subset.length, batch: IMAGE_BATCH_SIZE, inputDims, nativePlan: plan !== null, stages, appMs, sessionRunMs };
}

/** Exact vs native on the held-out set (PNG files + labels.json as tools/make_clip_shapes_heldout.py writes them). */
export async function heldOutComparison(clip: LoadedClip, args: { url: string; template: string; limit: number }): Promise<HeldOutResult> {
  const labels = (await (await fetch(`${args.url}/labels.json`)).json()) as {
    colours: string[];
    shapes: string[];
    items: Array<{ file: string; colour: number; shape: number; w: number; h: number }>;
  };
  const classes = labels.colours.flatMap((colour) => labels.shapes.map((shape) => `${colour} ${shape}`));
  const prompts = classes.map((name) => args.template.replace('{}', name));
  const chosen = labels.items.slice(0, args.limit);
  const items: ClassifyItem[] = await Promise.all(
    chosen.map(async (entry, index) => {
      const response = await fetch(`${args.url}/${entry.file}`);
      if (!response.ok) throw new Error(`${entry.file}: HTTP ${response.status}`);
      return { itemId: `heldout-${index}`, contentHash: `heldout-${entry.file}`, image: await response.blob() };
    }),
  );
  const truth = chosen.map((entry) => entry.colour * labels.shapes.length + entry.shape);
  const engine = new ClipEngine(clip, false);
  const scores: Record<ImageResizeMode, Float32Array[]> = { exact: [], native: [] };
  const ms: Record<ImageResizeMode, number> = { exact: 0, native: 0 };
  for (const mode of ['exact', 'native'] as const) {
    const byItem = new Map<string, Float32Array>();
    const started = now();
    await engine.classify(classifyRequest(items, prompts, mode), callbacksCollecting((item, itemScores) => byItem.set(item.itemId, itemScores)));
    ms[mode] = now() - started;
    scores[mode] = items.map((item) => {
      const found = byItem.get(item.itemId);
      if (!found) throw new Error(`${mode}: no scores for ${item.itemId}`);
      return found;
    });
  }
  const argmax = (row: Float32Array): number => row.reduce((best, value, index) => (value > row[best]! ? index : best), 0);
  let agree = 0;
  let correctExact = 0;
  let correctNative = 0;
  let maxDelta = 0;
  let sumDelta = 0;
  let deltaCount = 0;
  let maxTopDelta = 0;
  items.forEach((_, index) => {
    const exact = scores.exact[index]!;
    const native = scores.native[index]!;
    const topExact = argmax(exact);
    const topNative = argmax(native);
    if (topExact === topNative) agree++;
    if (topExact === truth[index]) correctExact++;
    if (topNative === truth[index]) correctNative++;
    maxTopDelta = Math.max(maxTopDelta, Math.abs(exact[topExact]! - native[topExact]!));
    exact.forEach((value, label) => {
      const delta = Math.abs(value - native[label]!);
      maxDelta = Math.max(maxDelta, delta);
      sumDelta += delta;
      deltaCount++;
    });
  });
  return {
    images: items.length,
    classes: classes.length,
    template: args.template,
    top1Agreement: agree / items.length,
    accuracyExact: correctExact / items.length,
    accuracyNative: correctNative / items.length,
    maxAbsProbDelta: maxDelta,
    meanAbsProbDelta: sumDelta / deltaCount,
    maxAbsTopProbDelta: maxTopDelta,
    msExact: ms.exact,
    msNative: ms.native,
  };
}
