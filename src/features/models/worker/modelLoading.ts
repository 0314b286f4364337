/**
 * Model loading shared by every model worker: where the files come from, a plain-language
 * pre-flight check, our own per-file progress records, and WebGPU with a WASM fallback.
 */
import { env, type ProgressInfo } from '@huggingface/transformers';
import { formatBytes } from '../../../lib/format';
import type { Task } from '../../../lib/tasks';
import type { ModelDtype, ModelFamily } from '../../../lib/workerReports';
import type { LoadModelRequest, ModelSource } from '../shared/loadProtocol';
import { modelKindMismatch } from '../shared/modelKinds';
import type { Backend, FileProgress, LoadErrorKind, LoadedModelInfo } from '../../../lib/workerReports';
import { BlockedByPolicyError, HostFetch, HostStalledError, TruncatedDownloadError, type PolicyRefusal } from '../shared/hostFetch';
import { policyAllowsConnect } from '../../../lib/contentSecurityPolicy';
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

/** What a failure is explained against: the model, where it came from, and what the host answered. */
export interface LoadContext {
  source: ModelSource;
  modelId: string;
  hostFetch: HostFetch | null;
}

function hostOf(source: ModelSource): string {
  switch (source.kind) {
    case 'builtin':
      return source.baseUrl;
    case 'hub':
      return source.host;
    case 'folder':
      return `the folder "${source.name}"`;
  }
}

/** The repository path of a model file URL (`onnx/vision_model.onnx`), or the URL when it is not one. */
export function fileOfUrl(url: string, modelId: string): string {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return url;
  }
  const marker = `/${modelId}/`;
  const at = path.indexOf(marker);
  if (at < 0) return url;
  const rest = path.slice(at + marker.length);
  // Hub layout: {model}/resolve/{revision}/{file}; the built-in models: {model}/{file}.
  return rest.startsWith('resolve/') ? rest.split('/').slice(2).join('/') : rest;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function receivedOf(received: number | null, expected: number | null): string {
  if (received === null) return 'before the first byte';
  return expected === null ? `after ${formatBytes(received)}` : `after ${formatBytes(received)} of ${formatBytes(expected)}`;
}

/** The plain-language failure for an HTTP status the host answered for one file. */
function statusFailure(status: number, errorCode: string | null, file: string, context: LoadContext): ModelLoadError {
  const { modelId, source } = context;
  const host = hostOf(source);
  const code = errorCode ? `, ${errorCode}` : '';
  if (status === 401 || status === 403)
    return new ModelLoadError(
      'no-access',
      `${modelId} was not found on ${host}, or it is private or gated and needs access (HTTP ${status}${code} for ${file}). The Hub answers both the same way; this app downloads public models only.`,
    );
  if (status === 404)
    return file === 'config.json'
      ? new ModelLoadError('not-found', `No model "${modelId}" at ${host}: it has no config.json (HTTP 404${code}).`)
      : new ModelLoadError('not-found', `${file} is missing from ${modelId} on ${host} (HTTP 404${code}).`);
  if (status >= 500)
    return new ModelLoadError('server-error', `${host} had an error serving ${file} of ${modelId} (HTTP ${status}). This is usually temporary: retry in a moment.`);
  return new ModelLoadError('other', `${host} answered HTTP ${status} for ${file} of ${modelId}.`);
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * The refusal in words: the host the browser refused, or, when the request's own host is allowed,
 * that it was a host the request was redirected to (the browser names only the request, never the
 * redirect's target, e.g. a mirror's CDN), and which hosts the build allows.
 */
/** Whether one of these host sources allows the URL ('self' is not among them, and the app's own origin is never refused: no origin needed). */
function isListed(hosts: string, url: string): boolean {
  try {
    return policyAllowsConnect(`connect-src ${hosts}`, new URL(url), 'null');
  } catch {
    return false;
  }
}

function blockedByPolicy(url: string, refusal: PolicyRefusal, modelId: string): ModelLoadError {
  const requested = originOf(url);
  const hosts = refusal.allowedHosts.join(' ');
  // The request's own host is allowed: the refused hop was a redirect.
  const redirected = isListed(hosts, url);
  const what = redirected
    ? `${requested} redirected the download of ${fileOfUrl(url, modelId)} to another host, and the browser refused to connect to that one (it does not say which; a mirror's CDN, say)`
    : `The browser refused to connect to ${requested} for ${fileOfUrl(url, modelId)}`;
  return new ModelLoadError(
    'blocked-by-policy',
    `${what}. This build of the app may download models only from ${hosts} (its Content-Security-Policy, set by ZSP_MODEL_HOSTS when it was built). Use a model host in that list, or a build whose ZSP_MODEL_HOSTS names ${redirected ? 'the host the download is redirected to' : 'this host'}.`,
  );
}

/** ORT's words for an ONNX file it could not parse (random bytes, a file cut short). */
const UNREADABLE_ONNX = /protobuf parsing failed|INVALID_PROTOBUF|ERROR_CODE: 7\b/i;

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 5; current = current instanceof Error ? current.cause : undefined) chain.push(current);
  return chain;
}

