/**
 * `--only=scale`: the built app with 1,000 images in one workspace. A production build (or the one
 * given with --dist=<dir>) is served by `vite preview` with the app's COOP/COEP headers; headless
 * Chromium opens the image task with the built-in CLIP model on WASM, a `longtask` (and
 * `long-animation-frame`, for attribution) PerformanceObserver is installed before the app's first
 * script, and 1,000 generated shape PNGs are set on `image-input` at once. When every image is
 * embedded and the batch is over, it reads the long tasks, the JS heap after a forced GC (CDP), the
 * DOM size and the time taken. Done twice, with the grid's virtualisation on (default) and off
 * (`?virtualize=0`), each in a fresh browser context. Nothing is asserted.
 */
import { loadavg } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { ALL_LABELS, COLOUR_NAMES, SHAPES, shapeImage, type ShapeImage } from '../../e2e/support/shapes';
import { seededRandom } from '../../src/lib/random';
import { log } from './pageCalls';
import { repoRoot } from './paths';
import { builtApp, previewBuild } from './server';
import { benchMachine, type BenchMachine } from './machine';

/** A long-animation-frame script field as text (they are strings or numbers; anything else is left out). */
function shown(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

export const SCALE_IMAGES = 1000;
const SCALE_IMAGE_SIDE_PX = 64;
const SCALE_SEED = 4;
const MODEL_ID = 'builtin/clip-shapes';
/** The bar for a responsive UI. */
const LONG_TASK_LIMIT_MS = 100;
/** The batch counts as over once `batch-progress` has been gone this long (longer than the re-rank debounce). */
const SETTLED_MS = 1500;
const RUN_TIMEOUT_MS = 20 * 60 * 1000;
const LONGEST_KEPT = 10;

/** 1,000 distinct pictures (no two with the same bytes, so each is embedded once). */
export function scaleImages(count = SCALE_IMAGES): ShapeImage[] {
  const random = seededRandom(SCALE_SEED);
  return Array.from({ length: count }, (_, index) => {
    const colour = COLOUR_NAMES[index % COLOUR_NAMES.length]!;
    const shape = SHAPES[Math.floor(index / COLOUR_NAMES.length) % SHAPES.length]!;
    return shapeImage(`scale-${String(index).padStart(4, '0')}-${colour}-${shape}.png`, {
      shape,
      colour,
      width: SCALE_IMAGE_SIDE_PX,
      height: SCALE_IMAGE_SIDE_PX,
      size: 0.5 + random() * 0.35,
      dx: (random() - 0.5) * 0.1,
      dy: (random() - 0.5) * 0.1,
      rotation: Math.round((random() - 0.5) * 40),
      // A faint noise background keeps every file distinct and still small.
      background: { kind: 'noise', min: 244, max: 255 },
      seed: index + 1,
    });
  });
}

export interface LongTaskSummary {
  count: number;
  over100Ms: number;
  longestMs: number;
  totalMs: number;
  /** The longest ones, with the scripts the long-animation-frame entry around each blames. */
  longest: Array<{ startMs: number; durationMs: number; scripts: string[] }>;
}

export interface ScaleModeResult {
  requested: 'on' | 'off';
  url: string;
  /** The grid's own `data-virtualized` (null if the grid has no such attribute: flag not supported). */
  gridVirtualized: string | null;
  images: number;
  imagesEmbedded: number;
  /** Items in the DOM that are done (all of them only when the grid is not virtualised). */
  itemsDoneInDom: number;
  finishMs: number;
  longTasks: LongTaskSummary;
  heapUsedBytes: number;
  heapTotalBytes: number;
  domElements: number;
  itemElements: number;
  pageErrors: string[];
}

export interface ScaleRun {
  generatedAt: string;
  machine: BenchMachine;
  userAgent: string;
  crossOriginIsolated: boolean;
  dist: string;
  images: { count: number; sidePx: number; totalBytes: number };
  on: ScaleModeResult;
  off: ScaleModeResult;
  /** off / on for each figure (higher means virtualisation helps). */
  ratios: { longTasks: number; over100Ms: number; longestMs: number; totalLongTaskMs: number; heapUsed: number; domElements: number; finish: number };
}

/** Runs in the page before any app script: records every long task and long animation frame. */
function installObservers(): void {
  const w = window as unknown as { __zspScale: { tasks: Array<[number, number]>; frames: Array<{ start: number; duration: number; scripts: string[] }> } };
  w.__zspScale = { tasks: [], frames: [] };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) w.__zspScale.tasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const scripts = ((entry as unknown as { scripts?: Array<Record<string, unknown>> }).scripts ?? []).map(
          (s) => `${shown(s.invoker)} ${shown(s.sourceFunctionName)}@${shown(s.sourceURL).split('/').pop()}:${shown(s.sourceCharPosition)} ${Math.round(Number(s.duration ?? 0))}ms`,
        );
        w.__zspScale.frames.push({ start: entry.startTime, duration: entry.duration, scripts });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    // No long-animation-frame support: long tasks are still recorded, without attribution.
  }
}

