/**
 * Live camera mode with Chromium's fake camera playing a video made here (./support/liveVideo.ts):
 * three shapes, each held for a few seconds, looped. Every frame's own top label must be the shape
 * the video showed at that frame's time (requestVideoFrameCallback's mediaTime, on live-top as
 * data-media-time), on WASM and on WebGPU, whatever the frame rate; a label edit re-ranks with no
 * model reload; Capture adds a ranked item; hiding the tab pauses (the worker's own counter stands
 * still); Stop ends every track; a slow model drops frames instead of queueing them. Denied
 * permission, no camera and an unplugged camera each get their message, and the grid still ranks
 * a picture. One browser with the fake camera serves the WASM tests; WebGPU has its own (longer shapes).
 */
import type { Browser, BrowserContext, PlaywrightWorkerArgs } from '@playwright/test';
import { test, expect } from './support/test';
import { LiveCameraPage, type ShownTop } from './pages/live-camera-page';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { installMediaProbe } from './support/liveMedia';
import { fakeCameraArgs, shapeVideo, type ShapeVideo } from './support/liveVideo';
import { shapeImage } from './support/shapes';

const SEGMENT_SECONDS = 3;
/**
 * SwiftShader's WebGPU scores a frame every few seconds: with shapes longer than that, consecutive
 * frames cannot skip one, so each is seen within a loop whatever the pace (with 3 s shapes a frame
 * every 4.5 s could land on the same two shapes forever).
 */
const WEBGPU_SEGMENT_SECONDS = 8;
/** A frame this close to a change of shape (in the video's time) may show either shape. */
const BOUNDARY_TOLERANCE_SECONDS = 0.3;
/** Until every shape has been seen: about a loop of the video (9 s; on WebGPU 24 s), and room for a slow start. */
const FOLLOW_TIMEOUT_MS = { wasm: 30_000, webgpu: 90_000 };
/** The six labels ranked; the video shows the first three, in this order. */
const LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple cross', 'orange circle'];
const COLOUR_LABELS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const SLOW_MODEL_MS = 400;
/** How long (of the camera's own clock) the slow model runs: "over a minute", as the issue asks. */
const BACKPRESSURE_SECONDS = 60;
const WINDOW_SECONDS = 10;
/** The latest-wins scheduler's bound: one frame in the worker, one waiting. */
const MAX_QUEUED_FRAMES = 2;
/** The worker posts its counter right after a result: it may differ from the page's framesScored by a frame in flight or a result not shown. */
const WORKER_COUNT_MARGIN = 2;
/** The worker posts its counters at most once a second: read them later than that after the last frame could have run. */
const STATS_SETTLE_SECONDS = 1.5;

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
  await installMediaProbe(context);
  const live = new LiveCameraPage(await context.newPage());
  const query = LiveCameraPage.query({ backend: options.backend, labels: LABELS, debug: options.debug ?? true });
  // `?live=camera`: a link that opens straight into live mode (the panel starts by itself).
  await live.page.goto(options.liveLink ? `${query}&live=camera` : query);
  await live.expectModelReady({ backend: options.backend });
  return { context, live };
}

/**
 * The labels a frame at `mediaTime` (s) may show: its segment's, and the neighbour's within the
 * tolerance of a change. Chromium's file-backed fake camera starts the file at its first frame
 * each time the device opens and stamps each frame with the time since then, at the file's rate,
 * so mediaTime modulo the loop's length is the frame's place in the file.
 */
function labelsAt(mediaTime: number, shapes: ShapeVideo): string[] {
  const n = shapes.labels.length;
  const loopSeconds = shapes.segmentSeconds.reduce((sum, seconds) => sum + seconds, 0);
  const position = mediaTime % loopSeconds;
  let index = 0;
  let start = 0;
  while (index < n - 1 && position >= start + shapes.segmentSeconds[index]!) start += shapes.segmentSeconds[index++]!;
  const allowed = [shapes.labels[index]!];
  if (position - start < BOUNDARY_TOLERANCE_SECONDS) allowed.push(shapes.labels[(index + n - 1) % n]!);
  if (start + shapes.segmentSeconds[index]! - position < BOUNDARY_TOLERANCE_SECONDS) allowed.push(shapes.labels[(index + 1) % n]!);
  return allowed;
}

/** The first result that does not match the video (a later frame earlier in time, or a label the video did not show there); null if all match. */
function mismatch(tops: readonly ShownTop[], shapes: ShapeVideo): string | null {
  for (const [i, top] of tops.entries()) {
    if (top.mediaTime === null) return `result ${i} (${top.raw}) has no data-media-time`;
    if (i > 0 && top.mediaTime <= tops[i - 1]!.mediaTime!) return `result ${i} is for an older frame (${top.mediaTime.toFixed(2)} s after ${tops[i - 1]!.mediaTime!.toFixed(2)} s)`;
    const allowed = labelsAt(top.mediaTime, shapes);
    if (!allowed.includes(top.raw)) return `result ${i}: "${top.raw}" at ${top.mediaTime.toFixed(2)} s, where the video showed ${allowed.join(' / ')}`;
  }
  return null;
}

