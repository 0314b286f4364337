/**
 * The README's screenshots (docs/screenshot.png, docs/prompt-lab.png), taken from a build of the
 * app: the built-in CLIP on WASM, the 60-image shapes folder of the e2e suite with a deliberately
 * poor template, a grid search over the 7 templates CLIP's authors kept, then "apply best"; and
 * docs/live-camera.png, live mode on Chromium's fake camera playing the e2e suite's shape video.
 * Builds nothing itself; build first, then run it:
 *
 *   npx vite build --outDir dist-docs
 *   npx jiti tools/screenshots.ts [--dist=dist-docs] [--port=4198] [--only=live]
 *
 * It serves the build with `vite preview` (cross-origin isolated, as the e2e suite does), drives
 * /usr/bin/chromium with the suite's flags, and blocks every request outside localhost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, expect, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../e2e/support/chromium';
import { CLASSES, DISTRACTORS, writeImageFolder } from '../e2e/support/imageFolder';
import { fakeCameraArgs, shapeVideo } from '../e2e/support/liveVideo';

const VIEWPORT = { width: 1280, height: 900 };
/**
 * The lab's drawer takes half the window's height: in a taller window it shows the buttons, the
 * chart and the table at once; the picture is the top VIEWPORT of it.
 */
const LAB_VIEWPORT = { width: 1280, height: 1200 };
/** The folder's classes, and two that some misfiled pictures show. */
const LABELS = [...CLASSES.map(([colour, shape]) => `${colour} ${shape}`), ...DISTRACTORS];
/** Poor on purpose: it puts one colour into every prompt, so the grid search has something to beat. */
const POOR_TEMPLATE = 'a green {}';
const MODEL_READY_TIMEOUT_MS = 120_000;
/** The folder embedded, a grid search over 7 templates with cross-validation, on 2 CPU cores. */
const JOB_TIMEOUT_MS = 300_000;
const SERVER_START_TIMEOUT_MS = 60_000;
const SERVER_POLL_MS = 250;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function argument(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  return process.argv.find((arg) => arg.startsWith(prefix))?.slice(prefix.length) ?? fallback;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function waitForServer(url: string): Promise<void> {
  const deadline = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await answers(url)) return;
    await new Promise((resolve) => setTimeout(resolve, SERVER_POLL_MS));
  }
  throw new Error(`${url} did not answer within ${SERVER_START_TIMEOUT_MS} ms`);
}

/** Opens a view above the items (a no-op when it is the open one). */
async function openTab(page: Page, tab: string): Promise<void> {
  if ((await page.getByTestId('analysis-tabs').getAttribute('data-open')) !== tab) await page.getByTestId(`analysis-tab-${tab}`).click();
  await expect(page.getByTestId('analysis-drawer')).toHaveAttribute('data-tab', tab);
}

