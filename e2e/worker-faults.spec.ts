/**
 * Faults of the model workers, made real by the debug hooks (`?debug=1`): the worker crashes
 * mid-batch (an uncaught error thrown in it: the page's `worker.onerror`), and the WebGPU device is
 * lost mid-batch (ORT's own GPUDevice destroyed). The app restarts the worker, reloads the model and
 * sends exactly the items that had no result; a cancel while it reloads is honoured; a lost device
 * falls back to WASM and the batch ends with scores equal to onnxruntime-node's on the same pixels.
 * Live camera mode (Chromium's fake camera playing a generated shape video) goes on through both:
 * after a crash the restarted worker scores frames again, and after a lost device the frames are
 * scored on WASM, with no alert and the one Stop button.
 */
import type { Request } from '@playwright/test';
import { test, expect } from './support/test';
import { FaultsPage } from './pages/faults-page';
import { LiveCameraPage } from './pages/live-camera-page';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { fakeCameraArgs, shapeVideo } from './support/liveVideo';
import { BATCH_TIMEOUT_MS, MODEL_READY_TIMEOUT_MS } from './pages/playground-page';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { COLOUR_NAMES, randomShapeSet, toFilePayloads } from './support/shapes';
import { ClipReference } from './support/reference';
import { WORD_FILES, fixture } from './support/audio-fixtures';

/** The reference bar for image scores (reference.spec.ts uses the same). */
/** As in reference.spec: q8 scores follow onnxruntime-node only to ~1e-2 (one activation scale per batch, and the app and the reference batch differently). */
const SCORE_TOLERANCE: Record<'fp32' | 'fp16' | 'q8', number> = { fp32: 1e-4, fp16: 1e-3, q8: 1e-2 };
/** Items that have results before the fault is injected: more than one vision batch (8), fewer than all. */
const RESULTS_BEFORE_FAULT = 8;
/**
 * Images per crashed batch: five vision batches of 8. The crash is asked for when the first batch's
 * results are in; the worker takes it once its current vision run is over, so batches are still left.
 */
const IMAGES_PER_BATCH = 40;
const LABELS: readonly string[] = [...COLOUR_NAMES];
const VISION_MODEL_FILE = /\/models\/builtin\/clip-shapes\/onnx\/vision_model[^/]*\.onnx$/;

test.describe('image worker crash', () => {
  test('a crash mid-batch restarts the worker, reloads the model and runs exactly the unfinished images; a cancel during the reload is honoured', async ({
    playground,
    page,
  }) => {
    const faults = new FaultsPage(page);
    // The browser's own record of the model file being fetched: once per worker that loads it.
    const visionFetches: Request[] = [];
    page.context().on('request', (request) => {
      if (VISION_MODEL_FILE.test(request.url())) visionFetches.push(request);
    });
    await playground.open({ model: 'builtin/clip-shapes', backend: 'wasm', debug: true });
    await playground.expectModelReady({ backend: 'wasm' });
    await playground.setLabels(LABELS);
    // transformers.js asks for each file more than once per load (a size probe, then the file).
    const fetchesPerLoad = visionFetches.length;
    expect(fetchesPerLoad).toBeGreaterThan(0);

    // 1. A crash mid-batch, left to recover by itself.
    const first = toFilePayloads(randomShapeSet(IMAGES_PER_BATCH, 12_001, { prefix: 'crash' }));
    await playground.addImages(first);
    const crash = await faults.crashWorker('image', RESULTS_BEFORE_FAULT);
    expect(crash.restarted).toBe(true);
    expect(crash.items).toBe(first.length);
    expect(crash.withResults, 'the crash came mid-batch').toBeGreaterThanOrEqual(RESULTS_BEFORE_FAULT);
    expect(crash.withResults, 'the crash came mid-batch').toBeLessThan(first.length);
    await expect(faults.modelNotice).toContainText('restarted');
    await faults.waitForAllImagesRanked(first.length, BATCH_TIMEOUT_MS);
    await expect(faults.batchProgress).toHaveCount(0);
    // The new worker's counters start at zero: it looked at exactly the images without a result.
    const afterFirst = await faults.imageCounters();
    expect(afterFirst.imagesEmbedded + afterFirst.imagesFromStorage).toBe(first.length - crash.withResults);
    expect(visionFetches, 'the restarted worker loaded the model again').toHaveLength(2 * fetchesPerLoad);
    await expect(playground.modelStatus).toHaveAttribute('data-state', 'ready');

    // 2. Another batch, another crash, and Cancel pressed while the model reloads.
    const second = toFilePayloads(randomShapeSet(IMAGES_PER_BATCH, 12_002, { prefix: 'cancel' }));
    await playground.addImages(second);
    await faults.crashImageWorkerAndCancelWhileReloading(first.length + RESULTS_BEFORE_FAULT);
    const cancelled = await faults.crashReport();
    expect(cancelled.restarted).toBe(true);
    const total = first.length + second.length;
    expect(cancelled.withResults).toBeGreaterThanOrEqual(first.length + RESULTS_BEFORE_FAULT);
    expect(cancelled.withResults).toBeLessThan(total);
    // The cancelled request was never sent: a request behind it in the new worker's queue comes
    // back with the worker having run nothing, and the unfinished images wait, with a Resume.
    await faults.imageWorkerBarrier(first[0]!.name);
    expect(await faults.imageCounters()).toEqual({ imagesEmbedded: 0, imagesFromStorage: 0, visionRuns: 0, textRuns: 0 });
    await expect(faults.batchProgress).toHaveCount(0);
    await expect(faults.batchPaused).toContainText(`${total - cancelled.withResults} images not embedded`);
    expect(await faults.rankedImages()).toEqual({ ranked: cancelled.withResults, total });

    await faults.resumeButton.click();
    await faults.waitForAllImagesRanked(total, BATCH_TIMEOUT_MS);
    const afterResume = await faults.imageCounters();
    expect(afterResume.imagesEmbedded + afterResume.imagesFromStorage).toBe(total - cancelled.withResults);
    await expect(faults.batchProgress).toHaveCount(0);
    await expect(faults.batchPaused).toHaveCount(0);
    expect(visionFetches).toHaveLength(3 * fetchesPerLoad);
  });
});