/**
 * Every frame's own top label is the shape the video showed at that frame's time, and each shape
 * was seen (away from a change of shape) at least once: as many loops of the video as that takes,
 * at any frame rate. With frames in time order (checked), the labels came in the video's order.
 */
async function expectTopFollowsShapes(live: LiveCameraPage, shapes: ShapeVideo, timeout: number): Promise<void> {
  await live.recordTops();
  let tops: ShownTop[] = [];
  await expect
    .poll(
      async () => {
        tops = await live.recordedTops();
        const wrong = mismatch(tops, shapes);
        if (wrong) return wrong;
        const seen = new Set(tops.filter((top) => labelsAt(top.mediaTime!, shapes).length === 1).map((top) => top.raw));
        const missing = shapes.labels.filter((label) => !seen.has(label));
        return missing.length === 0 ? 'every shape seen' : `not seen yet: ${missing.join(', ')} (${tops.length} results)`;
      },
      { message: 'every frame ranked as the shape the video showed then, and every shape seen', timeout },
    )
    .toBe('every shape seen');
  test.info().annotations.push({
    type: 'top labels',
    description: `${tops.length} results over ${(tops.at(-1)!.mediaTime! - tops[0]!.mediaTime!).toFixed(1)} s of video: ${tops.map((top) => `${top.mediaTime!.toFixed(1)} ${top.raw}`).join(', ')}`,
  });
}

/** The grid (the rest of the image view) still ranks a dropped picture. */
async function expectGridRanks(live: LiveCameraPage, name: string): Promise<void> {
  const picture = shapeImage(name, { shape: 'star', colour: 'yellow', width: 160, height: 160, size: 0.8 });
  await live.addImages([picture]);
  await live.expectItemState(name, 'done');
  await live.waitForPredictionLabels(name, LABELS);
  expect(await live.topLabel(name)).toBe('yellow star');
}

