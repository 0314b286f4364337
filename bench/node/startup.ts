/**
 * `--only=startup`: time to the first result on a fresh browser profile, the app against a bare
 * transformers.js page, both from one production build served by `vite preview` (as scale.ts does).
 *
 * - App: `/?task=image&model=builtin/clip-shapes&backend=wasm&labels=<30 shape labels>`. An init
 *   script watches `model-status`; the moment it says ready it sets one shape PNG on `image-input`
 *   (one `change` event, as a picker does) and records when that item is `done`.
 * - Bare: `bench/browser/bare-startup.html`, a module worker running `pipeline('zero-shot-image-
 *   classification')` on `bench/clip-shapes-full` (the same weights as one combined ONNX file, which the
 *   pipeline needs), WASM fp32, the app's ORT files from /ort/ (the plain build) and thread count,
 *   then one call on the same PNG and labels. No warm-up: the library has none.
 *
 * Each run launches Chromium on a new, empty user-data directory (a fresh profile: empty HTTP and
 * code caches), loads once ("first"), closes the browser, launches it again on the same directory
 * and loads again ("second": HTTP cache and V8's wasm code cache warm). App and bare alternate;
 * medians over the repetitions. The parts come from the page's and the worker's performance
 * timelines (navigation and resource timing, the app's user-timing marks `zsp:app-start`,
 * `zsp:model-load-start`, `zsp:model-sessions`, `zsp:model-warmup`, `zsp:model-ready`), read from the
 * worker with Playwright's Worker.evaluate; worker times are moved onto the page's timeline through
 * the two `performance.timeOrigin`s. Chromium's `SiteIsolatedCodeCache.WASM.Behaviour` histogram
 * (CDP Browser.getHistograms; each launch starts with empty histograms) says whether the compiled
 * wasm came from the code cache. Nothing is asserted.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ALL_LABELS, randomShapeSet, shapeImage } from '../../e2e/support/shapes';
import { DEFAULT_TEMPLATE } from '../../src/lib/labels';
import { median } from '../shared/random';
import { log } from './pageCalls';
import { repoRoot } from './paths';
import { asProductionBuild, previewBuild } from './server';
import { benchMachine, type BenchMachine } from './machine';

const APP_MODEL_ID = 'builtin/clip-shapes';
/** Same weights as the built-in model with a combined onnx/model.onnx, which the pipeline loads. */
const BARE_MODEL_ID = 'bench/clip-shapes-full';
const BARE_PAGE = 'bench/browser/bare-startup.html';
const IMAGE_SIDE_PX = 224;
const RUN_TIMEOUT_MS = 5 * 60 * 1000;
/**
 * Pictures ranked after the first result, outside the measured window, before the browser closes:
 * V8 writes a module's compiled code to the cache only once enough of it has been optimised
 * (tiered up), which a load and one picture do not reach, a short session of use does.
 */
const USE_IMAGES = 24;
/** Time left to the browser after a load before it is closed, so the code cache is written (V8 caches the tiered-up module asynchronously). */
const SETTLE_BEFORE_CLOSE_MS = 3000;
/** The order of Chromium's CacheEntryStatus enum (content/browser/code_cache/generated_code_cache.h). */
const CODE_CACHE_STATUS = ['hit', 'miss', 'clear', 'update', 'create', 'error', 'incomplete', 'writeFailed'] as const;
/**
 * Local only, like the e2e network guard, but by the resolver rather than Playwright's routing:
 * routing disables the HTTP cache, and with it the wasm code cache this bench looks at.
 */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-quic',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
];

export type StartupVariant = 'app' | 'bare';
export type StartupVisit = 'first' | 'second';

/** One interval of the load, in ms from navigation start (page timeline). */
interface Span {
  startMs: number;
  endMs: number;
}

export interface ResourceSummary {
  /** Path without origin. */
  path: string;
  span: Span;
  status: number;
  /** 0 when it came from the HTTP cache without a network round trip; header-sized for a 304. */
  transferBytes: number;
  bodyBytes: number;
}

