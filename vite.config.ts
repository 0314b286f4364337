import { defaultClientConditions, defineConfig, type Connect, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import tailwindcss from '@tailwindcss/vite';
import { readFileSync, createReadStream, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { VitePWA } from 'vite-plugin-pwa';
import { contentSecurityPolicy, parseModelHosts } from './src/lib/contentSecurityPolicy';
import { hostingHeaderFiles, type HostingHeaders } from './src/lib/hostingHeaders';

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
function answerFirstByteRanges(folderOf: () => string, headers: Record<string, string>): Connect.NextHandleFunction {
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
    // This answer skips the server's own header middleware: it carries the same headers itself.
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
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
      server.middlewares.use(answerFirstByteRanges(() => publicDir, DEV_RESPONSE_HEADERS));
    },
    configurePreviewServer(server) {
      server.middlewares.use(answerFirstByteRanges(() => outDir, APP_RESPONSE_HEADERS));
    },
  };
}

/** Cross-origin isolation enables SharedArrayBuffer, hence multithreaded WASM inference. */
const crossOriginIsolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The hosts a build may fetch models from besides itself (see src/lib/contentSecurityPolicy.ts):
 * the Hub, its CDN domains and this machine unless `ZSP_MODEL_HOSTS` names others, e.g.
 * `ZSP_MODEL_HOSTS="https://hf-mirror.com" npm run build` for a build that uses a mirror.
 */
const MODEL_HOSTS = parseModelHosts(process.env.ZSP_MODEL_HOSTS);

/**
 * What every response of the built app should carry, from any server we ship: isolation, the
 * policy as a real header (it then covers the workers too, which a <meta> policy does not, and can
 * forbid framing), and no MIME sniffing. The service worker adds the same set where a host can't.
 */
const APP_RESPONSE_HEADERS = {
  ...crossOriginIsolationHeaders,
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy': contentSecurityPolicy(MODEL_HOSTS, 'header'),
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** The dev server's: isolation only (its React refresh preamble is an inline script the policy would refuse). */
const DEV_RESPONSE_HEADERS = crossOriginIsolationHeaders;

const HOSTING_HEADERS: HostingHeaders = {
  all: APP_RESPONSE_HEADERS,
  paths: [
    // Content-hashed file names: a new version has new names.
    { pattern: '/assets/*', headers: { 'Cache-Control': 'public, max-age=31536000, immutable' } },
    // Always revalidated, so an update check sees a new version at once.
    { pattern: '/sw.js', headers: { 'Cache-Control': 'no-cache' } },
    { pattern: '/index.html', headers: { 'Cache-Control': 'no-cache' } },
  ],
};

/** The static hosts' header files (Netlify, Vercel, Azure) written next to the build. */
const HOSTING_FILES = hostingHeaderFiles(HOSTING_HEADERS);

/**
 * The policy as a <meta> in the built index.html, before anything it governs, so that any static
 * host serves it (GitHub Pages sends no headers we choose). Build only: the dev server's React
 * refresh preamble is an inline script.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'zsp-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      // Right after the charset (which must stay within the first 1024 bytes), before any script or stylesheet.
      handler: (html) => {
        const charset = '<meta charset="UTF-8" />';
        if (!html.includes(charset)) throw new Error(`index.html: expected ${charset} to put the Content-Security-Policy after`);
        const policy = contentSecurityPolicy(MODEL_HOSTS, 'meta').replaceAll("'", '&#39;');
        return html.replace(charset, `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${policy}" />`);
      },
    },
    generateBundle() {
      for (const { fileName, source } of HOSTING_FILES) this.emitFile({ type: 'asset', fileName, source });
    },
  };
}

/** Bigger than the largest precached file, the ORT asyncify binary (about 27 MB). */
const MAX_PRECACHED_FILE_BYTES = 40 * 1024 * 1024;

export default defineConfig({
  plugins: [
    react(),
    tailwindcss(),
    serveOrtRuntime(),
    serveFirstByteRanges(),
    contentSecurityPolicyMeta(),
    VitePWA({
      // Our own service worker (src/features/shell/worker/sw.ts), Workbox precaching inside: it also
      // has to add the isolation headers, which the generated one can't.
      strategies: 'injectManifest',
      srcDir: 'src/features/shell/worker',
      filename: 'sw.ts',
      // A new version waits until the user reloads from the banner; never swapped under a running batch.
      registerType: 'prompt',
      // Registered from the app's bundle (src/features/shell/client), no inline script.
      injectRegister: false,
      manifest: {
        name: 'Zero-Shot Playground',
        short_name: 'Zero-Shot',
        description: 'Rank your own labels for images and sounds with CLIP, Whisper or CLAP, entirely in your browser.',
        theme_color: '#0f172a',
        background_color: '#f8fafc',
        display: 'standalone',
        start_url: '.',
        scope: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      // The icons are in the globs below already.
      includeManifestIcons: false,
      injectManifest: {
        // The app shell, the ORT runtime under /ort/ and the built-in models under /models/: all the app needs offline.
        globPatterns: ['**/*.{html,js,mjs,css,wasm,onnx,json,png}'],
        // Host configuration, not part of the app.
        globIgnores: HOSTING_FILES.map((file) => file.fileName),
        maximumFileSizeToCacheInBytes: MAX_PRECACHED_FILE_BYTES,
      },
      // `npm run dev` runs without a service worker: Vite serves modules one by one, nothing to precache.
      devOptions: { enabled: false },
    }),
  ],
  // The response headers for the service worker, which adds them where a static host can't.
  define: { __ZSP_RESPONSE_HEADERS__: JSON.stringify(APP_RESPONSE_HEADERS) },
  server: { headers: DEV_RESPONSE_HEADERS },
  preview: { headers: APP_RESPONSE_HEADERS },
  worker: { format: 'es' },
  // onnxruntime-web's own switch for an external runtime: without it its default "bundle" build
  // inlines the asyncify glue, whose `new URL('ort-wasm-simd-threaded.asyncify.wasm', import.meta.url)`
  // makes Vite emit a second, never-fetched 27 MB copy of that binary into assets/ (the app loads
  // the runtime from /ort/ through wasmPaths, see runtimeEnv.ts).
  resolve: { conditions: [...defaultClientConditions, 'onnxruntime-web-use-extern-wasm'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
});
