import { createReadStream, existsSync, statSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { build, createServer, preview, type Plugin, type ViteDevServer } from 'vite';
import { log } from './pageCalls';

/** URL prefix under which bench/.models/<name>/ is served, so transformers.js sees it as model id `bench/<name>`. */
export const BENCH_MODELS_URL_PREFIX = '/models/bench/';

const CONTENT_TYPES: Record<string, string> = { '.json': 'application/json', '.onnx': 'application/octet-stream', '.txt': 'text/plain' };

/** Serves the bench-only models (written by tools/make_bench_models.py, not committed) next to the app's public/models/. */
function serveBenchModels(benchModelsDir: string): Plugin {
  return {
    name: 'zsp-bench-models',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = req.url?.split('?')[0];
        if (!url?.startsWith(BENCH_MODELS_URL_PREFIX)) return next();
        const relative = normalize(decodeURIComponent(url.slice(BENCH_MODELS_URL_PREFIX.length)));
        const path = join(benchModelsDir, relative);
        if (relative.startsWith('..') || !path.startsWith(benchModelsDir + sep) || !existsSync(path) || !statSync(path).isFile()) {
          res.statusCode = 404;
          res.end('not found');
          return;
        }
        const extension = path.slice(path.lastIndexOf('.'));
        res.setHeader('Content-Type', CONTENT_TYPES[extension] ?? 'application/octet-stream');
        res.setHeader('Content-Length', statSync(path).size);
        // Same isolation headers as the rest of the dev server (see vite.config.ts).
        res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
        res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
        createReadStream(path).pipe(res);
      });
    },
  };
}

/**
 * A Vite dev server on the repo root with the app's vite.config.ts (its plugins, among them the
 * `/ort/` runtime server, and its COOP/COEP headers), plus the bench models. Its own dependency
 * cache and no dependency discovery, so it never reloads the page mid-run nor touches the app's cache.
 */
export async function startBenchServer(repoRoot: string): Promise<{ server: ViteDevServer; origin: string }> {
  const server = await createServer({
    root: repoRoot,
    configFile: join(repoRoot, 'vite.config.ts'),
    cacheDir: join(repoRoot, 'node_modules/.vite-bench'),
    logLevel: 'warn',
    clearScreen: false,
    plugins: [serveBenchModels(join(repoRoot, 'bench/.models'))],
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, watch: null },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  await server.listen();
  const address = server.httpServer?.address();
  if (!address || typeof address === 'string') throw new Error('Vite server has no TCP address');
  return { server, origin: `http://127.0.0.1:${address.port}` };
}

/** Serves a production build with `vite preview` and the app's config (COOP/COEP, `/ort/`), on a free port. */
export async function previewBuild(repoRoot: string, dist: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = await preview({
    root: repoRoot,
    configFile: join(repoRoot, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: dist },
    preview: { host: '127.0.0.1', port: 0, strictPort: false, open: false },
  });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview has no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}

/** Builds the app into `bench/<outDirName>` unless `dist` names an existing build (absolute, or relative to the repo). */
export async function builtApp(repoRoot: string, dist: string | undefined, outDirName: string, benchName: string): Promise<string> {
  if (dist) return isAbsolute(dist) ? dist : join(repoRoot, dist);
  const outDir = join(repoRoot, 'bench', outDirName);
  log(`${benchName}: building the app into ${outDir}`);
  await asProductionBuild(() => build({ root: repoRoot, configFile: join(repoRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } }));
  return outDir;
}

/**
 * Runs a Vite build with NODE_ENV=production. Vite derives import.meta.env.PROD (and React its
 * production build) from NODE_ENV, which an earlier dev server or library in this process may have
 * set to development: such a build took development paths (React's development build, a blob: URL
 * the app's CSP refused) and the built-in model never loaded. Build exactly what `npm run build` ships.
 */
export async function asProductionBuild<T>(run: () => Promise<T>): Promise<T> {
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = 'production';
  try {
    return await run();
  } finally {
    if (nodeEnv === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = nodeEnv;
  }
}