/** The parts of one load, each in ms; they add up to `totalMs` (intervals between consecutive milestones). */
export interface StartupParts {
  /** Navigation start → the worker that loads the model exists: HTML, the app's JS (fetch, parse, evaluate, React's first render for the app). */
  pageJsMs: number;
  /** Worker created → it starts loading the model (worker chunk fetch and evaluation, the load request). */
  workerJsMs: number;
  /** → the last model file (config, tokenizer, ONNX) and the ORT runtime (.mjs, .wasm) have arrived (they download in parallel). */
  fetchMs: number;
  /** → sessions created: the rest of the wasm compile/instantiation and ORT's session creation (graph load, optimisation, weights). */
  sessionsMs: number;
  /** → warm-up done (the app runs both towers once before it says ready; 0 for the bare page). */
  warmupMs: number;
  /** → the first picture's result on the page (app: the UI's ready state, the file handed over, decode, embed, rank, rendered). */
  firstImageMs: number;
  totalMs: number;
}

export interface StartupLoad {
  variant: StartupVariant;
  visit: StartupVisit;
  parts: StartupParts;
  /** Both ONNX-runtime files and the model's ONNX files, as fetched. */
  resources: ResourceSummary[];
  /** Every /ort/ file the page or its workers requested (the wasm variant actually used). */
  ortFiles: string[];
  /** The wasm fetch itself (start → response end), part of fetchMs. */
  wasmFetch: Span | null;
  /** SiteIsolatedCodeCache.WASM.Behaviour counts of this launch. */
  wasmCodeCache: Partial<Record<(typeof CODE_CACHE_STATUS)[number], number>>;
  /** The app's `zsp:app-start` mark (its bundle loaded and evaluated), part of pageJsMs; null for the bare page. */
  appStartMs: number | null;
  topLabel: string;
  expectedLabel: string;
  /** The app's own report (LoadedModelInfo): load and warm-up in ms. */
  reportedLoadMs: number | null;
  reportedWarmupMs: number | null;
  pageErrors: string[];
}

export interface StartupRun {
  generatedAt: string;
  machine: BenchMachine;
  userAgent: string;
  threads: number;
  repetitions: number;
  loads: StartupLoad[];
  /** Medians per variant and visit. */
  medians: Record<StartupVariant, Record<StartupVisit, StartupParts>>;
  /** app / bare total, per visit (≤ 1 means the app is not slower). */
  ratios: Record<StartupVisit, number>;
}

interface PageTimeline {
  timeOrigin: number;
  responseEnd: number;
  entries: Array<{ name: string; entryType: string; startTime: number; duration: number; responseEnd?: number; transferSize?: number; encodedBodySize?: number; responseStatus?: number }>;
  record: { readyMs?: number; doneMs?: number; topLabel?: string; workerCreatedMs?: number; resultMs?: number; reply?: { top: { label: string }; pipelineStartMs: number; pipelineReadyMs: number; resultMs: number }; error?: string };
  reportedLoadMs: number | null;
  reportedWarmupMs: number | null;
}

/** App init script: when the model is ready, hands the picture over at once; records when it is ranked. */
function watchApp(input: { name: string; base64: string; moreBase64: string[] }): void {
  const record: { readyMs?: number; doneMs?: number; topLabel?: string } = {};
  (window as unknown as { __zspStartup: typeof record }).__zspStartup = record;
  const bytes = Uint8Array.from(atob(input.base64), (char) => char.charCodeAt(0));
  const observer = new MutationObserver(() => {
    if (record.readyMs === undefined && document.querySelector('[data-testid="model-status"][data-state="ready"]')) {
      record.readyMs = performance.now();
      const field = document.querySelector<HTMLInputElement>('[data-testid="image-input"]');
      if (!field) throw new Error('no image-input');
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], input.name, { type: 'image/png' }));
      field.files = transfer.files;
      field.dispatchEvent(new Event('change', { bubbles: true }));
    }
    const done = record.readyMs !== undefined ? document.querySelector(`[data-testid="item"][data-state="done"][data-name="${input.name}"]`) : null;
    const top = done?.querySelector('[data-testid="prediction"]');
    if (done && top && record.doneMs === undefined) {
      record.doneMs = performance.now();
      record.topLabel = top.getAttribute('data-label') ?? '';
      observer.disconnect();
      document.title = 'startup done';
      // Then a short session of use (see USE_IMAGES), outside the measured window.
      const field = document.querySelector<HTMLInputElement>('[data-testid="image-input"]');
      if (!field) throw new Error('no image-input');
      const transfer = new DataTransfer();
      input.moreBase64.forEach((base64, index) => {
        transfer.items.add(new File([Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))], `use-${index}.png`, { type: 'image/png' }));
      });
      field.files = transfer.files;
      field.dispatchEvent(new Event('change', { bubbles: true }));
      const used = () => document.querySelectorAll('[data-testid="item"][data-state="done"]').length > input.moreBase64.length;
      const poll = setInterval(() => {
        if (!used()) return;
        clearInterval(poll);
        document.title = 'startup used';
      }, 250);
    }
  });
  observer.observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
}

