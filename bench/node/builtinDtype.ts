/**
 * `--only=builtin-dtype`: time from page open to ready for each built-in model with each dtype it
 * ships on WASM (fp32, q8), measured in the same run.
 *
 * The production build (or --dist=<dir>) served by `vite preview`, one headless Chromium; each load
 * gets a new browser context (empty HTTP cache, code cache, storage; service workers blocked, so the
 * build's precache of every ONNX file does not download beside the app's own fetches). The weights
 * are chosen through the app's own device setting ("Weights" in "Runtime and model source"), which
 * the app keeps in localStorage: an init script writes that record before the page's scripts run, so
 * the page opens straight on the chosen dtype (choosing it in the UI would first load the automatic
 * pick). The page opens on `/?task=image&model=builtin/clip-shapes&backend=wasm` (or the audio view
 * with builtin/whisper-words), and the same init script watches `model-status` (the element the e2e
 * page objects wait on): the moment its `data-state` is `ready` it reads `performance.now()` (ms from
 * navigation start: HTML, the app's JS, the model and runtime downloads, session creation, the app's
 * warm-up). The loaded dtype is read back from `data-dtype`, and a load that ran on other weights
 * than the ones chosen stops the bench (a broken setup, not a timing).
 *
 * Repetitions alternate the order of the dtypes (fp32 first, then q8 first, …) so drift on a shared
 * machine hits both; one untimed load per model comes first (browser process and disk warm). Medians,
 * spread (min–max), and q8 / fp32 of the medians. Nothing is asserted on a timing.
 */
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { median } from '../shared/random';
import { log } from './pageCalls';
import { repoRoot } from './paths';
import { builtApp, previewBuild } from './server';
import { benchMachine, type BenchMachine } from './machine';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic'];

/** The app's persisted settings record (src/store/index.ts: SETTINGS_STORAGE_KEY, SETTINGS_VERSION; zustand's persist format). */
const SETTINGS_STORAGE_KEY = 'zero-shot-playground/settings';
const SETTINGS_VERSION = 4;

const DTYPES = ['fp32', 'q8'] as const;
export type BenchDtype = (typeof DTYPES)[number];

const MODELS = [
  { task: 'image', modelId: 'builtin/clip-shapes' },
  { task: 'audio', modelId: 'builtin/whisper-words' },
] as const;

const READY_TIMEOUT_MS = 5 * 60 * 1000;

export interface DtypeLoad {
  modelId: string;
  dtype: BenchDtype;
  rep: number;
  /** performance.now() in the page when model-status turned ready (ms from navigation start). */
  readyMs: number;
  /** What model-status says it loaded. */
  loadedDtype: string;
  backend: string;
  /** The app's own report in the status title ("loaded in X ms, warm-up Y ms"), when present. */
  reportedLoadMs: number | null;
  reportedWarmupMs: number | null;
  /** The model's ONNX files the page and its workers fetched, with their size in the served build. */
  onnxFiles: Array<{ file: string; bytes: number }>;
}

export interface DtypeSummary {
  modelId: string;
  dtype: BenchDtype;
  readyMs: number[];
  medianMs: number;
  minMs: number;
  maxMs: number;
  onnxBytes: number;
}

export interface BuiltinDtypeRun {
  generatedAt: string;
  machine: BenchMachine;
  /** Chromium's version (Browser.version()). */
  userAgent: string;
  repetitions: number;
  loads: DtypeLoad[];
  summaries: DtypeSummary[];
  /** q8 median / fp32 median per model. */
  ratios: Array<{ modelId: string; q8OverFp32: number }>;
}

async function loadOnce(browser: Browser, origin: string, dist: string, task: string, modelId: string, dtype: BenchDtype, rep: number): Promise<DtypeLoad> {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 900 } });
  try {
    const onnx = new Set<string>();
    context.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.includes(`/models/${modelId}/onnx/`) && path.endsWith('.onnx')) onnx.add(path.split('/onnx/')[1] ?? path);
    });
    await context.addInitScript(
      ({ key, version, dtypePreference }) => {
        localStorage.setItem(key, JSON.stringify({ state: { dtypePreference }, version }));
        const watch = () => {
          const status = document.querySelector('[data-testid="model-status"]');
          const state = status?.getAttribute('data-state');
          if (!status || (state !== 'ready' && state !== 'error')) return false;
          (window as unknown as { __zspDtypeReady: unknown }).__zspDtypeReady = {
            atMs: performance.now(),
            state,
            dtype: status.getAttribute('data-dtype') ?? '',
            backend: status.getAttribute('data-backend') ?? '',
            title: status.getAttribute('title') ?? '',
          };
          return true;
        };
        const observer = new MutationObserver(() => {
          if (watch()) observer.disconnect();
        });
        observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
      },
      { key: SETTINGS_STORAGE_KEY, version: SETTINGS_VERSION, dtypePreference: dtype },
    );
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const params = new URLSearchParams({ task, model: modelId, backend: 'wasm' });
    await page.goto(`${origin}/?${params.toString()}`);
    await page.waitForFunction(() => Boolean((window as unknown as { __zspDtypeReady?: unknown }).__zspDtypeReady), null, { timeout: READY_TIMEOUT_MS, polling: 100 });
    const ready = await page.evaluate(
      () => (window as unknown as { __zspDtypeReady: { atMs: number; state: string; dtype: string; backend: string; title: string } }).__zspDtypeReady,
    );
    if (ready.state !== 'ready') throw new Error(`${modelId} (${dtype}) did not load: ${ready.title} ${pageErrors.join('; ')}`);
    if (ready.dtype !== dtype) throw new Error(`${modelId}: chose ${dtype} in the settings but the app loaded ${ready.dtype} (is the settings record's format still ${SETTINGS_STORAGE_KEY} v${SETTINGS_VERSION}?)`);
    const reported = /loaded in (\d+) ms, warm-up (\d+) ms/.exec(ready.title);
    const load: DtypeLoad = {
      modelId,
      dtype,
      rep,
      readyMs: ready.atMs,
      loadedDtype: ready.dtype,
      backend: ready.backend,
      reportedLoadMs: reported ? Number(reported[1]) : null,
      reportedWarmupMs: reported ? Number(reported[2]) : null,
      onnxFiles: [...onnx].sort().map((file) => ({ file, bytes: statSync(join(dist, 'models', modelId, 'onnx', file)).size })),
    };
    log(`builtin-dtype ${modelId} ${dtype}${rep < 0 ? ' (untimed)' : ` #${rep + 1}`}: ready at ${Math.round(ready.atMs)} ms (${ready.backend}, ${load.onnxFiles.map((f) => f.file).join(' + ')})`);
    return load;
  } finally {
    await context.close();
  }
}

