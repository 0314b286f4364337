/**
 * "What a user gets on WASM" (`npm run bench -- --only=q8`): CLIP vision towers quantised to q8 the
 * way the Hub's `*_quantized.onnx` files are (tools/quantize_dynamic_q8.py: dynamic quantisation of
 * the MatMul/Conv weights), in Chromium's ORT-web WASM, against fp32 on onnxruntime-node in this
 * process; the same towers at fp32 in the browser and at q8 natively; ORT-web thread counts 1, the
 * app's and 4; a one-MatMul kernel probe (GFLOP/s) and onnxruntime-node's per-operator profile to say
 * where the browser/native gap comes from; and, on the built-in model's held-out shapes, how often q8
 * ranks the same label first as fp32 (q8Agreement.ts). Files it needs and lacks it makes first (python3).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Page } from 'playwright-core';
import type { Q8ThroughputResult } from '../shared/protocol';
import { median, randomPixels } from '../shared/random';
import { timeRepeatedRuns } from '../shared/timing';
import { call, freshWorker, log } from './pageCalls';
import { modelDir, repoRoot } from './paths';
import { q8HeldOutAgreement, type Q8Agreement } from './q8Agreement';

const PYTHON = '/usr/bin/python3';
const BATCH = 8;
/** ViT-B/32's MLP up-projection at batch 8: 8 images × 50 tokens, 768 → 3072. */
const MATMUL_SHAPE = { rows: 400, depth: 768, columns: 3072 } as const;
const MATMUL_MODEL_ID = 'bench/q8-matmul';
/** The built-in model with its q8 files next to the fp32 ones (a copy: public/ stays as shipped). */
const BUILTIN_Q8_MODEL_ID = 'bench/clip-shapes-q8';
const BUILTIN_SOURCE = join(repoRoot, 'public/models/builtin/clip-shapes');
const HELDOUT_DIR = join(repoRoot, 'bench/.q8-heldout');
const HELDOUT_PER_CLASS = 40;

type Dtype = 'fp32' | 'q8';
const DTYPES: Dtype[] = ['fp32', 'q8'];
const onnxFile = (dtype: Dtype, name: string): string => `onnx/${name}${dtype === 'q8' ? '_quantized' : ''}.onnx`;