test.describe('WebGPU device lost', () => {
  test('the device lost mid-batch: the model reloads on WASM, the badge and a notice say so, and every image gets the WASM scores', async ({
    playground,
    page,
  }) => {
    test.slow();
    const faults = new FaultsPage(page);
    await playground.open({ model: 'builtin/clip-shapes', backend: 'webgpu', debug: true, virtualize: false });
    await playground.expectModelReady({ backend: 'webgpu' });
    await playground.setLabels(LABELS);
    const images = toFilePayloads(randomShapeSet(24, 12_003, { prefix: 'gpu' }));
    await playground.addImages(images);
    await faults.loseGpuDevice('image', RESULTS_BEFORE_FAULT);

    await expect(playground.modelStatus).toHaveAttribute('data-backend', 'wasm', { timeout: MODEL_READY_TIMEOUT_MS });
    await expect(playground.modelStatus).toHaveAttribute('data-state', 'ready');
    await expect(faults.modelNotice).toContainText('WebGPU stopped working');
    await expect(faults.modelNotice).toContainText('WebAssembly');
    await faults.waitForAllImagesRanked(images.length, BATCH_TIMEOUT_MS);

    // Every displayed score is what onnxruntime-node gives on the pixels the WASM model was fed.
    // Polled: the images ranked on WebGPU before the loss are ranked again once the WASM model is ready.
    // The same weights as the app's WASM model (8-bit by default there, fp32 on WebGPU before the loss).
    const wasmDtype = await playground.loadedDtype();
    const reference = await ClipReference.load(undefined, undefined, wasmDtype);
    try {
      const texts = await reference.embedTexts(await playground.debugPrompts());
      for (const image of images) {
        await expect
          .poll(
            async () => {
              const pixels = await playground.debugPreprocessed(image.name).catch(() => null);
              if (!pixels) return 'no pixels from the WASM model yet';
              const [embedding] = await reference.embedImages(pixels);
              const expected = ClipReference.scores(embedding!, texts);
              const shown = await playground.predictions(image.name);
              if (shown.length !== LABELS.length) return `${shown.length} predictions`;
              const worst = Math.max(...shown.map(({ label, score }) => Math.abs(score - expected[LABELS.indexOf(label)]!)));
              return worst < SCORE_TOLERANCE[wasmDtype] ? 'equal' : `off by ${worst}`;
            },
            { timeout: BATCH_TIMEOUT_MS, message: `${image.name}: scores against onnxruntime-node` },
          )
          .toBe('equal');
      }
    } finally {
      await reference.release();
    }
    await expect(playground.modelStatus).toHaveAttribute('data-backend', 'wasm');
    await expect(faults.batchProgress).toHaveCount(0);
  });
});

