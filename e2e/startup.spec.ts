/**
 * Start-up: what the build ships and what the app fetches to start.
 *
 * - The build emits the ONNX Runtime WebAssembly only under /ort/ (the copies the app points
 *   wasmPaths at), never a second hashed copy in assets/ (onnxruntime-web's bundle build would make
 *   Vite emit its 27 MB asyncify binary there, fetched by nobody).
 * - On WASM the app fetches the plain build's binary only; on WebGPU the asyncify one only (the
 *   WebGPU execution provider needs it). Each served as application/wasm, which streaming
 *   compilation (and with it the browser's wasm code cache) needs.
 * - `Range: bytes=0-0` (how transformers.js asks a file's size) is answered with one byte.
 * Nothing here measures time.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { BrowserContext } from '@playwright/test';
import { test, expect } from './support/test';
import type { Backend } from './pages/playground-page';

const DIST_DIR = process.env.ZSP_DIST_DIR ?? 'dist';
const ORT_DIR = 'ort';
/** The WASM backend runs ORT's plain build; WebGPU needs the asyncify build (runtimeEnv.ts). */
const EXPECTED_WASM: Record<Backend, string> = {
  wasm: 'ort-wasm-simd-threaded.wasm',
  webgpu: 'ort-wasm-simd-threaded.asyncify.wasm',
};
const EXPECTED_ORT_FILES = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
];

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)));
}

/** Every .wasm the page or its workers asked for, with the content type it came back with. */
function recordWasmResponses(context: BrowserContext): Array<{ path: string; contentType: string; status: number }> {
  const seen: Array<{ path: string; contentType: string; status: number }> = [];
  context.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path.endsWith('.wasm')) seen.push({ path, contentType: response.headers()['content-type'] ?? '', status: response.status() });
  });
  return seen;
}

test('the build ships the ORT runtime once, under /ort/, and no wasm in assets/', () => {
  expect(existsSync(join(DIST_DIR, 'index.html')), `${DIST_DIR} is a build (vite build --outDir ${DIST_DIR})`).toBe(true);
  const wasmFiles = filesUnder(DIST_DIR).filter((file) => file.endsWith('.wasm'));
  expect(wasmFiles.filter((file) => !file.startsWith(`${ORT_DIR}/`)), 'wasm files outside ort/').toEqual([]);
  expect(filesUnder(join(DIST_DIR, ORT_DIR)).sort()).toEqual(EXPECTED_ORT_FILES);
});

for (const backend of ['wasm', 'webgpu'] as const satisfies readonly Backend[]) {
  test(`on ${backend} the app fetches only ${EXPECTED_WASM[backend]}, as application/wasm`, async ({ playground, page }) => {
    const wasmResponses = recordWasmResponses(page.context());
    await playground.open({ model: 'builtin/clip-shapes', backend });
    await playground.expectModelReady({ backend, model: 'builtin/clip-shapes' });
    await expect(playground.modelStatus).toHaveAttribute('data-backend', backend);

    expect([...new Set(wasmResponses.map((response) => response.path))]).toEqual([`/${ORT_DIR}/${EXPECTED_WASM[backend]}`]);
    for (const response of wasmResponses) {
      expect(response.status).toBe(200);
      expect(response.contentType).toBe('application/wasm');
    }
  });
}

test('a one-byte range request gets one byte (how transformers.js asks a model file its size), with the app\'s response headers', async ({ request }) => {
  const response = await request.get('/models/builtin/clip-shapes/onnx/text_model.onnx', { headers: { Range: 'bytes=0-0' } });
  expect(response.status()).toBe(206);
  expect(response.headers()['content-range']).toMatch(/^bytes 0-0\/\d+$/);
  expect((await response.body()).length).toBe(1);
  // The same security headers as any other answer of the server (its index.html here).
  const page = (await request.get('/')).headers();
  for (const name of ['content-security-policy', 'cross-origin-resource-policy', 'cross-origin-opener-policy', 'cross-origin-embedder-policy', 'x-content-type-options']) {
    expect(page[name], `${name} on the page`).toBeTruthy();
    expect(response.headers()[name], name).toBe(page[name]);
  }
});