async function runMode(browser: Browser, origin: string, images: ShapeImage[], mode: 'on' | 'off'): Promise<ScaleModeResult> {
  const params = new URLSearchParams({ task: 'image', model: MODEL_ID, backend: 'wasm', labels: ALL_LABELS.join(',') });
  if (mode === 'off') params.set('virtualize', '0');
  const url = `${origin}/?${params.toString()}`;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  // Local only, like the e2e network guard.
  await context.route((target) => !['127.0.0.1', 'localhost'].includes(target.hostname), (route) => route.abort('blockedbyclient'));
  await context.addInitScript(installObservers);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    log(`scale (virtualisation ${mode}): ${url.slice(0, 90)}…`);
    await page.goto(url);
    await page.getByTestId('model-status').and(page.locator('[data-state="ready"]')).waitFor({ timeout: 180_000 });
    const embeddedBefore = Number(await page.getByTestId('worker-stats').getAttribute('data-images-embedded'));
    // The files are built in the page before the measured window (Playwright's setInputFiles would
    // decode all 1,000 payloads inside it, a second-long task of its own), then set on
    // `image-input` at once, as a picker or a drop hands them over.
    await page.evaluate(
      (payloads) => {
        const transfer = new DataTransfer();
        for (const { name, mimeType, base64 } of payloads) {
          const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
          transfer.items.add(new File([bytes], name, { type: mimeType }));
        }
        (window as unknown as { __zspScaleFiles: FileList }).__zspScaleFiles = transfer.files;
      },
      images.map(({ name, mimeType, buffer }) => ({ name, mimeType, base64: buffer.toString('base64') })),
    );
    // Only the batch counts: what the model load and the harness did before is dropped.
    await page.evaluate(() => {
      const w = window as unknown as { __zspScale: { tasks: unknown[]; frames: unknown[] } };
      w.__zspScale.tasks.length = 0;
      w.__zspScale.frames.length = 0;
    });
    await page.waitForTimeout(500); // lets the harness's own task end before the window opens
    const startedAt = await page.evaluate(() => {
      const input = document.querySelector<HTMLInputElement>('[data-testid="image-input"]');
      if (!input) throw new Error('no image-input');
      const files = (window as unknown as { __zspScaleFiles: FileList }).__zspScaleFiles;
      const started = performance.now();
      // A task of its own, so the window starts with the app's change handler.
      setTimeout(() => {
        input.files = files;
        input.dispatchEvent(new Event('change', { bubbles: true }));
      }, 0);
      return started;
    });
    // Done: every image embedded, and no batch running for SETTLED_MS. Polled slowly, to add little work.
    const finishedAt = await page
      .waitForFunction(
        ({ target, settledMs }) => {
          const w = window as unknown as { __zspScaleIdleSince?: number };
          const embedded = Number(document.querySelector('[data-testid="worker-stats"]')?.getAttribute('data-images-embedded'));
          const busy = document.querySelector('[data-testid="batch-progress"]') !== null || embedded < target;
          if (busy) {
            w.__zspScaleIdleSince = undefined;
            return false;
          }
          w.__zspScaleIdleSince ??= performance.now();
          return performance.now() - w.__zspScaleIdleSince >= settledMs ? w.__zspScaleIdleSince : false;
        },
        { target: embeddedBefore + images.length, settledMs: SETTLED_MS },
        { polling: 250, timeout: RUN_TIMEOUT_MS },
      )
      .then((handle) => handle.jsonValue() as Promise<number>);

    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const snapshot = await page.evaluate(() => {
      const w = window as unknown as { __zspScale: { tasks: Array<[number, number]>; frames: Array<{ start: number; duration: number; scripts: string[] }> } };
      const grid = document.querySelector('[data-testid="image-grid"]');
      return {
        tasks: w.__zspScale.tasks,
        frames: w.__zspScale.frames,
        gridVirtualized: grid?.getAttribute('data-virtualized') ?? null,
        itemsDoneInDom: document.querySelectorAll('[data-testid="item"][data-state="done"]').length,
        domElements: document.getElementsByTagName('*').length,
        itemElements: document.querySelectorAll('[data-testid="item"]').length,
        imagesEmbedded: Number(document.querySelector('[data-testid="worker-stats"]')?.getAttribute('data-images-embedded')),
      };
    });
    const tasks = snapshot.tasks.filter(([start]) => start >= startedAt && start <= finishedAt);
    const durations = tasks.map(([, duration]) => duration);
    const longest = [...tasks]
      .sort((a, b) => b[1] - a[1])
      .slice(0, LONGEST_KEPT)
      .map(([start, duration]) => ({
        startMs: Math.round(start - startedAt),
        durationMs: Math.round(duration),
        scripts: snapshot.frames.find((frame) => frame.start <= start + 1 && frame.start + frame.duration >= start + duration - 1)?.scripts ?? [],
      }));
    return {
      requested: mode,
      url,
      gridVirtualized: snapshot.gridVirtualized,
      images: images.length,
      imagesEmbedded: snapshot.imagesEmbedded - embeddedBefore,
      itemsDoneInDom: snapshot.itemsDoneInDom,
      finishMs: finishedAt - startedAt,
      longTasks: {
        count: tasks.length,
        over100Ms: durations.filter((d) => d > LONG_TASK_LIMIT_MS).length,
        longestMs: Math.max(0, ...durations),
        totalMs: durations.reduce((sum, d) => sum + d, 0),
        longest,
      },
      heapUsedBytes: heap.usedSize,
      heapTotalBytes: heap.totalSize,
      domElements: snapshot.domElements,
      itemElements: snapshot.itemElements,
      pageErrors,
    };
  } finally {
    await context.close();
  }
}