/** Names the failure of a load in words the model panel can show, from what the host answered and what broke. */
export function classifyLoadError(error: unknown, context: LoadContext): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  const { modelId, source, hostFetch } = context;
  const chain = errorChain(error);
  const stalled = chain.find((e): e is HostStalledError => e instanceof HostStalledError);
  if (stalled)
    return new ModelLoadError(
      'stalled',
      `The model host stopped sending data: nothing arrived for ${seconds(stalled.timeoutMs)} while downloading ${fileOfUrl(stalled.url, modelId)} (${receivedOf(stalled.received, stalled.expected)}), so the download was stopped.`,
    );
  const truncated = chain.find((e): e is TruncatedDownloadError => e instanceof TruncatedDownloadError);
  if (truncated)
    return new ModelLoadError(
      'truncated',
      `The download of ${fileOfUrl(truncated.url, modelId)} broke off ${receivedOf(truncated.received, truncated.expected)}: the connection closed before the file was complete. Nothing of it was kept.`,
    );
  const blocked = chain.find((e): e is BlockedByPolicyError => e instanceof BlockedByPolicyError);
  if (blocked) return blockedByPolicy(blocked.url, blocked.refusal, modelId);
  const message = error instanceof Error ? error.message : String(error);
  for (const [url, refusal] of hostFetch?.refusals ?? []) {
    if (message.includes(url)) return blockedByPolicy(url, refusal, modelId);
  }
  // transformers.js names the URL it failed on; what the host answered for it says why.
  for (const [url, answer] of hostFetch?.failures ?? []) {
    if (message.includes(url)) return statusFailure(answer.status, answer.errorCode, fileOfUrl(url, modelId), context);
  }
  if (UNREADABLE_ONNX.test(message))
    return new ModelLoadError(
      'corrupt',
      `An ONNX file of ${modelId} could not be read: it is damaged or is not an ONNX file (${message}). The downloaded copy was removed from the cache, so a retry downloads it again.`,
    );
  // A dead host mid-download: fetch's TypeError ("Failed to fetch", "NetworkError…").
  if (error instanceof TypeError && /fetch|network/i.test(message))
    return new ModelLoadError('unreachable', `No answer from ${hostOf(source)} (${message}): the host is down, or this device is offline.`);
  if (/could not locate|not found/i.test(message)) return new ModelLoadError('not-found', `A file of the model was not found: ${message}`);
  return new ModelLoadError('other', message);
}

async function cachedResponse(url: string): Promise<Response | undefined> {
  if (!('caches' in self)) return undefined;
  const cache = await caches.open(env.cacheKey);
  return cache.match(url);
}

/** Drops a model's files from the download cache (a damaged file must not be read back on the retry). */
async function evictFromModelCache(source: ModelSource, modelId: string): Promise<void> {
  if (source.kind !== 'hub' || !('caches' in self)) return;
  const cache = await caches.open(env.cacheKey);
  const prefix = `${source.host}${modelId}/`;
  for (const request of await cache.keys()) if (request.url.startsWith(prefix)) await cache.delete(request);
}