async function readTimeline(page: Page, variant: StartupVariant): Promise<PageTimeline & { worker: { timeOrigin: number; entries: PageTimeline['entries'] } | null }> {
  const pageSide = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const status = document.querySelector('[data-testid="model-status"]')?.getAttribute('title') ?? '';
    const reported = /loaded in (\d+) ms, warm-up (\d+) ms/.exec(status);
    return {
      timeOrigin: performance.timeOrigin,
      responseEnd: nav?.responseEnd ?? 0,
      entries: performance.getEntries().map((entry) => entry.toJSON() as PageTimeline['entries'][number]),
      record: (window as unknown as { __zspStartup: PageTimeline['record'] }).__zspStartup,
      reportedLoadMs: reported ? Number(reported[1]) : null,
      reportedWarmupMs: reported ? Number(reported[2]) : null,
    };
  });
  const workerUrlPart = variant === 'app' ? '/clip.worker' : '/bare-startup.worker';
  const modelWorker = page.workers().find((worker) => worker.url().includes(workerUrlPart));
  const worker = modelWorker
    ? await modelWorker.evaluate(() => ({ timeOrigin: performance.timeOrigin, entries: performance.getEntries().map((entry) => entry.toJSON() as { name: string; entryType: string; startTime: number; duration: number }) }))
    : null;
  return { ...pageSide, worker };
}

