/**
 * Live camera mode with Chromium's fake camera playing a video made here (./support/liveVideo.ts):
 * three shapes, each held for a few seconds, looped. The top label must follow them in order on
 * WASM and on WebGPU; a label edit re-ranks with no model reload; Capture adds a ranked item;
 * hiding the tab pauses; Stop ends every track; a slow model drops frames instead of queueing
 * them. Denied permission, no camera and an unplugged camera each get their message, and the
 * grid still ranks a picture. One browser with the fake camera serves most tests.
 */
import type { Browser, BrowserContext, PlaywrightWorkerArgs } from '@playwright/test';
import { test, expect } from './support/test';
import { LiveCameraPage, keepStreamsScript, stableSequence, type ShownTop } from './pages/live-camera-page';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { fakeCameraArgs, shapeVideo, type ShapeVideo } from './support/liveVideo';
import { shapeImage } from './support/shapes';

const SEGMENT_SECONDS = 3;
const WEBGPU_SEGMENT_SECONDS = 8;
/** Generous: a few loops of the video even at SwiftShader's pace. */
const FOLLOW_TIMEOUT_MS = 120_000;
/** The six labels ranked; the video shows the first three, in this order. */
const LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross', 'orange circle'];
const COLOUR_LABELS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const SLOW_MODEL_MS = 400;
/** How long (of the camera's own clock) the slow model runs. */
const BACKPRESSURE_SECONDS = 60;
const WINDOW_SECONDS = 10;

let video: ShapeVideo;
let cameraBrowser: Browser;

