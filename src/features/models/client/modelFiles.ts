import { catalogEntryFor, chooseDtype, filesToDownload } from '../shared/catalog';
import { type DtypePreference, type ModelDtype } from '../../../lib/workerReports';
import { type Task } from '../../../lib/tasks';
import type { Backend } from '../../../lib/workerReports';
import type { BackendPreference } from '../../../lib/urlState';
import { HostFetch } from '../shared/hostFetch';
import { stallTimeoutOverride } from '../shared/stallTimeout';

/** transformers.js keeps downloaded model files in this Cache Storage bucket (its default key). */
export const MODEL_CACHE_NAME = 'transformers-cache';

export interface PlannedDownload {
  backend: Backend;
  dtype: ModelDtype;
  files: Array<{ file: string; bytes: number | null }>;
  totalBytes: number | null;
}

/** Mirrors the worker's choice of backend and dtype, so the size shown is the size that will download. */
export async function plannedBackend(preference: BackendPreference): Promise<{ backend: Backend; hasF16: boolean }> {
  if (preference === 'wasm' || !navigator.gpu) return { backend: 'wasm', hasF16: false };
  const adapter = await navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { backend: 'wasm', hasF16: false };
  return { backend: 'webgpu', hasF16: adapter.features.has('shader-f16') };
}

/**
 * Asks for the first byte only, as transformers.js does. The Hub answers a large (LFS) file with a
 * 302 to its CDN, which the browser follows (it can't be stopped at the redirect: `redirect: 'manual'`
 * hides every header) keeping the Range header, so the CDN's 206 gives the full size in
 * Content-Range; small files answer 206 directly. `X-Linked-Size`, the Hub's own size header, is
 * read when a mirror answers with it without redirecting. A server without range support answers
 * 200 and we stop reading.
 */
async function remoteFileSize(hostFetch: HostFetch, url: string, signal: AbortSignal): Promise<number | null> {
  // Through the downloads' own HostFetch: a host that accepts the request and then says nothing
  // fails after the same stall timeout (and the same ?stallTimeoutMs override), and a slow but
  // live answer is not cut off by a total deadline.
  const response = await hostFetch.fetch(url, { headers: { Range: 'bytes=0-0' }, cache: 'no-store', signal });
  if (!response.ok) return null;
  const total = response.headers.get('content-range')?.match(/\/(\d+)$/)?.[1];
  const linked = response.headers.get('x-linked-size');
  const length = response.headers.get('content-length');
  await response.body?.cancel().catch(() => undefined);
  if (total) return Number(total);
  if (linked && /^\d+$/.test(linked)) return Number(linked);
  return response.status === 200 && length !== null ? Number(length) : null;
}

/** Asks the host for each file's size before anything downloads (one-byte range requests). */
export async function planDownload(
  task: Task,
  modelId: string,
  host: string,
  preference: BackendPreference,
  signal: AbortSignal,
  dtypePreference: DtypePreference = 'auto',
): Promise<PlannedDownload> {
  const entry = catalogEntryFor(task, modelId);
  const { backend, hasF16 } = await plannedBackend(preference);
  const dtype = chooseDtype(entry, backend, hasF16, dtypePreference);
  const hostFetch = new HostFetch((input, init) => fetch(input, init), stallTimeoutOverride(location.search));
  const files = await Promise.all(
    filesToDownload(entry, dtype).map(async (file) => ({
      file,
      bytes: await remoteFileSize(hostFetch, `${host}${modelId}/resolve/main/${file}`, signal).catch(() => null),
    })),
  );
  const known = files.every((f) => f.bytes !== null);
  return { backend, dtype, files, totalBytes: known ? files.reduce((sum, f) => sum + (f.bytes ?? 0), 0) : null };
}

export interface CachedModel {
  modelId: string;
  files: number;
  bytes: number;
}

/** Groups the cached files by model id, read from their `{host}{owner}/{name}/resolve/...` URLs. */
export async function listCachedModels(): Promise<CachedModel[]> {
  if (!('caches' in self)) return [];
  const cache = await caches.open(MODEL_CACHE_NAME);
  const byModel = new Map<string, CachedModel>();
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    const match = path.match(/^\/(.+?\/.+?)\/resolve\//);
    // transformers.js also caches the ONNX Runtime WebAssembly binary it fetched from the app.
    const modelId = match?.[1] ?? (path.includes('/ort/') ? 'ONNX Runtime (WebAssembly)' : 'other files');
    const response = await cache.match(request);
    const bytes = Number(response?.headers.get('content-length') ?? 0);
    const entry = byModel.get(modelId) ?? { modelId, files: 0, bytes: 0 };
    byModel.set(modelId, { modelId, files: entry.files + 1, bytes: entry.bytes + bytes });
  }
  return [...byModel.values()].sort((a, b) => a.modelId.localeCompare(b.modelId));
}

export async function clearModelCache(): Promise<void> {
  if ('caches' in self) await caches.delete(MODEL_CACHE_NAME);
}

