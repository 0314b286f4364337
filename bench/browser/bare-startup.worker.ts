/// <reference lib="webworker" />
/**
 * The start-up baseline: what a page using transformers.js directly does, and nothing else. One
 * `pipeline('zero-shot-image-classification')` on WASM (fp32), the same ORT runtime files as the app
 * (served under /ort/, the plain build the app takes on the CPU) and the same thread count, then one
 * call on one picture. No warm-up (the library has none); the time to the first result is the figure.
 */
import { RawImage, env, pipeline } from '@huggingface/transformers';

export interface BareStartupRequest {
  modelId: string;
  labels: string[];
  template: string;
  image: ArrayBuffer;
  /** Ranked after the first result, one call each (as a page without batching would), untimed. */
  more: ArrayBuffer[];
  threads: number;
  baseUrl: string;
}
export interface BareStartupReply {
  top: { label: string; score: number };
  /** On the worker's timeline (ms since its timeOrigin). */
  pipelineStartMs: number;
  pipelineReadyMs: number;
  resultMs: number;
}
/** What the worker posts: the first result (timed), then word that the untimed session of use is over. */
export type BareStartupMessage = { type: 'firstResult'; reply: BareStartupReply } | { type: 'used' };

function post(message: BareStartupMessage): void {
  self.postMessage(message);
}

self.onmessage = async (event: MessageEvent<BareStartupRequest>) => {
  const { modelId, labels, template, image, more, threads, baseUrl } = event.data;
  const onnx = env.backends.onnx;
  if (onnx.wasm) {
    onnx.wasm.wasmPaths = { mjs: `${baseUrl}/ort/ort-wasm-simd-threaded.mjs`, wasm: `${baseUrl}/ort/ort-wasm-simd-threaded.wasm` };
    onnx.wasm.numThreads = threads;
  }
  env.allowLocalModels = false;
  env.remoteHost = `${baseUrl}/models/`;
  env.remotePathTemplate = '{model}/';
  env.useBrowserCache = false;
  const pipelineStartMs = performance.now();
  const classify = await pipeline('zero-shot-image-classification', modelId, { device: 'wasm', dtype: 'fp32' });
  const pipelineReadyMs = performance.now();
  const picture = await RawImage.fromBlob(new Blob([image]));
  const output = await classify(picture, labels, { hypothesis_template: template });
  const resultMs = performance.now();
  const best = (Array.isArray(output[0]) ? output[0][0] : output[0]) as { label: string; score: number } | undefined;
  if (!best) throw new Error('the pipeline returned no scores');
  const reply: BareStartupReply = { top: { label: best.label, score: best.score }, pipelineStartMs, pipelineReadyMs, resultMs };
  post({ type: 'firstResult', reply });
  for (const bytes of more) await classify(await RawImage.fromBlob(new Blob([bytes])), labels, { hypothesis_template: template });
  post({ type: 'used' });
};