function runPython(args: string[]): void {
  log(`  ${PYTHON} ${args.join(' ')}`);
  const result = spawnSync(PYTHON, args, { cwd: repoRoot, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

const newer = (a: string, b: string): boolean => existsSync(a) && existsSync(b) && statSync(a).mtimeMs >= statSync(b).mtimeMs;

/** The q8 files the figures need, made with tools/quantize_dynamic_q8.py when missing or older than their fp32 source. */
function prepareModels(): void {
  const builtin = modelDir(BUILTIN_Q8_MODEL_ID);
  mkdirSync(join(builtin, 'onnx'), { recursive: true });
  for (const file of [...readdirSync(BUILTIN_SOURCE).filter((name) => name.endsWith('.json')), 'onnx/vision_model.onnx', 'onnx/text_model.onnx']) {
    if (!newer(join(builtin, file), join(BUILTIN_SOURCE, file))) copyFileSync(join(BUILTIN_SOURCE, file), join(builtin, file));
  }
  for (const dir of [builtin, modelDir('bench/clip-vitb32-random')]) {
    const stale = ['vision_model', 'text_model'].filter((name) => !newer(join(dir, onnxFile('q8', name)), join(dir, onnxFile('fp32', name))));
    if (stale.length > 0) runPython(['tools/quantize_dynamic_q8.py', dir, '--files', ...stale]);
  }
  const matmul = modelDir(MATMUL_MODEL_ID);
  if (!existsSync(join(matmul, onnxFile('q8', 'matmul'))))
    runPython(['tools/quantize_dynamic_q8.py', '--make-matmul', String(MATMUL_SHAPE.rows), String(MATMUL_SHAPE.depth), String(MATMUL_SHAPE.columns), '--out-dir', matmul]);
  if (!existsSync(join(HELDOUT_DIR, 'labels.json'))) {
    // The held-out set of tools/clip_shapes_metrics.json: train_clip_shapes.make_eval_set (seed 987654321).
    runPython(['-c', `import sys; sys.path.insert(0, 'tools'); import train_clip_shapes as T; T.make_eval_set(${HELDOUT_PER_CLASS}, ${JSON.stringify(HELDOUT_DIR)})`]);
  }
}

interface NativeRun {
  imagesPerSecond: number[];
  output: Float32Array;
}

async function nativeSession(path: string, threads: number, profilePrefix?: string): Promise<ort.InferenceSession> {
  return await ort.InferenceSession.create(path, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
  });
}


/** The browser's input (same seed, same shape), the browser's timing loop, onnxruntime-node's CPU kernels. */
async function nativeThroughput(path: string, inputDims: number[], threads: number, minSeconds: number, reps: number): Promise<NativeRun> {
  const session = await nativeSession(path, threads);
  const feeds = { [session.inputNames[0] as string]: new ort.Tensor('float32', randomPixels(inputDims.reduce((a, b) => a * b, 1), 1234), inputDims) };
  const first = await session.run(feeds);
  const output = first[session.outputNames[0] as string]?.data as Float32Array;
  const msPerRun = await timeRepeatedRuns(() => session.run(feeds), minSeconds, reps, 2);
  await session.release();
  return { imagesPerSecond: msPerRun.map((ms) => ((inputDims[0] as number) * 1000) / ms), output };
}

export interface OpProfile {
  /** Milliseconds per run by operator type (onnxruntime-node's kernel times), largest first. */
  msPerRunByOp: Array<{ op: string; ms: number; share: number }>;
  runs: number;
  totalMsPerRun: number;
}

/** onnxruntime-node's profiler (enableProfiling): kernel time per operator type, averaged over the runs. */
async function nativeProfile(path: string, inputDims: number[], threads: number, runs: number): Promise<OpProfile> {
  const folder = mkdtempSync(join(tmpdir(), 'zsp-q8-profile-'));
  try {
    const session = await nativeSession(path, threads, join(folder, 'profile'));
    const feeds = { [session.inputNames[0] as string]: new ort.Tensor('float32', randomPixels(inputDims.reduce((a, b) => a * b, 1), 1234), inputDims) };
    for (let i = 0; i < runs; i++) await session.run(feeds);
    session.endProfiling();
    await session.release();
    const file = readdirSync(folder).find((name) => name.endsWith('.json'));
    if (!file) throw new Error('onnxruntime-node wrote no profile');
    const events = JSON.parse(readFileSync(join(folder, file), 'utf8')) as Array<{ cat: string; name: string; dur: number; args?: { op_name?: string } }>;
    const modelRuns = events.filter((event) => event.cat === 'Session' && event.name === 'model_run').length || runs;
    const byOp = new Map<string, number>();
    for (const event of events) {
      if (event.cat !== 'Node' || !event.name.endsWith('_kernel_time') || !event.args?.op_name) continue;
      byOp.set(event.args.op_name, (byOp.get(event.args.op_name) ?? 0) + event.dur / 1000 / modelRuns);
    }
    const total = [...byOp.values()].reduce((a, b) => a + b, 0);
    const msPerRunByOp = [...byOp.entries()].map(([op, ms]) => ({ op, ms, share: ms / total })).sort((a, b) => b.ms - a.ms);
    return { msPerRunByOp, runs: modelRuns, totalMsPerRun: total };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

function compareOutputs(a: ArrayLike<number>, b: ArrayLike<number>, rows: number): { maxAbs: number; minCosine: number } {
  const width = a.length / rows;
  let maxAbs = 0;
  let minCosine = 1;
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = r * width; i < (r + 1) * width; i++) {
      const [x, y] = [a[i] as number, b[i] as number];
      dot += x * y;
      na += x * x;
      nb += y * y;
      maxAbs = Math.max(maxAbs, Math.abs(x - y));
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
  }
  return { maxAbs, minCosine };
}

export interface Q8Throughput {
  dtype: Dtype;
  threads: number;
  imagesPerSecond: number[];
  median: number;
}

export interface Q8ModelResult {
  key: string;
  title: string;
  modelId: string;
  fileBytes: Record<Dtype, number>;
  inputDims: number[];
  appThreads: number;
  browser: Array<Q8Throughput & { loadMs: number; ortNumThreads: number; pthreadWorkersSpawned: number }>;
  native: Q8Throughput[];
  /** The headline: browser q8 / native fp32, both at the app's thread count. */
  q8BrowserVsFp32Native: number;
  /** Browser vs native on the same input, same dtype (the app's threads): do they compute the same thing? */
  browserVsNativeOutputs: Record<Dtype, { maxAbs: number; minCosine: number }>;
  /** q8 vs fp32 embeddings of that input (browser). */
  q8VsFp32Outputs: { maxAbs: number; minCosine: number };
  nativeProfiles: Record<Dtype, OpProfile>;
}

export interface Q8MatMulProbe {
  shape: typeof MATMUL_SHAPE;
  gflop: number;
  rows: Array<{ side: 'browser' | 'native'; dtype: Dtype; threads: number; msPerRun: number; gflops: number }>;
}

export interface Q8Result {
  appThreads: number;
  threadCounts: number[];
  models: Q8ModelResult[];
  matmul: Q8MatMulProbe;
  heldout: Q8Agreement;
  relaxedSimd: RelaxedSimdCheck;
  cpuFlags: string[];
  ortNodeVersion: string;
}

export interface RelaxedSimdCheck {
  /** ORT-web's own relaxed-SIMD probe, in the bench's Chromium worker. */
  browserValidatesRelaxedSimd: boolean;
  /** The same probe in this Node (V8 without relaxed SIMD unless flagged). */
  nodeValidatesRelaxedSimd: boolean;
  /** Each .wasm that onnxruntime-web ships, validated by this Node: true means it uses no relaxed-SIMD instruction. */
  shippedWasmValidatesHere: Record<string, boolean>;
}

/** The probe ORT-web runs for `env.wasm.simd = 'relaxed'` (i32x4.relaxed_trunc_f32x4_s). */
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 1, 253, 15, 65, 2, 253, 15, 65, 3, 253, 15, 253, 147, 2, 11]);

function relaxedSimdCheck(browserValidatesRelaxedSimd: boolean): RelaxedSimdCheck {
  const dist = join(repoRoot, 'node_modules/onnxruntime-web/dist');
  const shippedWasmValidatesHere = Object.fromEntries(
    readdirSync(dist)
      .filter((name) => name.endsWith('.wasm'))
      .map((name) => [name, WebAssembly.validate(readFileSync(join(dist, name)))]),
  );
  return { browserValidatesRelaxedSimd, nodeValidatesRelaxedSimd: WebAssembly.validate(RELAXED_SIMD_PROBE), shippedWasmValidatesHere };
}

interface ModelPlan {
  key: string;
  title: string;
  modelId: string;
}

const PLANS: ModelPlan[] = [
  { key: 'shapes', title: 'clip-shapes (built-in)', modelId: BUILTIN_Q8_MODEL_ID },
  { key: 'vitb32', title: 'ViT-B/32-sized, random weights', modelId: 'bench/clip-vitb32-random' },
];

function cpuFlags(): string[] {
  const flags = readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1]?.trim().split(/\s+/) ?? [];
  return flags.filter((flag) => /^(sse4_2|avx|avx2|fma|avx512f|avx512bw|avx512_vnni|avx_vnni|avx512vl)$/.test(flag));
}

