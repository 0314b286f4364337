import { env } from '@huggingface/transformers';
import type { ModelSource } from '../shared/loadProtocol';
import { HostFetch } from '../shared/hostFetch';
import { PolicyViolationLog } from './policyViolations';

/**
 * The ORT runtime is served by the app itself (see vite.config.ts), never by a CDN. The asyncify
 * build is needed for WebGPU; a worker that will only use the CPU takes the plain build, which
 * skips asyncify's instrumentation overhead.
 */
const ORT_RUNTIME_PATHS = { webgpu: 'ort/ort-wasm-simd-threaded.asyncify', cpu: 'ort/ort-wasm-simd-threaded' } as const;
export type OrtRuntimeVariant = keyof typeof ORT_RUNTIME_PATHS;
/** More WASM threads than this stop paying off for models this size and starve the UI's core. */
const MAX_WASM_THREADS = 4;
/** Folder models are served to transformers.js through this made-up origin, resolved by our own fetch. */
const FOLDER_HOST = 'https://picked-folder.invalid/';
const HUB_PATH_TEMPLATE = '{model}/resolve/{revision}/';
const BUILTIN_PATH_TEMPLATE = '{model}/';
const defaultFetch: typeof env.fetch = env.fetch;
/** The browser's own fetch with the receiver it needs (a bare reference throws "Illegal invocation"). */
const browserFetch = (input: string, init?: RequestInit): Promise<Response> => self.fetch(input, init);

let policyViolations: PolicyViolationLog | null = null;

export function appBaseUrl(): string {
  return new URL(import.meta.env.BASE_URL, self.location.origin).toString();
}

let configuredVariant: OrtRuntimeVariant | null = null;

/**
 * ORT initialises once per worker, so the first call's variant stays (a WebGPU fallback keeps the
 * asyncify build, which runs on the CPU too). transformers.js presets wasmPaths to a CDN: always overwrite.
 */
export function configureOrtRuntime(variant: OrtRuntimeVariant): number {
  const onnx = env.backends.onnx;
  const base = appBaseUrl();
  if (onnx.wasm) {
    configuredVariant ??= variant;
    const path = ORT_RUNTIME_PATHS[configuredVariant];
    onnx.wasm.wasmPaths = { mjs: `${base}${path}.mjs`, wasm: `${base}${path}.wasm` };
    // transformers.js would otherwise fetch the binary itself and hand ORT the bytes (wasmBinary), so
    // ORT compiles from an ArrayBuffer on every load: no streaming compilation while it downloads and
    // no reuse of the browser's wasm code cache. The app serves /ort/ itself; the HTTP cache keeps it.
    // Production builds only: under the Vite dev server (`npm start`, the bench's server) ORT's own
    // fetch of the binary never completed the session (measured: the model stayed "loading"), so
    // dev keeps transformers.js's fetch-and-hand-over path, which works there.
    env.useWasmCache = !import.meta.env.PROD;
    // Threads need SharedArrayBuffer, which only cross-origin-isolated pages get.
    const threads = self.crossOriginIsolated ? Math.min(MAX_WASM_THREADS, self.navigator.hardwareConcurrency || 1) : 1;
    onnx.wasm.numThreads = threads;
    return threads;
  }
  return 1;
}

/**
 * Points transformers.js at where this model's files live. The worker loads one model at a time.
 * Network sources download through a HostFetch (stall timeout, broken-off bodies, the statuses the
 * host answered), which it returns for the load to explain failures with; a picked folder needs none.
 */
export function configureModelSource(source: ModelSource): HostFetch | null {
  env.fetch = defaultFetch;
  if (source.kind !== 'folder') {
    // One listener for the worker's life, made by the first network load.
    policyViolations ??= PolicyViolationLog.listeningOn(self);
    const hostFetch = new HostFetch(browserFetch, source.stallTimeoutMs, policyViolations);
    env.fetch = hostFetch.fetch;
    configureNetworkSource(source);
    return hostFetch;
  }
  const files = new Map(source.files.map(({ path, file }) => [path, file]));
  env.allowLocalModels = false;
  env.allowRemoteModels = true;
  env.remoteHost = FOLDER_HOST;
  env.remotePathTemplate = HUB_PATH_TEMPLATE;
  env.useBrowserCache = false;
  env.fetch = (input: string | URL) => {
    const url = new URL(input.toString());
    // {model}/resolve/{revision}/{path…}: the model id is two segments, the revision one.
    const path = decodeURIComponent(url.pathname).split('/').slice(5).join('/');
    const file = files.get(path);
    if (!file) return Promise.resolve(new Response(`${path} is not in the picked folder`, { status: 404 }));
    return Promise.resolve(new Response(file, { status: 200, headers: { 'Content-Length': String(file.size) } }));
  };
  return null;
}

function configureNetworkSource(source: Exclude<ModelSource, { kind: 'folder' }>): void {
  switch (source.kind) {
    case 'builtin':
      // Served by the app in the Hub's file layout, so they load through the same remote path as Hub models.
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = `${source.baseUrl}models/`;
      env.remotePathTemplate = BUILTIN_PATH_TEMPLATE;
      // Built-in files are part of the app; the HTTP cache covers them, no need to duplicate them in Cache Storage.
      env.useBrowserCache = false;
      return;
    case 'hub':
      env.allowLocalModels = false;
      env.allowRemoteModels = true;
      env.remoteHost = source.host;
      env.remotePathTemplate = HUB_PATH_TEMPLATE;
      env.useBrowserCache = true;
      return;
  }
}

/** Where this source keeps a model's `config.json`: the file a pre-flight check asks for. */
export function configUrlOf(source: ModelSource, modelId: string): string | null {
  switch (source.kind) {
    case 'builtin':
      return `${source.baseUrl}models/${modelId}/config.json`;
    case 'hub':
      return `${source.host}${modelId}/resolve/main/config.json`;
    case 'folder':
      return null;
  }
}