test.describe('audio worker crash', () => {
  test('a crash mid-batch of clips restarts the Whisper worker, and every clip ends ranked with its word and a transcript', async ({ audio, page }) => {
    const faults = new FaultsPage(page);
    await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', debug: true });
    await audio.expectModelReady({ backend: 'wasm' });
    await audio.setLabels(WHISPER_WORDS);
    await audio.addAudio(WORD_FILES.map((c) => fixture(c.file)));
    const crash = await faults.crashWorker('audio', 2);
    expect(crash.restarted).toBe(true);
    // The tiny model may have scored every clip by the time the worker takes the crash: it then
    // crashes during the transcripts, which the restarted worker makes again.
    expect(crash.withResults).toBeGreaterThanOrEqual(2);
    await expect(faults.modelNotice).toContainText('restarted');
    for (const { file, word } of WORD_FILES) {
      await audio.expectItemState(file, 'done');
      await audio.waitForPredictionLabels(file, WHISPER_WORDS);
      expect(await audio.topLabel(file), `top label of ${file}`).toBe(word);
      await expect(audio.transcript(file), `transcript of ${file}`).toHaveCount(1, { timeout: BATCH_TIMEOUT_MS });
    }
    await expect(faults.batchProgress).toHaveCount(0);
    await expect(audio.modelStatus).toHaveAttribute('data-state', 'ready');
  });
});

test.describe('live camera through worker faults', () => {
  /** Shapes the live camera ranks; the fake camera shows the first, all the time. */
  const LIVE_LABELS = ['red circle', 'blue square', 'green triangle', 'yellow star'];
  /** Frames scored by the new worker before the test believes live mode goes on. */
  const FRAMES_AFTER_FAULT = 3;

  /** Frames scored after `since`, on the live top (the camera shows a red circle), with no alert and one Stop. */
  async function expectLiveGoesOn(live: LiveCameraPage, since: number): Promise<void> {
    await expect
      .poll(async () => (await live.debug())?.framesScored ?? -1, { message: 'frames are scored again after the fault', timeout: MODEL_READY_TIMEOUT_MS })
      .toBeGreaterThanOrEqual(since + FRAMES_AFTER_FAULT);
    await expect(live.top).toHaveAttribute('data-label', 'red circle');
    await expect(live.view).toHaveAttribute('data-state', 'live');
    await expect(live.page.getByRole('alert')).toHaveCount(0);
    expect(await new FaultsPage(live.page).alertsSeen(), 'no alert, not even for a moment').toEqual([]);
    await expect(live.stopButton).toHaveCount(1);
    expect(live.pageErrors).toEqual([]);
  }

  // One page, one model load for both faults: the WebGPU load on SwiftShader is most of the time.
  test('live on WebGPU, the device lost: frames go on on WASM; then the worker crashes: it restarts and frames go on; never an alert, one Stop', async ({
    playwright,
    baseURL,
  }) => {
    test.slow();
    const video = await shapeVideo([{ spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: 2 }], { width: 320, height: 240, fps: 10 });
    const browser = await playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...fakeCameraArgs(video.path)] });
    try {
      const page = await (await browser.newContext({ baseURL })).newPage();
      const live = new LiveCameraPage(page);
      const faults = new FaultsPage(page);
      await page.goto(LiveCameraPage.query({ model: 'builtin/clip-shapes', backend: 'webgpu', labels: LIVE_LABELS, debug: true }));
      await live.expectModelReady({ backend: 'webgpu' });
      // Live on WebGPU with a frame sent to its worker: the device is lost under it (SwiftShader takes
      // seconds a frame, so it is most likely still in flight, the case that must not become an alert).
      await live.startButton.click();
      await expect(live.view).toHaveAttribute('data-state', 'live');
      await expect(live.view).toHaveAttribute('data-backend', 'webgpu');
      await expect.poll(async () => (await live.debug())?.framesOffered ?? 0).toBeGreaterThan(0);
      expect((await live.debug())!.backend).toBe('webgpu');
      await faults.recordAlerts();

      await test.step('WebGPU device lost: the model reloads on WASM and live frames are scored there', async () => {
        await faults.loseGpuDevice('image', 0);
        await expect(live.view).toHaveAttribute('data-backend', 'wasm', { timeout: MODEL_READY_TIMEOUT_MS });
        await expect(faults.modelNotice).toContainText('WebGPU stopped working');
        await expectLiveGoesOn(live, (await live.debug())!.framesScored);
        expect((await live.debug())!.backend).toBe('wasm');
        await expect(live.fps).toContainText('WASM');
      });

      await test.step('the image worker crashes: it restarts on the same backend and live frames are scored again', async () => {
        const crash = await faults.crashWorker('image', 0);
        expect(crash.restarted).toBe(true);
        await expect(faults.modelNotice).toContainText('restarted');
        // Counted from the restart: what the old worker scored before it crashed does not count.
        await expectLiveGoesOn(live, (await live.debug())!.framesScored);
        await expect(live.view).toHaveAttribute('data-backend', 'wasm');
      });

      await live.stopButton.click();
      await expect(live.startButton).toBeVisible();
      expect(await live.debug()).toBeNull();
    } finally {
      await browser.close();
    }
  });
});