export async function benchQ8(page: Page, quick: boolean, appThreads: number): Promise<Q8Result> {
  prepareModels();
  const minSeconds = quick ? 1 : 2;
  const reps = quick ? 2 : 3;
  const threadCounts = [...new Set(quick ? [appThreads, 1] : [appThreads, 1, 4])];
  const models: Q8ModelResult[] = [];
  const matmulRows: Q8MatMulProbe['rows'] = [];
  const gflop = (2 * MATMUL_SHAPE.rows * MATMUL_SHAPE.depth * MATMUL_SHAPE.columns) / 1e9;
  let relaxedSimdSupported = false;

  for (const plan of PLANS) {
    const dir = modelDir(plan.modelId);
    log(`q8: ${plan.title} (${plan.modelId})`);
    const browser: Q8ModelResult['browser'] = [];
    const outputs = new Map<Dtype, Q8ThroughputResult>();
    for (const threads of threadCounts) {
      for (const dtype of DTYPES) {
        await freshWorker(page); // ORT-web reads numThreads once per worker
        const result = await call(page, 'q8Throughput', { modelId: plan.modelId, dtype, threads, batch: BATCH, minSeconds, reps, warmupRuns: 2 });
        relaxedSimdSupported = result.relaxedSimdSupported;
        browser.push({ dtype, threads, imagesPerSecond: result.imagesPerSecond, median: median(result.imagesPerSecond), loadMs: result.loadMs, ortNumThreads: result.ortNumThreads, pthreadWorkersSpawned: result.pthreadWorkersSpawned });
        if (threads === appThreads) outputs.set(dtype, result);
        if (plan.key === 'shapes') {
          const probe = await call(page, 'q8MatMul', { modelId: MATMUL_MODEL_ID, dtype, rows: MATMUL_SHAPE.rows, depth: MATMUL_SHAPE.depth, minSeconds, reps });
          const msPerRun = median(probe.msPerRun);
          matmulRows.push({ side: 'browser', dtype, threads, msPerRun, gflops: gflop / (msPerRun / 1000) });
        }
      }
    }
    await freshWorker(page); // releases the browser's threads before the native runs
    const inputDims = (outputs.get('fp32') as Q8ThroughputResult).inputDims;
    const native: Q8Throughput[] = [];
    const nativeOutputs = new Map<Dtype, Float32Array>();
    for (const threads of [...new Set([appThreads, 1])]) {
      for (const dtype of DTYPES) {
        const run = await nativeThroughput(join(dir, onnxFile(dtype, 'vision_model')), inputDims, threads, minSeconds, reps);
        native.push({ dtype, threads, imagesPerSecond: run.imagesPerSecond, median: median(run.imagesPerSecond) });
        if (threads === appThreads) nativeOutputs.set(dtype, run.output);
        if (plan.key === 'shapes') {
          const session = await nativeSession(join(modelDir(MATMUL_MODEL_ID), onnxFile(dtype, 'matmul')), threads);
          const feeds = { x: new ort.Tensor('float32', randomPixels(MATMUL_SHAPE.rows * MATMUL_SHAPE.depth, 99), [MATMUL_SHAPE.rows, MATMUL_SHAPE.depth]) };
          const msPerRun = median(await timeRepeatedRuns(() => session.run(feeds), minSeconds, reps, 2));
          await session.release();
          matmulRows.push({ side: 'native', dtype, threads, msPerRun, gflops: gflop / (msPerRun / 1000) });
        }
      }
    }
    const nativeProfiles = {
      fp32: await nativeProfile(join(dir, onnxFile('fp32', 'vision_model')), inputDims, appThreads, quick ? 3 : 6),
      q8: await nativeProfile(join(dir, onnxFile('q8', 'vision_model')), inputDims, appThreads, quick ? 3 : 6),
    };
    const at = (list: Q8Throughput[], dtype: Dtype) => list.find((entry) => entry.dtype === dtype && entry.threads === appThreads) as Q8Throughput;
    const browserOutput = (dtype: Dtype) => (outputs.get(dtype) as Q8ThroughputResult).output;
    models.push({
      key: plan.key,
      title: plan.title,
      modelId: plan.modelId,
      fileBytes: { fp32: statSync(join(dir, onnxFile('fp32', 'vision_model'))).size, q8: statSync(join(dir, onnxFile('q8', 'vision_model'))).size },
      inputDims,
      appThreads,
      browser,
      native,
      q8BrowserVsFp32Native: at(browser, 'q8').median / at(native, 'fp32').median,
      browserVsNativeOutputs: {
        fp32: compareOutputs(browserOutput('fp32'), nativeOutputs.get('fp32') as Float32Array, BATCH),
        q8: compareOutputs(browserOutput('q8'), nativeOutputs.get('q8') as Float32Array, BATCH),
      },
      q8VsFp32Outputs: compareOutputs(browserOutput('q8'), browserOutput('fp32'), BATCH),
      nativeProfiles,
    });
  }

  log('q8: held-out agreement (built-in model, onnxruntime-node)');
  const heldout = await q8HeldOutAgreement(HELDOUT_DIR, modelDir(BUILTIN_Q8_MODEL_ID));
  return {
    appThreads,
    threadCounts,
    models,
    matmul: { shape: MATMUL_SHAPE, gflop, rows: matmulRows },
    heldout,
    relaxedSimd: relaxedSimdCheck(relaxedSimdSupported),
    cpuFlags: cpuFlags(),
    ortNodeVersion: ort.env.versions.node ?? 'unknown',
  };
}