export async function benchBuiltinDtype(options: { dist: string | undefined; quick: boolean }): Promise<BuiltinDtypeRun> {
  const dist = await builtApp(repoRoot, options.dist, '.builtin-dtype-dist', 'builtin-dtype');
  const { origin, close } = await previewBuild(repoRoot, dist);
  const repetitions = options.quick ? 2 : 5;
  const generatedAt = new Date().toISOString();
  const loadavgAtStart = loadavg();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const loads: DtypeLoad[] = [];
  const userAgent = browser.version();
  try {
    for (const { task, modelId } of MODELS) await loadOnce(browser, origin, dist, task, modelId, 'q8', -1);
    for (let rep = 0; rep < repetitions; rep++) {
      const order: readonly BenchDtype[] = rep % 2 === 0 ? DTYPES : [...DTYPES].reverse();
      for (const { task, modelId } of MODELS) for (const dtype of order) loads.push(await loadOnce(browser, origin, dist, task, modelId, dtype, rep));
    }
  } finally {
    await browser.close();
    await close();
  }
  const summaries: DtypeSummary[] = MODELS.flatMap(({ modelId }) =>
    DTYPES.map((dtype) => {
      const mine = loads.filter((load) => load.modelId === modelId && load.dtype === dtype);
      const readyMs = mine.map((load) => load.readyMs);
      return {
        modelId,
        dtype,
        readyMs,
        medianMs: median(readyMs),
        minMs: Math.min(...readyMs),
        maxMs: Math.max(...readyMs),
        onnxBytes: (mine[0]?.onnxFiles ?? []).reduce((sum, file) => sum + file.bytes, 0),
      };
    }),
  );
  const ratios = MODELS.map(({ modelId }) => {
    const of = (dtype: BenchDtype) => summaries.find((s) => s.modelId === modelId && s.dtype === dtype)?.medianMs ?? Number.NaN;
    return { modelId, q8OverFp32: of('q8') / of('fp32') };
  });
  return { generatedAt, machine: benchMachine(loadavgAtStart), userAgent, repetitions, loads, summaries, ratios };
}

/** The Markdown table of bench/results.md. */
export function renderBuiltinDtype(run: BuiltinDtypeRun): string[] {
  const ms = (value: number) => `${Math.round(value)} ms`;
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
  const lines = [
    `| Model | Weights | ONNX download | Page open → ready (median of ${run.repetitions}) | Spread (min–max) | Runs | q8 / fp32 |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const summary of run.summaries) {
    const ratio = summary.dtype === 'q8' ? run.ratios.find((r) => r.modelId === summary.modelId)?.q8OverFp32 : undefined;
    lines.push(
      `| ${summary.modelId} | ${summary.dtype} | ${mb(summary.onnxBytes)} | ${ms(summary.medianMs)} | ${ms(summary.minMs)}–${ms(summary.maxMs)} | ` +
        `${summary.readyMs.map((value) => Math.round(value)).join(', ')} | ${ratio === undefined ? '' : `**${ratio.toFixed(2)}**`} |`,
    );
  }
  lines.push(
    '',
    `WASM, a new browser context per load (empty caches, service worker blocked), the dtype chosen through the app's "Weights" setting; ` +
      `ready = \`model-status\` \`data-state="ready"\`, read as performance.now() in the page. Dtype order alternated per repetition, one untimed load per model first. ` +
      `Chromium ${run.userAgent}; ${run.machine.logicalCpus} logical CPUs (${run.machine.cpuModel}), load average ` +
      `${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end, ${run.generatedAt.slice(0, 16)}Z.`,
  );
  return lines;
}