function partsOf(variant: StartupVariant, timeline: Awaited<ReturnType<typeof readTimeline>>): { parts: StartupParts; resources: ResourceSummary[]; wasmFetch: Span | null } {
  const { worker, record } = timeline;
  if (!worker) throw new Error(`${variant}: the model worker was not found`);
  const shift = worker.timeOrigin - timeline.timeOrigin;
  const onPage = (ms: number) => ms + shift;
  const byName = (name: string) => worker.entries.find((entry) => entry.name === name);
  const resources: ResourceSummary[] = worker.entries
    .filter((entry) => entry.entryType === 'resource' && /\/(models|ort)\//.test(entry.name))
    .map((entry) => ({
      path: new URL(entry.name).pathname,
      span: { startMs: onPage(entry.startTime), endMs: onPage(entry.responseEnd ?? entry.startTime + entry.duration) },
      status: entry.responseStatus ?? 0,
      transferBytes: entry.transferSize ?? 0,
      bodyBytes: entry.encodedBodySize ?? 0,
    }));
  const wasm = resources.find((resource) => resource.path.endsWith('.wasm'));
  const fetchedAt = Math.max(...resources.map((resource) => resource.span.endMs));
  const workerCreated = shift; // the worker's time origin, on the page's timeline
  let loadStart: number;
  let sessionsEnd: number;
  let warmupEnd: number;
  let resultAt: number;
  if (variant === 'app') {
    const start = byName('zsp:model-load-start');
    const sessions = byName('zsp:model-sessions');
    const ready = byName('zsp:model-ready');
    if (!start || !sessions || !ready || record.doneMs === undefined) throw new Error('app: a start-up mark is missing');
    loadStart = onPage(start.startTime);
    sessionsEnd = onPage(sessions.startTime + sessions.duration);
    warmupEnd = onPage(ready.startTime);
    resultAt = record.doneMs;
  } else {
    const reply = record.reply;
    if (!reply || record.resultMs === undefined) throw new Error(`bare: no result (${record.error ?? 'no error reported'})`);
    loadStart = onPage(reply.pipelineStartMs);
    sessionsEnd = onPage(reply.pipelineReadyMs);
    warmupEnd = sessionsEnd;
    resultAt = record.resultMs;
  }
  // Milestones in order; a part is the time from the previous milestone (never negative).
  const milestones = [workerCreated, loadStart, Math.min(fetchedAt, sessionsEnd), sessionsEnd, warmupEnd, resultAt];
  const step = (index: number) => Math.max(0, (milestones[index] as number) - Math.max(...milestones.slice(0, index).map(Number), 0));
  const parts: StartupParts = {
    pageJsMs: workerCreated,
    workerJsMs: step(1),
    fetchMs: step(2),
    sessionsMs: step(3),
    warmupMs: step(4),
    firstImageMs: step(5),
    totalMs: resultAt,
  };
  return { parts, resources, wasmFetch: wasm ? wasm.span : null };
}

async function wasmCodeCacheCounts(context: BrowserContext, page: Page): Promise<StartupLoad['wasmCodeCache']> {
  const cdp = await context.newCDPSession(page);
  const { histograms } = (await cdp.send('Browser.getHistograms', { query: 'SiteIsolatedCodeCache.WASM.Behaviour' })) as {
    histograms: Array<{ name: string; buckets: Array<{ low: number; count: number }> }>;
  };
  const counts: StartupLoad['wasmCodeCache'] = {};
  for (const bucket of histograms.find((h) => h.name === 'SiteIsolatedCodeCache.WASM.Behaviour')?.buckets ?? []) {
    const status = CODE_CACHE_STATUS[bucket.low];
    if (status) counts[status] = bucket.count;
  }
  return counts;
}

async function loadOnce(
  origin: string,
  profileDir: string,
  variant: StartupVariant,
  visit: StartupVisit,
  picture: { name: string; base64: string; label: string; more: string[] },
  threads: number,
): Promise<StartupLoad> {
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
  try {
    const ortFiles = new Set<string>();
    context.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (path.startsWith('/ort/')) ortFiles.add(path.slice('/ort/'.length));
    });
    if (variant === 'app') await context.addInitScript(watchApp, { name: picture.name, base64: picture.base64, moreBase64: picture.more });
    else
      await context.addInitScript((input) => {
        (window as unknown as { __zspStartupInput: typeof input }).__zspStartupInput = input;
      }, { modelId: BARE_MODEL_ID, labels: [...ALL_LABELS], template: DEFAULT_TEMPLATE, imageBase64: picture.base64, moreBase64: picture.more, threads });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const params = new URLSearchParams({ task: 'image', model: APP_MODEL_ID, backend: 'wasm', labels: ALL_LABELS.join(',') });
    await page.goto(variant === 'app' ? `${origin}/?${params.toString()}` : `${origin}/${BARE_PAGE}`);
    await page.waitForFunction(() => ['startup done', 'bare done', 'bare failed'].includes(document.title), null, { timeout: RUN_TIMEOUT_MS, polling: 200 });
    const timeline = await readTimeline(page, variant);
    const { parts, resources, wasmFetch } = partsOf(variant, timeline);
    await page.waitForFunction(() => ['startup used', 'bare used', 'bare failed'].includes(document.title), null, { timeout: RUN_TIMEOUT_MS, polling: 250 });
    await page.waitForTimeout(SETTLE_BEFORE_CLOSE_MS);
    const wasmCodeCache = await wasmCodeCacheCounts(context, page);
    if (visit === 'first') {
      // The second visit keeps the HTTP and code caches, not the app's workspace and embedding cache
      // (IndexedDB, localStorage): the bare page has none, and a restored workspace is work of its own.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'indexeddb,local_storage' });
    }
    const topLabel = variant === 'app' ? (timeline.record.topLabel ?? '') : (timeline.record.reply?.top.label ?? '');
    log(`startup ${variant} ${visit}: ${Math.round(parts.totalMs)} ms (top: ${topLabel}; wasm code cache ${JSON.stringify(wasmCodeCache)})`);
    return {
      variant,
      visit,
      parts,
      resources,
      ortFiles: [...ortFiles].sort(),
      wasmFetch,
      wasmCodeCache,
      appStartMs: timeline.entries.find((entry) => entry.name === 'zsp:app-start')?.startTime ?? null,
      topLabel,
      expectedLabel: picture.label,
      reportedLoadMs: timeline.reportedLoadMs,
      reportedWarmupMs: timeline.reportedWarmupMs,
      pageErrors,
    };
  } finally {
    await context.close();
  }
}

