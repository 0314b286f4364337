/**
 * The issue's bar for a responsive page at scale: during a grid search over 1,000 items with
 * ground truth, no main-thread task lasts more than 100 ms. A `longtask` PerformanceObserver (and
 * `long-animation-frame`, whose scripts say what a long task ran) is installed before the app's
 * first script; only the tasks that start once the grid search is asked for count, up to the
 * moment its experiments are listed and saved with the workspace.
 */
import { loadavg } from 'node:os';
import { test, expect } from './support/test';
import { BATCH_TIMEOUT_MS } from './pages/playground-page';
import { LabPage } from './pages/lab-page';
import { ReviewPage } from './pages/review-page';
import { StoragePage } from './pages/storage-page';
import { rng } from './support/shapes';
import { TEN_CLASSES, writeDistinctShapeFolder } from './support/imageFolder';

const CLASSES = TEN_CLASSES;
const LABELS = CLASSES.map(([colour, shape]) => `${colour} ${shape}`);
const IMAGES_PER_CLASS = 100;
const ITEM_COUNT = CLASSES.length * IMAGES_PER_CLASS;
const IMAGE_SIDE_PX = 64;
/** The issue's bar. */
const LONG_TASK_LIMIT_MS = 100;
/** The stringent library: 80 single templates, the ensemble and greedy selection, each cross-validated. */
const TEMPLATE_SET = 'imagenet80';
/** Saving the workspace after the run (1,000 items and ~83 experiments). */
const SAVE_TIMEOUT_MS = 60_000;

interface LongTaskRecord {
  tasks: Array<[start: number, duration: number]>;
  frames: Array<{ start: number; duration: number; renderStart: number; styleAndLayoutStart: number; scripts: string[] }>;
}
type ScaleWindow = { __zspLongTasks: LongTaskRecord };

/** Runs in the page before any app script (see bench/node/scale.ts). */
function installObservers(): void {
  const text = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  const record: LongTaskRecord = { tasks: [], frames: [] };
  (window as unknown as ScaleWindow).__zspLongTasks = record;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) record.tasks.push([entry.startTime, entry.duration]);
  }).observe({ type: 'longtask', buffered: true });
  try {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const scripts = ((entry as unknown as { scripts?: Array<Record<string, unknown>> }).scripts ?? []).map(
          (s) =>
            `${text(s.invoker)} ${text(s.sourceFunctionName)}@${text(s.sourceURL).split('/').pop()}:${text(s.sourceCharPosition)} ${Math.round(Number(s.duration ?? 0))} ms (forced layout ${Math.round(Number(s.forcedStyleAndLayoutDuration ?? 0))} ms)`,
        );
        const frame = entry as unknown as { renderStart?: number; styleAndLayoutStart?: number };
        record.frames.push({ start: entry.startTime, duration: entry.duration, renderStart: frame.renderStart ?? 0, styleAndLayoutStart: frame.styleAndLayoutStart ?? 0, scripts });
      }
    }).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    // No long-animation-frame support: the long tasks are still recorded, without attribution.
  }
}

// Playwright's trace snapshots the DOM in the page around every action and expectation: main-thread
// work of the harness's own, in the very window measured.
test.use({ trace: 'off' });

