import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { readFileSync, createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The ONNX Runtime WebAssembly files loaded at run time: the asyncify build (WebGPU and CPU) that
 * transformers.js's bundle expects, and the plain build, used when a worker will only run on the CPU.
 */
export const ORT_RUNTIME_FILES = [
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
] as const;
export const ORT_PUBLIC_DIR = 'ort';

// Resolve onnxruntime-web as transformers.js does, so the runtime files match the version it bundles.
const requireFromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
const ortDist = dirname(requireFromTransformers.resolve('onnxruntime-web'));

/**
 * Serves the ORT runtime from node_modules in dev and emits it into the build, so the app never
 * reaches a CDN for it (transformers.js defaults to jsDelivr when no wasmPaths are set).
 */
function serveOrtRuntime(): Plugin {
  return {
    name: 'zsp-serve-ort-runtime',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const match = req.url?.match(new RegExp(`/${ORT_PUBLIC_DIR}/([^?]+)`));
        const file = match?.[1];
        if (!file || !(ORT_RUNTIME_FILES as readonly string[]).includes(file)) return next();
        const path = join(ortDist, file);
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', statSync(path).size);
        createReadStream(path).pipe(res);
      });
    },
    generateBundle() {
      for (const file of ORT_RUNTIME_FILES) {
        this.emitFile({ type: 'asset', fileName: `${ORT_PUBLIC_DIR}/${file}`, source: readFileSync(join(ortDist, file)) });
      }
    },
  };
}

/** Cross-origin isolation enables SharedArrayBuffer, hence multithreaded WASM inference. */
const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), tailwindcss(), serveOrtRuntime()],
  server: { headers: crossOriginIsolationHeaders },
  preview: { headers: crossOriginIsolationHeaders },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
});
