import { defaultClientConditions, defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { readFileSync, createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, resolve, sep } from 'node:path';

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
        const stats = statSync(path);
        // Validators, as `vite preview` sends them: the browser keeps the file in its HTTP cache (and
        // the wasm's compiled code in its code cache, which hangs off that entry) and revalidates it.
        const etag = `W/"${stats.size}-${stats.mtime.getTime()}"`;
        res.setHeader('Cache-Control', 'no-cache');
        res.setHeader('ETag', etag);
        res.setHeader('Last-Modified', stats.mtime.toUTCString());
        if (req.headers['if-none-match'] === etag) {
          res.statusCode = 304;
          res.end();
          return;
        }
        res.setHeader('Content-Type', file.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', stats.size);
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

/**
 * Answers `Range: bytes=0-0` with one byte. transformers.js asks every model file's size that way
 * (when a progress callback is given, as the app does); the static server of `vite` and `vite
 * preview` (sirv) reads the end 0 as "to the end" and sends the whole file as a 206, so each model
 * file came down twice there. Static hosts (and the Hub) answer with the one byte.
 */
function answerFirstByteRanges(folderOf: () => string): Connect.NextHandleFunction {
  return (req, res, next) => {
    if (req.headers.range !== 'bytes=0-0' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const folder = resolve(folderOf());
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      return next();
    }
    const path = normalize(join(folder, pathname));
    if (!path.startsWith(folder + sep) || !existsSync(path) || !statSync(path).isFile()) return next();
    const { size } = statSync(path);
    if (size === 0) return next();
    for (const [name, value] of Object.entries(crossOriginIsolationHeaders)) res.setHeader(name, value);
    res.statusCode = 206;
    res.setHeader('Content-Range', `bytes 0-0/${size}`);
    res.setHeader('Content-Length', 1);
    res.setHeader('Content-Type', path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.setHeader('Cache-Control', 'no-cache');
    if (req.method === 'HEAD') return res.end();
    createReadStream(path, { start: 0, end: 0 }).pipe(res);
  };
}

function serveFirstByteRanges(): Plugin {
  let publicDir = '';
  let outDir = '';
  return {
    name: 'zsp-first-byte-ranges',
    configResolved(config) {
      publicDir = config.publicDir;
      outDir = resolve(config.root, config.build.outDir);
    },
    configureServer(server) {
      server.middlewares.use(answerFirstByteRanges(() => publicDir));
    },
    configurePreviewServer(server) {
      server.middlewares.use(answerFirstByteRanges(() => outDir));
    },
  };
}

/** Cross-origin isolation enables SharedArrayBuffer, hence multithreaded WASM inference. */
const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react(), tailwindcss(), serveOrtRuntime(), serveFirstByteRanges()],
  server: { headers: crossOriginIsolationHeaders },
  preview: { headers: crossOriginIsolationHeaders },
  worker: { format: 'es' },
  // onnxruntime-web's own switch for an external runtime: without it its default "bundle" build
  // inlines the asyncify glue, whose `new URL('ort-wasm-simd-threaded.asyncify.wasm', import.meta.url)`
  // makes Vite emit a second, never-fetched 27 MB copy of that binary into assets/ (the app loads
  // the runtime from /ort/ through wasmPaths, see runtimeEnv.ts).
  resolve: { conditions: [...defaultClientConditions, 'onnxruntime-web-use-extern-wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
});
