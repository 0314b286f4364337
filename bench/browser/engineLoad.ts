/** How the bench worker loads the app's engines: the built-in/bench models served like the app's, WASM. */
import * as ort from 'onnxruntime-web/webgpu';
import type { LoadModelRequest } from '../../src/features/models/shared/loadProtocol';
import type { DtypePreference, LoadedModelInfo } from '../../src/lib/workerReports';
import type { EngineLoadInfo } from '../shared/protocol';
import { workersSpawned } from './countWorkers';

export const MODEL_BASE_URL = new URL(import.meta.env.BASE_URL, self.location.origin).toString();

/** fp32 unless asked: the benches' figures were all measured on fp32 weights before the built-ins had q8 files. */
export function builtinLoadRequest(modelId: string, dtype: DtypePreference = 'fp32'): LoadModelRequest {
  return { type: 'load', requestId: 0, modelId, source: { kind: 'builtin', baseUrl: MODEL_BASE_URL }, backend: 'wasm', dtype, keepInputsForDebug: false };
}

export function ortThreads(): number {
  return ort.env.wasm.numThreads ?? 0;
}

/** The load record the report prints, including the threads ORT really used. */
export function engineLoadInfo(info: LoadedModelInfo): EngineLoadInfo {
  return {
    backend: info.backend,
    dtype: info.dtype,
    threads: info.threads,
    loadMs: info.loadMs,
    warmupMs: info.warmupMs,
    ortNumThreadsAfterInit: ortThreads(),
    pthreadWorkersSpawned: workersSpawned(),
  };
}

/** The square input side of a CLIP model served under /models/, from its preprocessor config's crop size. */
export async function clipInputSide(modelId: string): Promise<number> {
  const preprocessor = (await (await fetch(`${MODEL_BASE_URL}models/${modelId}/preprocessor_config.json`)).json()) as {
    crop_size?: number | { height: number; width: number };
  };
  const crop = preprocessor.crop_size;
  const side = typeof crop === 'number' ? crop : crop?.height;
  if (!side) throw new Error(`no crop_size in ${modelId}/preprocessor_config.json`);
  return side;
}