/** Red circle, blue square, green triangle, each held `seconds`, looped by the fake camera. */
async function threeShapes(seconds: number): Promise<ShapeVideo> {
  return shapeVideo(
    [
      { spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds },
      { spec: { shape: 'square', colour: 'blue', size: 0.7 }, seconds },
      { spec: { shape: 'triangle', colour: 'green', size: 0.7 }, seconds },
    ],
    { width: 320, height: 240, fps: 10 },
  );
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test.describe('live camera with a fake camera', () => {
  test.beforeAll(async ({ playwright }) => {
    video = await threeShapes(SEGMENT_SECONDS);
    // No context yet: the network guard charges requests to the test that opens one.
    cameraBrowser = await launch(playwright, fakeCameraArgs(video.path));
  });

  test.afterAll(async () => {
    await cameraBrowser?.close();
  });

  test('on WASM from a ?live=camera link: the top label follows the shapes; a label edit, capture, a hidden tab, stop and an unplugged camera', async ({ baseURL }) => {
    const { context, live } = await openLive(cameraBrowser, baseURL, { backend: 'wasm', liveLink: true });
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

      // Opened by the link: nobody pressed Live.
      await expect(live.view).toHaveAttribute('data-state', 'live');
      await expect(live.top).not.toHaveAttribute('data-label', '');
      await expect(live.view).toHaveAttribute('data-backend', 'wasm');
      await expect(live.fps).toContainText('WASM');
      await expect.poll(async () => Number(await live.fps.getAttribute('data-fps'))).toBeGreaterThan(0);
      await expect.poll(async () => Number(await live.latency.getAttribute('data-latency-ms'))).toBeGreaterThan(0);
      await expectTopFollowsShapes(live, video, FOLLOW_TIMEOUT_MS.wasm);

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
      // The frame in the worker when the tab went hidden may still run: its result is not shown.
      const hiddenAt = (await live.debug())!;
      const videoAt = await live.videoSeconds();
      // The worker's own counter, read once its last post (at most once a second, after a frame) is in.
      await expect.poll(() => live.videoSeconds(), { message: 'the camera keeps playing while hidden' }).toBeGreaterThan(videoAt + STATS_SETTLE_SECONDS);
      const workerFramesHidden = await live.liveFramesCounter();
      await expect.poll(() => live.videoSeconds(), { message: 'the camera keeps playing while hidden' }).toBeGreaterThan(videoAt + STATS_SETTLE_SECONDS + 2);
      expect(await live.liveFramesCounter(), 'the worker ran no frame while the tab was hidden').toBe(workerFramesHidden);
      const whileHidden = (await live.debug())!;
      expect(whileHidden.framesScored).toBe(hiddenAt.framesScored);
      expect(whileHidden.framesOffered).toBe(hiddenAt.framesOffered);
      await live.setHidden(false);
      await expect(live.view).toHaveAttribute('data-state', 'live');
      await expect.poll(async () => (await live.debug())!.framesScored).toBeGreaterThan(whileHidden.framesScored);
      await expect.poll(() => live.liveFramesCounter(), { message: 'the worker runs frames again' }).toBeGreaterThan(workerFramesHidden);

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

  test(`backpressure: with a model slowed by ${SLOW_MODEL_MS} ms, for ${BACKPRESSURE_SECONDS} s nothing queues, frames are dropped and latency does not grow`, async ({ baseURL }) => {
    const { context, live } = await openLive(cameraBrowser, baseURL, { backend: 'wasm' });
    try {
      await live.startLive();
      await live.slowModel(SLOW_MODEL_MS);
      // Only the frame already in the worker when the hook arrived can be a fast one (one in flight at
      // most): two results later, every frame was sent after it. Counted, not timed.
      const scoredAtHook = (await live.debug())!.framesScored;
      await expect.poll(async () => (await live.debug())!.framesScored, { message: 'two results after the hook' }).toBeGreaterThanOrEqual(scoredAtHook + 2);
      await live.startBackpressureProbe();
      const startedAt = await live.videoSeconds();
      const droppedAtStart = (await live.debug())!.framesDropped;
      await expect
        .poll(() => live.videoSeconds(), { message: `the camera runs for ${BACKPRESSURE_SECONDS} s`, timeout: (BACKPRESSURE_SECONDS + 60) * 1000, intervals: [1000] })
        .toBeGreaterThan(startedAt + BACKPRESSURE_SECONDS);
      const end = (await live.debug())!;
      const probe = await live.backpressureProbe();
      const latencies = probe.latencies.map((s) => s.latencyMs);
      const first = probe.latencies.filter((s) => s.at <= startedAt + WINDOW_SECONDS).map((s) => s.latencyMs);
      const last = probe.latencies.filter((s) => s.at > startedAt + BACKPRESSURE_SECONDS - WINDOW_SECONDS).map((s) => s.latencyMs);
      const counts = probe.workerCounts;
      const workerRan = counts.at(-1)!.workerFrames - counts[0]!.workerFrames;
      const presented = counts.at(-1)!.presentedFrames - counts[0]!.presentedFrames;
      const offsets = counts.map((c) => c.workerFrames - c.framesScored);
      test.info().annotations.push({
        type: 'backpressure',
        description:
          `${probe.samples} samples, at most ${probe.maxQueued} queued; dropped ${end.framesDropped - droppedAtStart}; worker ran ${workerRan} frames of ${presented} presented; ` +
          `worker − scored ${Math.min(...offsets)}..${Math.max(...offsets)}; latency median first ${WINDOW_SECONDS} s ${median(first).toFixed(0)} ms (${first.length}), last ${median(last).toFixed(0)} ms (${last.length}), min ${Math.min(...latencies).toFixed(0)} ms`,
      });
      // Nothing queues: at every animation frame, one frame in the worker and one waiting at most.
      expect(probe.samples).toBeGreaterThan(BACKPRESSURE_SECONDS);
      expect(probe.maxQueued, 'frames offered but neither scored nor dropped, at any moment').toBeLessThanOrEqual(MAX_QUEUED_FRAMES);
      expect(end.framesDropped - droppedAtStart, 'frames were dropped').toBeGreaterThan(0);
      // The worker's own account (its counter, posted from the worker) against the browser's (frames the video presented).
      expect(counts.length, 'the worker posted its counters during the minute').toBeGreaterThan(2);
      expect(workerRan, 'the worker ran frames').toBeGreaterThan(0);
      expect(workerRan, 'the worker ran far fewer frames than the camera gave').toBeLessThan(presented / 2);
      expect(Math.max(...offsets) - Math.min(...offsets), 'every frame the worker ran was scored (or is the one in flight)').toBeLessThanOrEqual(WORKER_COUNT_MARGIN);
      // Latency does not grow: no bound on speed, only against itself.
      expect(first.length).toBeGreaterThan(2);
      expect(last.length).toBeGreaterThan(2);
      expect(Math.min(...latencies), 'every result waited for the slowed model').toBeGreaterThanOrEqual(SLOW_MODEL_MS);
      expect(median(last), `the last ${WINDOW_SECONDS} s median latency within 1.5 × the first ${WINDOW_SECONDS} s median`).toBeLessThanOrEqual(1.5 * median(first));
      expect(live.pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

test.describe('live camera on WebGPU', () => {
  test('the top label follows the shapes', async ({ playwright, baseURL }) => {
    // Its own fake camera: the same shapes held longer (WEBGPU_SEGMENT_SECONDS), the frames still matched to their own time.
    const slowVideo = await threeShapes(WEBGPU_SEGMENT_SECONDS);
    const browser = await launch(playwright, fakeCameraArgs(slowVideo.path));
    try {
      const { live } = await openLive(browser, baseURL, { backend: 'webgpu' });
      await live.startLive();
      await expect(live.view).toHaveAttribute('data-backend', 'webgpu');
      await expect(live.fps).toContainText('WebGPU');
      await expectTopFollowsShapes(live, slowVideo, FOLLOW_TIMEOUT_MS.webgpu);
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
