/**
 * Model loading shared by every model worker: where the files come from, a plain-language
 * pre-flight check, our own per-file progress records, and WebGPU with a WASM fallback.
 */
import { ModelFileNotFoundError, env, type ProgressInfo } from '@huggingface/transformers';
import type { ModelDtype, ModelFamily } from '../../../lib/workerReports';
import type { LoadModelRequest, ModelSource } from '../shared/loadProtocol';
import type { Backend, FileProgress, LoadErrorKind, LoadedModelInfo } from '../../../lib/workerReports';
import { configUrlOf, configureModelSource, configureOrtRuntime } from './runtimeEnv';

export class ModelLoadError extends Error {
  constructor(
    readonly kind: LoadErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function sourceKeyOf(source: ModelSource): string {
  switch (source.kind) {
    case 'builtin':
      return 'builtin';
    case 'hub':
      return source.host;
    case 'folder':
      return `folder:${source.name}`;
  }
}

async function webGpuAdapter(): Promise<GPUAdapter | null> {
  if (!('gpu' in self.navigator) || !self.navigator.gpu) return null;
  try {
    return await self.navigator.gpu.requestAdapter();
  } catch {
    return null;
  }
}

/** Turns transformers.js's progress events into our own per-file records. */
export class FileProgressTracker {
  private readonly files = new Map<string, FileProgress>();
  constructor(private readonly report: (files: FileProgress[]) => void) {}

  readonly onProgress = (event: ProgressInfo): void => {
    if (event.status === 'ready' || event.status === 'progress_total') return;
    const current = this.files.get(event.file) ?? { file: event.file, loaded: 0, total: 0, done: false };
    if (event.status === 'progress') this.files.set(event.file, { ...current, loaded: event.loaded, total: event.total });
    else if (event.status === 'done') this.files.set(event.file, { ...current, loaded: Math.max(current.loaded, current.total), done: true });
    else this.files.set(event.file, current);
    this.report([...this.files.values()]);
  };
}

export function classifyLoadError(error: unknown): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ModelFileNotFoundError || /\b(404|401)\b|not found|could not locate/i.test(message))
    return new ModelLoadError('not-found', `A file of the model was not found: ${message}`);
  return new ModelLoadError('other', message);
}

async function isInModelCache(url: string): Promise<boolean> {
  if (!('caches' in self)) return false;
  const cache = await caches.open(env.cacheKey);
  return (await cache.match(url)) !== undefined;
}

/**
 * Asks for config.json before handing over to transformers.js, which reports a missing file and
 * a dead host in ways that are hard to tell apart (sometimes as a TypeError further down).
 * Returns the parsed config (null when it was not fetched because the model is cached).
 */
async function preflight(source: ModelSource, modelId: string): Promise<void> {
  if (source.kind === 'folder') {
    if (!source.files.some((f) => f.path === 'config.json'))
      throw new ModelLoadError('invalid-model', `The folder "${source.name}" has no config.json at its top level.`);
    return;
  }
  const url = configUrlOf(source, modelId);
  if (!url) return;
  // A model already in the browser cache loads offline and needs no question to the host.
  if (source.kind === 'hub' && (await isInModelCache(url))) return;
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (error) {
    const host = source.kind === 'hub' ? source.host : source.baseUrl;
    throw new ModelLoadError('unreachable', `${host} could not be reached (${error instanceof Error ? error.message : String(error)}).`);
  }
  if (response.status === 404 || response.status === 401) {
    await response.body?.cancel().catch(() => undefined);
    throw new ModelLoadError('not-found', `No model "${modelId}" at ${url} (HTTP ${response.status}).`);
  }
  if (!response.ok) throw new ModelLoadError('other', `The model host answered HTTP ${response.status} for ${url}.`);
  // Static hosts often answer a missing file with their index page; that is not a model.
  const config: unknown = await response.json().catch(() => null);
  if (typeof config !== 'object' || config === null || !('model_type' in config))
    throw new ModelLoadError('not-found', `No model "${modelId}" at ${url}: the host did not answer with a model config.`);
}