test(`a grid search over ${ITEM_COUNT} items with truth runs no main-thread task longer than ${LONG_TASK_LIMIT_MS} ms`, async ({ page, playground }, testInfo) => {
  // 1,000 embeddings on WASM, then 80 templates × 10 classes cross-validated, on two cores.
  test.slow();
  const review = new ReviewPage(page);
  const lab = new LabPage(page);
  const storage = new StoragePage(page);
  const root = testInfo.outputPath('scale-folder');
  writeDistinctShapeFolder(root, { classes: CLASSES, imagesPerClass: IMAGES_PER_CLASS, sidePx: IMAGE_SIDE_PX, random: rng(20_261_201) });

  await page.addInitScript(installObservers);
  await playground.open({ backend: 'wasm', labels: LABELS });
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await review.addFolder(root);

  await test.step(`all ${ITEM_COUNT} items embedded and saved`, async () => {
    await expect(playground.workerStatsEl).toHaveAttribute('data-images-embedded', String(ITEM_COUNT), { timeout: 2 * BATCH_TIMEOUT_MS });
    await expect(playground.batchProgress).toHaveCount(0, { timeout: BATCH_TIMEOUT_MS });
    await storage.expectSaved(ITEM_COUNT);
  });

  // The lab's view and the template set are picked before the window opens: the search is the click.
  await lab.openTab('prompt-lab');
  await lab.templateLibrary.selectOption(TEMPLATE_SET);
  const loadBefore = loadavg()[0]!;
  const startedAt = await page.evaluate(() => performance.now());

  await test.step(`grid search over ${TEMPLATE_SET}, its experiments listed and saved`, async () => {
    await lab.runGridSearch({ set: TEMPLATE_SET });
    await expect(storage.storageStatus).toHaveAttribute('data-pending', 'false', { timeout: SAVE_TIMEOUT_MS });
    await expect(storage.storageStatus).toHaveAttribute('data-state', 'saved');
  });
  const finishedAt = await page.evaluate(() => performance.now());

  const rows = await lab.experimentRows();
  const kinds = new Set(rows.map((row) => row.kind));
  for (const kind of ['single', 'ensemble', 'greedy', 'best-single']) expect(kinds, `a ${kind} experiment`).toContain(kind);
  expect(rows.filter((row) => row.kind === 'single').length, 'one experiment per template').toBe(80);
  for (const row of rows) {
    expect(row.evaluated, `experiment ${row.id} is evaluated on every item`).toBe(ITEM_COUNT);
    expect(row.cvAccuracy, `experiment ${row.id} has a cross-validated figure`).not.toBeNull();
  }

  // The run's chart is drawn (made after the frame that laid out the table): a bar per template.
  const chart = page.getByTestId('template-accuracy-chart');
  await expect(chart).toHaveAttribute('data-points', '80');
  await expect(chart.locator('canvas')).toHaveCount(1);

  const record = await page.evaluate(() => (window as unknown as ScaleWindow).__zspLongTasks);
  const during = record.tasks.filter(([start]) => start >= startedAt && start <= finishedAt);
  const longest = [...during].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const described = longest.map(([start, duration]) => {
    const frame = record.frames.find((f) => f.start <= start + 1 && f.start + f.duration >= start + duration - 1);
    // Where the frame's time went: scripts, then rendering (style, layout, paint) from renderStart on.
    const rendering = frame && frame.renderStart > 0 ? `, rendering ${Math.round(frame.start + frame.duration - frame.renderStart)} ms (style and layout ${Math.round(frame.start + frame.duration - frame.styleAndLayoutStart)} ms)` : '';
    return `${Math.round(duration)} ms at +${Math.round(start - startedAt)} ms${frame ? ` [frame ${Math.round(frame.duration)} ms${rendering}${frame.scripts.length > 0 ? `; ${frame.scripts.join('; ')}` : ''}]` : ''}`;
  });
  const longestMs = Math.round(longest[0]?.[1] ?? 0);
  testInfo.annotations.push(
    { type: 'grid search window', description: `${Math.round(finishedAt - startedAt)} ms, ${during.length} long tasks (> 50 ms)` },
    { type: 'longest main-thread task', description: `${longestMs} ms` },
    { type: 'longest tasks', description: described.join(' | ') || 'none over 50 ms' },
    // Long tasks are wall-clock time: on a machine busy with other work every task stretches.
    { type: 'load average (1 min) before / after', description: `${loadBefore.toFixed(1)} / ${loadavg()[0]!.toFixed(1)}` },
  );
  expect(
    during.filter(([, duration]) => duration > LONG_TASK_LIMIT_MS).map(([, duration]) => Math.round(duration)),
    `main-thread tasks over ${LONG_TASK_LIMIT_MS} ms during the grid search: ${described.join(' | ')}`,
  ).toEqual([]);
});