async function launch(playwright: PlaywrightWorkerArgs['playwright'], extraArgs: string[]): Promise<Browser> {
  return playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** A page of the app (guarded like every context, e2e/support/test.ts) with the model ready. */
async function openLive(
  browser: Browser,
  baseURL: string | undefined,
  options: { backend: 'wasm' | 'webgpu'; debug?: boolean; liveLink?: boolean },
): Promise<{ context: BrowserContext; live: LiveCameraPage }> {
  const context = await browser.newContext({ baseURL });
  await context.addInitScript(keepStreamsScript);
  const live = new LiveCameraPage(await context.newPage());
  const query = LiveCameraPage.query({ backend: options.backend, labels: LABELS, debug: options.debug ?? true });
  // `?live=camera`: a link that opens straight into live mode (the panel starts by itself).
  await live.page.goto(options.liveLink ? `${query}&live=camera` : query);
  await live.expectModelReady({ backend: options.backend });
  return { context, live };
}

/** Each shown label is followed by the next one of the video (cyclically), and every segment came up. */
function expectFollowsVideo(stable: readonly string[], order: readonly string[]): void {
  for (let i = 1; i < stable.length; i++) {
    const previous = order.indexOf(stable[i - 1]!);
    expect(previous, `${stable[i - 1]} is one of the video's shapes (${stable.join(' → ')})`).toBeGreaterThanOrEqual(0);
    expect(stable[i], `after ${stable[i - 1]} (${stable.join(' → ')})`).toBe(order[(previous + 1) % order.length]);
  }
}

/**
 * Waits until the top label has shown `shown` labels (each held for `minRun` results) and checks
 * they follow the video's order; with shown > the number of shapes, every change of shape was seen.
 */
async function expectTopFollowsShapes(live: LiveCameraPage, order: readonly string[], { shown = order.length + 1, minRun = 2 } = {}): Promise<string[]> {
  await live.recordTops();
  let tops: ShownTop[] = [];
  await expect
    .poll(
      async () => {
        tops = await live.recordedTops();
        return stableSequence(tops, minRun).length;
      },
      { message: 'the top label should go through every shape of the video', timeout: FOLLOW_TIMEOUT_MS },
    )
    .toBeGreaterThanOrEqual(shown);
  const stable = stableSequence(tops, minRun);
  test.info().annotations.push({ type: 'top labels', description: `${tops.length} results: ${stable.join(' → ')}` });
  expectFollowsVideo(stable, order);
  return stable;
}

/** The grid (the rest of the image view) still ranks a dropped picture. */
async function expectGridRanks(live: LiveCameraPage, name: string): Promise<void> {
  const picture = shapeImage(name, { shape: 'star', colour: 'yellow', width: 160, height: 160, size: 0.8 });
  await live.addImages([picture]);
  await live.expectItemState(name, 'done');
  await live.waitForPredictionLabels(name, LABELS);
  expect(await live.topLabel(name)).toBe('yellow star');
}

test.describe('live camera with a fake camera', () => {
  test.beforeAll(async ({ playwright }) => {
    video = await shapeVideo(
      [
        { spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: SEGMENT_SECONDS },
        { spec: { shape: 'square', colour: 'blue', size: 0.7 }, seconds: SEGMENT_SECONDS },
        { spec: { shape: 'triangle', colour: 'green', size: 0.7 }, seconds: SEGMENT_SECONDS },
      ],
      { width: 320, height: 240, fps: 10 },
    );
    // No context yet: the network guard charges requests to the test that opens one.
    cameraBrowser = await launch(playwright, fakeCameraArgs(video.path));
  });

  test.afterAll(async () => {
    await cameraBrowser?.close();
  });

  test('on WASM: the top label follows the shapes; a label edit, capture, a hidden tab, stop and an unplugged camera', async ({ baseURL }) => {
    const { context, live } = await openLive(cameraBrowser, baseURL, { backend: 'wasm' });
    const { page } = live;
    try {
      const clipWorkers: string[] = [];
      page.on('worker', (worker) => {
        if (worker.url().includes('clip')) clipWorkers.push(worker.url());
      });
      // The model status, as the page shows it, from now on: a reload would pass through "loading".
      await page.evaluate(() => {
        const states: string[] = [];
        (window as unknown as { __modelStates: string[] }).__modelStates = states;
        const status = document.querySelector('[data-testid="model-status"]')!;
        new MutationObserver(() => states.push(status.getAttribute('data-state') ?? '')).observe(status, { attributes: true, attributeFilter: ['data-state'] });
      });

      await live.startLive();
      await expect(live.view).toHaveAttribute('data-backend', 'wasm');
      await expect(live.fps).toContainText('WASM');
      await expect.poll(async () => Number(await live.fps.getAttribute('data-fps'))).toBeGreaterThan(0);
      await expect.poll(async () => Number(await live.latency.getAttribute('data-latency-ms'))).toBeGreaterThan(0);
      await expectTopFollowsShapes(live, video.labels);

      // Capture: the frame on screen becomes an item, ranked like any dropped picture.
      const shownAtCapture = await live.top.getAttribute('data-raw-label');
      await live.captureButton.click();
      await live.expectItemState('Live capture 1.png', 'done');
      await live.waitForPredictionLabels('Live capture 1.png', LABELS);
      const captured = await live.topLabel('Live capture 1.png');
      const next = video.labels[(video.labels.indexOf(shownAtCapture!) + 1) % video.labels.length];
      expect([shownAtCapture, next], 'the captured frame shows the shape on screen (or the next, if the video moved on)').toContain(captured);

      // A label edit mid-stream: the next frames are ranked by colour, with the same model in the same worker.
      const before = await live.workerStats();
      const liveFramesBefore = await live.liveFramesCounter();
      const topBefore = (await live.top.getAttribute('data-label'))!;
      await live.setLabels(COLOUR_LABELS);
      await expect(live.top).toHaveAttribute('data-label', new RegExp(`^(${COLOUR_LABELS.join('|')})$`));
      const colourOf = (label: string) => label.split(' ')[0];
      const nextShape = video.labels[(video.labels.indexOf(topBefore) + 1) % video.labels.length]!;
      expect([colourOf(topBefore), colourOf(nextShape), colourOf(video.labels[(video.labels.indexOf(nextShape) + 1) % video.labels.length]!)]).toContain(
        await live.top.getAttribute('data-label'),
      );
      await expect.poll(() => live.liveFramesCounter()).toBeGreaterThan(liveFramesBefore);
      const after = await live.workerStats();
      expect(after.textsEmbedded - before.textsEmbedded, 'only the six new prompts went through the text model').toBe(COLOUR_LABELS.length);
      expect(after.visionRuns, 'the captured item was re-ranked from its cached embedding').toBe(before.visionRuns);
      expect(clipWorkers, 'no new model worker (a model load gets one)').toEqual([]);
      expect(await page.evaluate(() => (window as unknown as { __modelStates: string[] }).__modelStates), 'the model never left "ready"').toEqual([]);
      await live.setLabels(LABELS);

      // The tab hidden: no capture, no inference, while the camera goes on playing.
      await live.setHidden(true);
      await expect(live.view).toHaveAttribute('data-paused-by', 'hidden');
      await expect.poll(async () => (await live.debug())?.paused).toBe(true);
      // The frame in the worker when the tab went hidden may still be counted as scored: its result is not shown.
      const hiddenAt = (await live.debug())!;
      const videoAt = await live.videoSeconds();
      await expect.poll(() => live.videoSeconds(), { message: 'the camera keeps playing while hidden' }).toBeGreaterThan(videoAt + 2);
      const whileHidden = (await live.debug())!;
      expect(whileHidden.framesScored).toBe(hiddenAt.framesScored);
      expect(whileHidden.framesOffered).toBe(hiddenAt.framesOffered);
      await live.setHidden(false);
      await expect(live.view).toHaveAttribute('data-state', 'live');
      await expect.poll(async () => (await live.debug())!.framesScored).toBeGreaterThan(whileHidden.framesScored);

      // Stop: every track the page was given is ended (the camera light goes off).
      await live.stopButton.click();
      await expect(live.view).toHaveCount(0);
      await expect(live.startButton).toBeVisible();
      expect(await live.trackStates()).not.toContain('live');
      expect(await live.debug()).toBeNull();

      // Unplugged mid-stream: the track ends by itself; the message says so and the rest of the app works on.
      await live.startLive();
      await live.unplugCamera();
      await expect(live.error).toContainText('unplugged');
      await expect(live.view).toHaveCount(0);
      expect(await live.trackStates()).not.toContain('live');
      await expectGridRanks(live, 'after-unplug.png');
      expect(live.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test(`a ?live=camera link starts live mode; backpressure: with a model slowed by ${SLOW_MODEL_MS} ms, latency stays bounded for ${BACKPRESSURE_SECONDS} s and frames are dropped, not queued`, async ({ baseURL }) => {
    const { context, live } = await openLive(cameraBrowser, baseURL, { backend: 'wasm', liveLink: true });
    try {
      // Opened by the link: nobody pressed Live.
      await expect(live.view).toHaveAttribute('data-state', 'live');
      await expect.poll(async () => (await live.debug())?.framesScored ?? 0).toBeGreaterThanOrEqual(10);
      const unslowed = (await live.debug())!;
      const oneRunMs = [...unslowed.latenciesMs].sort((a, b) => a - b)[Math.floor(unslowed.latenciesMs.length / 2)]!;
      await live.slowModel(SLOW_MODEL_MS);
      // Every result's latency from now on, with the camera's clock when it was seen (a poll in the page).
      await live.page.evaluate(() => {
        const seen: Array<{ at: number; latencyMs: number }> = [];
        (window as unknown as { __latencies: typeof seen }).__latencies = seen;
        const api = (window as unknown as { zspDebug: { liveCamera(): { framesScored: number; latenciesMs: number[] } | null } }).zspDebug;
        const videoEl = document.querySelector<HTMLVideoElement>('[data-testid="live-video"]')!;
        let scored = api.liveCamera()?.framesScored ?? 0;
        const poll = () => {
          const now = api.liveCamera();
          if (now && now.framesScored > scored) {
            const fresh = now.latenciesMs.slice(-(now.framesScored - scored));
            for (const latencyMs of fresh) seen.push({ at: videoEl.currentTime, latencyMs });
            scored = now.framesScored;
          }
          requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
      });
      const startedAt = await live.videoSeconds();
      const droppedAtStart = (await live.debug())!.framesDropped;
      await expect
        .poll(() => live.videoSeconds(), { message: `the camera runs for ${BACKPRESSURE_SECONDS} s`, timeout: (BACKPRESSURE_SECONDS + 60) * 1000, intervals: [1000] })
        .toBeGreaterThan(startedAt + BACKPRESSURE_SECONDS);
      const end = (await live.debug())!;
      const seen = await live.page.evaluate(() => (window as unknown as { __latencies: Array<{ at: number; latencyMs: number }> }).__latencies);
      // The first results after the switch may still be fast ones: the window starts a second in.
      const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
      const first = seen.filter((s) => s.at > startedAt + 1 && s.at <= startedAt + 1 + WINDOW_SECONDS).map((s) => s.latencyMs);
      const last = seen.filter((s) => s.at > startedAt + BACKPRESSURE_SECONDS - WINDOW_SECONDS).map((s) => s.latencyMs);
      const boundMs = 3 * (SLOW_MODEL_MS + oneRunMs);
      test.info().annotations.push({
        type: 'latency',
        description: `one run ${oneRunMs.toFixed(0)} ms; first ${WINDOW_SECONDS} s median ${median(first).toFixed(0)} ms (${first.length}), last ${median(last).toFixed(0)} ms (${last.length}); bound ${boundMs.toFixed(0)} ms; dropped ${end.framesDropped - droppedAtStart}`,
      });
      expect(first.length).toBeGreaterThan(3);
      expect(last.length).toBeGreaterThan(3);
      expect(Math.min(...first), 'the model is slowed').toBeGreaterThanOrEqual(SLOW_MODEL_MS);
      expect(Math.max(...last), `every latency in the last ${WINDOW_SECONDS} s below 3 × (delay + one run)`).toBeLessThan(boundMs);
      expect(median(last), 'latency does not grow with time').toBeLessThanOrEqual(median(first) + SLOW_MODEL_MS + oneRunMs);
      expect(end.framesDropped - droppedAtStart, 'frames were dropped').toBeGreaterThan(BACKPRESSURE_SECONDS);
      // Nothing queues: what was offered was scored or dropped, but for one frame in the worker and one waiting.
      expect(end.framesOffered - end.framesScored - end.framesDropped).toBeLessThanOrEqual(2);
      expect(live.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test.describe('live camera on WebGPU', () => {
  test('the top label follows the shapes', async ({ playwright, baseURL }) => {
    // SwiftShader's WebGPU scores a frame every few seconds on this machine: longer shapes, and no
    // smoothing (set with the panel's slider), so each shape gets results of its own.
    const slowVideo = await shapeVideo(
      [
        { spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: WEBGPU_SEGMENT_SECONDS },
        { spec: { shape: 'square', colour: 'blue', size: 0.7 }, seconds: WEBGPU_SEGMENT_SECONDS },
        { spec: { shape: 'triangle', colour: 'green', size: 0.7 }, seconds: WEBGPU_SEGMENT_SECONDS },
      ],
      { width: 320, height: 240, fps: 10 },
    );
    const browser = await launch(playwright, fakeCameraArgs(slowVideo.path));
    try {
      const { live } = await openLive(browser, baseURL, { backend: 'webgpu' });
      await live.startLive();
      await expect(live.view).toHaveAttribute('data-backend', 'webgpu');
      await expect(live.fps).toContainText('WebGPU');
      await live.smoothing.fill('0');
      await expect(live.smoothing).toHaveValue('0');
      // Every result counts (no smoothing to cross over): all three shapes, in the video's order.
      await expectTopFollowsShapes(live, slowVideo.labels, { shown: slowVideo.labels.length, minRun: 1 });
      expect((await live.debug())!.backend).toBe('webgpu');
      expect(live.pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

test.describe('live camera without a camera to use', () => {
  test('denied camera permission is explained, and the grid still works', async ({ playwright, baseURL }) => {
    const browser = await launch(playwright, ['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
    try {
      const { live } = await openLive(browser, baseURL, { backend: 'wasm', debug: false });
      await live.startButton.click();
      await expect(live.error).toContainText('Camera access was denied');
      await expect(live.error).toHaveAttribute('role', 'alert');
      await expect(live.view).toHaveCount(0);
      await expectGridRanks(live, 'after-denied.png');
    } finally {
      await browser.close();
    }
  });

  test('a machine with no camera is explained, and the grid still works', async ({ playwright, baseURL }) => {
    // The fake UI grants permission, but with no fake capture device there is no camera.
    const browser = await launch(playwright, ['--use-fake-ui-for-media-stream']);
    try {
      const { live } = await openLive(browser, baseURL, { backend: 'wasm', debug: false });
      await live.startButton.click();
      await expect(live.error).toContainText('No camera was found');
      await expectGridRanks(live, 'after-no-camera.png');
    } finally {
      await browser.close();
    }
  });
});