/** The model's config.json, parsed; a ModelLoadError when the host's answer says there is no model. */
async function fetchConfig(source: Exclude<ModelSource, { kind: 'folder' }>, modelId: string, hostFetch: HostFetch): Promise<unknown> {
  const url = configUrlOf(source, modelId)!;
  // A model already in the browser cache loads offline and needs no question to the host.
  const cached = source.kind === 'hub' ? await cachedResponse(url) : undefined;
  let response: Response;
  if (cached) response = cached;
  else {
    try {
      response = await hostFetch.fetch(url, { cache: 'no-store' });
    } catch (error) {
      const classified = classifyLoadError(error, { source, modelId, hostFetch });
      if (classified.kind !== 'other') throw classified;
      throw new ModelLoadError('unreachable', `No answer from ${hostOf(source)} (${error instanceof Error ? error.message : String(error)}): the host is down, or this device is offline.`);
    }
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    throw statusFailure(response.status, response.headers.get('x-error-code'), 'config.json', { source, modelId, hostFetch });
  }
  // Static hosts often answer a missing file with their index page; that is not a model.
  const config: unknown = await response.json().catch(() => null);
  if (typeof config !== 'object' || config === null || !('model_type' in config))
    throw new ModelLoadError('not-found', `No model "${modelId}" at ${url}: the host did not answer with a model config.`);
  return config;
}

/**
 * Reads config.json before handing over to transformers.js, which reports a missing file and a
 * dead host in ways that are hard to tell apart (sometimes as a TypeError further down), and checks
 * that the model is of a kind this task runs, all before any weights download.
 */
async function preflight(task: Task, source: ModelSource, modelId: string, hostFetch: HostFetch | null): Promise<void> {
  let config: unknown;
  if (source.kind === 'folder') {
    const file = source.files.find((f) => f.path === 'config.json')?.file;
    if (!file) throw new ModelLoadError('invalid-model', `The folder "${source.name}" has no config.json at its top level.`);
    config = await file.text().then((text) => JSON.parse(text) as unknown, () => null);
    if (typeof config !== 'object' || config === null) throw new ModelLoadError('invalid-model', `The folder "${source.name}" has a config.json that is not JSON.`);
  } else {
    config = await fetchConfig(source, modelId, hostFetch!);
  }
  const modelType = typeof config === 'object' && config !== null && 'model_type' in config ? config.model_type : undefined;
  const mismatch = modelKindMismatch(task, modelId, modelType);
  if (mismatch) throw new ModelLoadError('wrong-kind', mismatch);
}

/** Failures that are about the files or the host, not the backend: WASM would fail the same way, so it is not tried. */
const NOT_A_BACKEND_PROBLEM: ReadonlySet<LoadErrorKind> = new Set([
  'not-found',
  'unreachable',
  'blocked-by-policy',
  'no-access',
  'server-error',
  'stalled',
  'truncated',
  'wrong-kind',
]);

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
  task: Task,
  request: LoadModelRequest,
  reportFiles: (files: FileProgress[]) => void,
  loadOn: LoadOnBackend<T>,
): Promise<T & { info: LoadedModelInfo; sourceKey: string }> {
  performance.mark(LOAD_TIMING.start);
  const adapter = request.backend === 'wasm' ? null : await webGpuAdapter();
  const threads = configureOrtRuntime(adapter ? 'webgpu' : 'cpu');
  const hostFetch = configureModelSource(request.source);
  const context: LoadContext = { source: request.source, modelId: request.modelId, hostFetch };
  await preflight(task, request.source, request.modelId, hostFetch);
  const tracker = new FileProgressTracker(reportFiles);
  const sourceKey = sourceKeyOf(request.source);
  const fail = async (error: unknown): Promise<never> => {
    const classified = classifyLoadError(error, context);
    if (classified.kind === 'corrupt') await evictFromModelCache(request.source, request.modelId).catch(() => undefined);
    throw classified;
  };

  let fallbackReason: string | undefined;
  if (request.backend !== 'wasm') {
    if (adapter) {
      try {
        const loaded = await loadOn('webgpu', adapter, tracker);
        markLoaded(loaded);
        return { ...loaded, sourceKey, info: infoOf(request, loaded, 'webgpu', threads) };
      } catch (error) {
        const classified = classifyLoadError(error, context);
        // Missing files, a host that fails or stalls, fail the same way on WASM: don't download twice to find out.
        if (NOT_A_BACKEND_PROBLEM.has(classified.kind)) return fail(classified);
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
    return fail(error);
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