const PART_KEYS = ['pageJsMs', 'workerJsMs', 'fetchMs', 'sessionsMs', 'warmupMs', 'firstImageMs', 'totalMs'] as const satisfies ReadonlyArray<keyof StartupParts>;

function medianParts(loads: StartupLoad[]): StartupParts {
  const parts = {} as StartupParts;
  for (const key of PART_KEYS) parts[key] = median(loads.map((load) => load.parts[key]));
  return parts;
}

/** Builds the app and the bare page into one folder (plus the bare page's model), so one `vite preview` serves both. */
async function buildBoth(): Promise<string> {
  const outDir = join(repoRoot, 'bench/.startup-dist');
  log(`startup: building the app and ${BARE_PAGE} into ${outDir}`);
  const configFile = join(repoRoot, 'vite.config.ts');
  await asProductionBuild(() => buildApps(outDir, configFile));
  cpSync(join(repoRoot, 'bench/.models/clip-shapes-full'), join(outDir, 'models/bench/clip-shapes-full'), { recursive: true, dereference: true });
  return outDir;
}

async function buildApps(outDir: string, configFile: string): Promise<void> {
  await build({ root: repoRoot, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  await build({ root: repoRoot, configFile, logLevel: 'warn', build: { outDir, emptyOutDir: false, rollupOptions: { input: { bare: join(repoRoot, BARE_PAGE) } } } });
}

export async function benchStartup(options: { quick: boolean }): Promise<StartupRun> {
  const dist = await buildBoth();
  const { origin, close: closeServer } = await previewBuild(repoRoot, dist);
  const repetitions = options.quick ? 1 : 3;
  const spec = { shape: 'star', colour: 'blue', width: IMAGE_SIDE_PX, height: IMAGE_SIDE_PX, size: 0.7 } as const;
  const png = shapeImage('startup-blue-star.png', spec);
  const more = randomShapeSet(USE_IMAGES, 11).map((image) => image.buffer.toString('base64'));
  const picture = { name: png.name, base64: png.buffer.toString('base64'), label: png.label, more };
  // The app's thread count (runtimeEnv.ts: min(4, cores), cross-origin isolated), given to the bare page too.
  const threads = Math.min(4, cpus().length);
  const loadavgAtStart = loadavg();
  const generatedAt = new Date().toISOString();
  const loads: StartupLoad[] = [];
  let userAgent: string | undefined;
  try {
    for (let rep = 0; rep < repetitions; rep++) {
      const order: StartupVariant[] = rep % 2 === 0 ? ['app', 'bare'] : ['bare', 'app'];
      for (const variant of order) {
        const profileDir = mkdtempSync(join(tmpdir(), 'zsp-startup-'));
        try {
          loads.push(await loadOnce(origin, profileDir, variant, 'first', picture, threads));
          loads.push(await loadOnce(origin, profileDir, variant, 'second', picture, threads));
        } finally {
          rmSync(profileDir, { recursive: true, force: true });
        }
      }
    }
    const probe = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    userAgent = await probe.newPage().then((page) => page.evaluate(() => navigator.userAgent));
    await probe.close();
  } finally {
    await closeServer();
  }
  const pick = (variant: StartupVariant, visit: StartupVisit) => medianParts(loads.filter((load) => load.variant === variant && load.visit === visit));
  const medians = {
    app: { first: pick('app', 'first'), second: pick('app', 'second') },
    bare: { first: pick('bare', 'first'), second: pick('bare', 'second') },
  };
  return {
    generatedAt,
    machine: benchMachine(loadavgAtStart),
    userAgent: userAgent ?? '',
    threads,
    repetitions,
    loads,
    medians,
    ratios: { first: medians.app.first.totalMs / medians.bare.first.totalMs, second: medians.app.second.totalMs / medians.bare.second.totalMs },
  };
}

const PART_TITLES: Record<(typeof PART_KEYS)[number], string> = {
  pageJsMs: 'HTML + page JS (fetch, parse, run) → model worker created',
  workerJsMs: 'worker JS → model load starts',
  fetchMs: 'model files + ORT .mjs/.wasm fetched (in parallel)',
  sessionsMs: 'wasm compile/instantiate + ORT session creation',
  warmupMs: 'warm-up (app only)',
  firstImageMs: 'first image: ready → ranked on the page',
  totalMs: '**Time to first result**',
};

/** The Markdown table of bench/results.md. */
export function renderStartup(run: StartupRun): string[] {
  const ms = (value: number) => `${Math.round(value)} ms`;
  const lines = [
    `| Part (medians of ${run.repetitions}) | App, first load | Bare pipeline, first load | App, second load | Bare, second load |`,
    '|---|---|---|---|---|',
  ];
  for (const key of PART_KEYS)
    lines.push(`| ${PART_TITLES[key]} | ${ms(run.medians.app.first[key])} | ${ms(run.medians.bare.first[key])} | ${ms(run.medians.app.second[key])} | ${ms(run.medians.bare.second[key])} |`);
  lines.push(`| **App / bare** (target ≤ 1.0) | **${run.ratios.first.toFixed(2)}** | | **${run.ratios.second.toFixed(2)}** | |`, '');
  const cacheOf = (variant: StartupVariant, visit: StartupVisit) =>
    run.loads
      .filter((load) => load.variant === variant && load.visit === visit)
      .map((load) => Object.entries(load.wasmCodeCache).map(([status, count]) => `${status} ${count}`).join('/'))
      .join(', ');
  const ortOf = (variant: StartupVariant) => [...new Set(run.loads.filter((load) => load.variant === variant).flatMap((load) => load.ortFiles))].join(', ');
  const right = run.loads.filter((load) => load.topLabel === load.expectedLabel).length;
  const appStart = (visit: StartupVisit) => ms(median(run.loads.filter((load) => load.variant === 'app' && load.visit === visit).map((load) => load.appStartMs ?? Number.NaN)));
  const wasmBytes = (variant: StartupVariant, visit: StartupVisit) =>
    median(run.loads.filter((load) => load.variant === variant && load.visit === visit).map((load) => load.resources.find((r) => r.path.endsWith('.wasm'))?.transferBytes ?? Number.NaN));
  lines.push(
    `Fresh Chromium profile per run (second load: same profile, browser restarted), ${run.threads} WASM threads, fp32, ` +
      `${/Chrome\/[\d.]+/.exec(run.userAgent)?.[0] ?? 'Chromium'}; ${run.machine.logicalCpus} logical CPUs, load average ` +
      `${run.machine.loadavgAtStart[0]?.toFixed(2)} at start, ${run.machine.loadavgAtEnd[0]?.toFixed(2)} at end, ${run.generatedAt.slice(0, 16)}Z. ` +
      `Wasm code cache (SiteIsolatedCodeCache.WASM.Behaviour) — app first: ${cacheOf('app', 'first')}; app second: ${cacheOf('app', 'second')}; ` +
      `bare first: ${cacheOf('bare', 'first')}; bare second: ${cacheOf('bare', 'second')}. ORT files requested — app: ${ortOf('app')}; bare: ${ortOf('bare')}. ` +
      `Top label right in ${right}/${run.loads.length} loads. The app's bundle has run (\`zsp:app-start\`) at ${appStart('first')} (first) / ${appStart('second')} (second) of its page-JS part. ` +
      `Wasm bytes over the wire (median): app ${wasmBytes('app', 'first')} / ${wasmBytes('app', 'second')}, bare ${wasmBytes('bare', 'first')} / ${wasmBytes('bare', 'second')} (first / second load; a few hundred = a 304).`,
  );
  return lines;
}