async function takeScreenshots(baseUrl: string, outDir: string, dataset: string): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await context.route(
      (url) => !LOCAL_HOSTS.has(url.hostname),
      (route) => route.abort('blockedbyclient'),
    );
    const page = await context.newPage();
    const params = new URLSearchParams({ task: 'image', model: 'builtin/clip-shapes', backend: 'wasm', labels: LABELS.join(','), template: POOR_TEMPLATE });
    await page.goto(`${baseUrl}/?${params}`);
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready', { timeout: MODEL_READY_TIMEOUT_MS });

    const images = writeImageFolder(dataset).size;
    await page.getByTestId('folder-input').setInputFiles(join(dataset, 'shapes'));
    await expect(page.locator('[data-testid="item"][data-state="done"]')).toHaveCount(images, { timeout: JOB_TIMEOUT_MS });

    await openTab(page, 'prompt-lab');
    await page.getByTestId('template-library').selectOption('kept7');
    const promptLab = page.getByTestId('prompt-lab');
    await page.getByTestId('run-grid-search').click();
    await expect(promptLab).not.toHaveAttribute('data-last-run', '', { timeout: JOB_TIMEOUT_MS });
    await expect(promptLab).toHaveAttribute('data-busy', 'false', { timeout: JOB_TIMEOUT_MS });
    await expect(page.getByTestId('template-accuracy-chart')).toBeVisible();
    // By kind: the selected configurations (best template, ensemble, greedy) first, then the singles.
    await page.getByTestId('experiments-sort-kind').click();
    await page.setViewportSize(LAB_VIEWPORT);
    // The drawer scrolls on its own: the grid-search buttons at its top, the chart and the experiments below.
    await page.getByTestId('run-grid-search').evaluate((button) => button.parentElement?.scrollIntoView({ block: 'start' }));
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(outDir, 'prompt-lab.png'), clip: { x: 0, y: 0, ...VIEWPORT } });
    await page.setViewportSize(VIEWPORT);

    // The items after "apply best", the tabs closed: the page as it opens.
    await page.getByTestId('apply-best').click();
    await page.getByTestId('analysis-close').click();
    await expect(page.getByTestId('analysis-drawer')).toHaveCount(0);
    // Least sure first: the pictures worth a look (some misfiled) lead.
    await page.getByTestId('review-sort').selectOption('least-sure');
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect(page.getByTestId('batch-progress')).toHaveCount(0, { timeout: JOB_TIMEOUT_MS });
    await page.screenshot({ path: join(outDir, 'screenshot.png') });
  } finally {
    await browser.close();
  }
}

/** Live mode over the fake camera: a blue square on screen, ranked among six labels. */
async function takeLiveScreenshot(baseUrl: string, outDir: string): Promise<void> {
  const video = await shapeVideo([
    { spec: { shape: 'square', colour: 'blue', size: 0.7 }, seconds: 4 },
    { spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: 4 },
  ]);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...fakeCameraArgs(video.path)] });
  try {
    const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
    await context.route(
      (url) => !LOCAL_HOSTS.has(url.hostname),
      (route) => route.abort('blockedbyclient'),
    );
    const page = await context.newPage();
    const labels = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross', 'orange circle'];
    const params = new URLSearchParams({ task: 'image', model: 'builtin/clip-shapes', backend: 'wasm', labels: labels.join(','), live: 'camera' });
    await page.goto(`${baseUrl}/?${params}`);
    await expect(page.getByTestId('model-status')).toHaveAttribute('data-state', 'ready', { timeout: MODEL_READY_TIMEOUT_MS });
    // Settled on the square (smoothed), with a frame rate to show.
    await expect(page.getByTestId('live-top')).toHaveAttribute('data-label', 'blue square', { timeout: MODEL_READY_TIMEOUT_MS });
    await expect(page.getByTestId('live-top')).toHaveAttribute('data-score', /^0\.(9|8)/, { timeout: MODEL_READY_TIMEOUT_MS });
    await page.getByTestId('live-view').screenshot({ path: join(outDir, 'live-camera.png') });
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const dist = argument('dist', 'dist-docs');
  const port = Number(argument('port', '4198'));
  const baseUrl = `http://127.0.0.1:${port}`;
  // Another server on the port would be screenshotted instead of this build: refuse.
  if (await answers(baseUrl)) throw new Error(`something already answers on ${baseUrl}: pick another --port`);
  const server = spawn(join(ROOT, 'node_modules', '.bin', 'vite'), ['preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1', '--outDir', dist], { stdio: 'ignore', cwd: ROOT });
  const dataset = mkdtempSync(join(tmpdir(), 'zsp-screenshots-'));
  try {
    await waitForServer(baseUrl);
    if (argument('only', '') !== 'live') await takeScreenshots(baseUrl, join(ROOT, 'docs'), dataset);
    await takeLiveScreenshot(baseUrl, join(ROOT, 'docs'));
  } finally {
    server.kill();
    rmSync(dataset, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
