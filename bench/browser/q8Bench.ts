/// <reference types="vite/client" />
/**
 * The q8 half of the bench worker ("what a user gets on WASM", bench/node/q8.ts): a CLIP vision
 * tower at dtype fp32 or q8 (`onnx/vision_model_quantized.onnx`, made by tools/quantize_dynamic_q8.py)
 * with a chosen ORT-web thread count, and a one-MatMul kernel probe. Each call runs in a fresh worker:
 * ORT reads `numThreads` once, when its WASM runtime initialises.
 */
import { workersSpawned } from './countWorkers';
import { MODEL_BASE_URL, clipInputSide, ortThreads } from './engineLoad';
import { CLIPVisionModelWithProjection, env as transformersEnv } from '@huggingface/transformers';
import * as ort from 'onnxruntime-web/webgpu';
import { configureModelSource } from '../../src/features/models/worker/runtimeEnv';
import { randomPixels } from '../shared/random';
import { timeRepeatedRuns } from '../shared/timing';
import type { BenchCommandMap, Q8MatMulResult, Q8ThroughputResult } from '../shared/protocol';

type Q8Command = 'q8Throughput' | 'q8MatMul';
type Q8Handlers = { [C in Q8Command]: (args: BenchCommandMap[C]['args']) => Promise<BenchCommandMap[C]['result']> };

/** The same probe ORT-web runs for `env.wasm.simd = 'relaxed'` (i32x4.relaxed_trunc_f32x4_s). */
const RELAXED_SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 19, 1, 17, 0, 65, 1, 253, 15, 65, 2, 253, 15, 65, 3, 253, 15, 253, 147, 2, 11]);

let initialisedThreads: number | null = null;

/** ORT-web reads numThreads when its runtime starts: the first call in this worker decides. */
function setThreads(threads: number): void {
  if (initialisedThreads !== null && initialisedThreads !== threads) throw new Error(`ORT already started with ${initialisedThreads} threads; use a fresh worker`);
  const wasm = transformersEnv.backends.onnx.wasm;
  if (!wasm) throw new Error('transformers.js has no WASM backend settings');
  wasm.numThreads = threads;
  initialisedThreads = threads;
}


export const q8Handlers: Q8Handlers = {
  async q8Throughput({ modelId, dtype, threads, batch, minSeconds, reps, warmupRuns }): Promise<Q8ThroughputResult> {
    setThreads(threads);
    configureModelSource({ kind: 'builtin', baseUrl: MODEL_BASE_URL });
    const side = await clipInputSide(modelId);
    // Created by transformers.js as the app creates its sessions (q8 picks onnx/vision_model_quantized.onnx);
    // the loop then calls ORT directly, as the fp32 "Vision tower throughput" figure does.
    const loadStarted = performance.now();
    const tower = await CLIPVisionModelWithProjection.from_pretrained(modelId, { device: 'wasm', dtype });
    const loadMs = performance.now() - loadStarted;
    const session = (tower.sessions as Record<string, ort.InferenceSession>)['model'];
    if (!session) throw new Error('transformers.js created no "model" session for the vision tower');
    const inputName = session.inputNames[0] as string;
    const outputName = session.outputNames[0] as string;
    const inputDims = [batch, 3, side, side];
    const feeds = { [inputName]: new ort.Tensor('float32', randomPixels(batch * 3 * side * side, 1234), inputDims) };
    const first = await session.run(feeds);
    const output = first[outputName];
    if (!output) throw new Error(`no ${outputName} output`);
    const msPerRun = await timeRepeatedRuns(async () => void (await session.run(feeds)), minSeconds, reps, warmupRuns);
    await tower.dispose();
    return {
      imagesPerSecond: msPerRun.map((ms) => (batch * 1000) / ms),
      inputDims,
      outputDims: [...output.dims],
      output: Array.from(output.data as Float32Array),
      loadMs,
      ortNumThreads: ortThreads(),
      pthreadWorkersSpawned: workersSpawned(),
      relaxedSimdSupported: WebAssembly.validate(RELAXED_SIMD_PROBE),
    };
  },

  async q8MatMul({ modelId, dtype, rows, depth, minSeconds, reps }): Promise<Q8MatMulResult> {
    if (initialisedThreads === null) throw new Error('q8Throughput first: it starts ORT (through transformers.js) with the chosen threads');
    const file = dtype === 'q8' ? 'matmul_quantized.onnx' : 'matmul.onnx';
    const bytes = new Uint8Array(await (await fetch(`${MODEL_BASE_URL}models/${modelId}/onnx/${file}`)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const inputName = session.inputNames[0] as string;
    const feeds = { [inputName]: new ort.Tensor('float32', randomPixels(rows * depth, 99), [rows, depth]) };
    const msPerRun = await timeRepeatedRuns(async () => void (await session.run(feeds)), minSeconds, reps, 2);
    await session.release();
    return { msPerRun, ortNumThreads: ortThreads() };
  },
};