/** What a task's loader returns for one backend; the shared code adds the `info` record. */
export interface BackendLoad {
  dtype: ModelDtype;
  family?: ModelFamily;
  loadMs: number;
  warmupMs: number;
}

/**
 * User-timing names of a model load, on the worker's timeline, for start-up profiling
 * (bench/node/startup.ts reads them by these names): the whole load, and its session-creation and warm-up parts.
 */
const LOAD_TIMING = { start: 'zsp:model-load-start', sessions: 'zsp:model-sessions', warmup: 'zsp:model-warmup', ready: 'zsp:model-ready' } as const;

/** Puts a finished load on the worker's performance timeline; the warm-up ends where the load ended. */
function markLoaded(loaded: BackendLoad): void {
  const ready = performance.mark(LOAD_TIMING.ready).startTime;
  performance.measure(LOAD_TIMING.warmup, { end: ready, duration: loaded.warmupMs });
  performance.measure(LOAD_TIMING.sessions, { end: ready - loaded.warmupMs, duration: loaded.loadMs });
}

export type LoadOnBackend<T extends BackendLoad> = (backend: Backend, adapter: GPUAdapter | null, tracker: FileProgressTracker) => Promise<T>;

/**
 * Loads on WebGPU when asked for or available, and falls back to WASM (saying why) if WebGPU is
 * missing or fails to load or warm up. `loadOn` loads, then warms up, the task's model.
 */
export async function loadWithBackendFallback<T extends BackendLoad>(
  request: LoadModelRequest,
  reportFiles: (files: FileProgress[]) => void,
  loadOn: LoadOnBackend<T>,
): Promise<T & { info: LoadedModelInfo; sourceKey: string }> {
  performance.mark(LOAD_TIMING.start);
  const adapter = request.backend === 'wasm' ? null : await webGpuAdapter();
  const threads = configureOrtRuntime(adapter ? 'webgpu' : 'cpu');
  configureModelSource(request.source);
  await preflight(request.source, request.modelId);
  const tracker = new FileProgressTracker(reportFiles);
  const sourceKey = sourceKeyOf(request.source);

  let fallbackReason: string | undefined;
  if (request.backend !== 'wasm') {
    if (adapter) {
      try {
        const loaded = await loadOn('webgpu', adapter, tracker);
        markLoaded(loaded);
        return { ...loaded, sourceKey, info: infoOf(request, loaded, 'webgpu', threads) };
      } catch (error) {
        const classified = classifyLoadError(error);
        // Missing files or an unreachable host fail the same way on WASM: don't download twice to find out.
        if (classified.kind === 'not-found' || classified.kind === 'unreachable') throw classified;
        fallbackReason = `WebGPU failed (${classified.message}); running on WebAssembly instead.`;
      }
    } else if (request.backend === 'webgpu') {
      fallbackReason = 'This browser offers no WebGPU adapter; running on WebAssembly instead.';
    }
  }
  try {
    const loaded = await loadOn('wasm', null, tracker);
    markLoaded(loaded);
    return { ...loaded, sourceKey, info: infoOf(request, loaded, 'wasm', threads, fallbackReason) };
  } catch (error) {
    throw classifyLoadError(error);
  }
}

function infoOf(request: LoadModelRequest, loaded: BackendLoad, backend: Backend, threads: number, fallbackReason?: string): LoadedModelInfo {
  return {
    modelId: request.modelId,
    backend,
    dtype: loaded.dtype,
    ...(loaded.family ? { family: loaded.family } : {}),
    threads: backend === 'wasm' ? threads : 1,
    loadMs: loaded.loadMs,
    warmupMs: loaded.warmupMs,
    ...(fallbackReason ? { fallbackReason } : {}),
  };
}