export async function benchScale(options: { dist?: string }): Promise<ScaleRun> {
  const dist = await builtApp(repoRoot, options.dist, '.scale-dist', 'scale');
  const images = scaleImages();
  const { origin, close: closeServer } = await previewBuild(repoRoot, dist);
  log(`scale: serving ${dist} on ${origin}`);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic'],
  });
  const loadavgAtStart = loadavg();
  const generatedAt = new Date().toISOString();
  try {
    const probe = await browser.newPage();
    await probe.goto(`${origin}/`);
    const env = await probe.evaluate(() => ({ userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated }));
    await probe.close();
    const on = await runMode(browser, origin, images, 'on');
    const off = await runMode(browser, origin, images, 'off');
    const ratio = (a: number, b: number) => (b === 0 ? (a === 0 ? 1 : Infinity) : a / b);
    return {
      generatedAt,
      machine: benchMachine(loadavgAtStart),
      ...env,
      dist: dist.startsWith(repoRoot) ? dist.slice(repoRoot.length + 1) : dist,
      images: { count: images.length, sidePx: SCALE_IMAGE_SIDE_PX, totalBytes: images.reduce((sum, image) => sum + image.buffer.length, 0) },
      on,
      off,
      ratios: {
        longTasks: ratio(off.longTasks.count, on.longTasks.count),
        over100Ms: ratio(off.longTasks.over100Ms, on.longTasks.over100Ms),
        longestMs: ratio(off.longTasks.longestMs, on.longTasks.longestMs),
        totalLongTaskMs: ratio(off.longTasks.totalMs, on.longTasks.totalMs),
        heapUsed: ratio(off.heapUsedBytes, on.heapUsedBytes),
        domElements: ratio(off.domElements, on.domElements),
        finish: ratio(off.finishMs, on.finishMs),
      },
    };
  } finally {
    await browser.close();
    await closeServer();
  }
}
