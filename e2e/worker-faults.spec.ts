/**
 * Faults of the model workers, made real by the debug hooks (`?debug=1`): the worker crashes
 * mid-batch (an uncaught error thrown in it: the page's `worker.onerror`), and the WebGPU device is
 * lost mid-batch (ORT's own GPUDevice destroyed). The app restarts the worker, reloads the model and
 * sends exactly the items that had no result; a cancel while it reloads is honoured; a lost device
 * falls back to WASM and the batch ends with scores equal to onnxruntime-node's on the same pixels.
 */
import type { Request } from '@playwright/test';
import { test, expect } from './support/test';
import { FaultsPage } from './pages/faults-page';
import { BATCH_TIMEOUT_MS, MODEL_READY_TIMEOUT_MS } from './pages/playground-page';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { COLOUR_NAMES, randomShapeSet, toFilePayloads } from './support/shapes';
import { ClipReference } from './support/reference';
import { WORD_FILES, fixture } from './support/audio-fixtures';

/** The reference bar for image scores (reference.spec.ts uses the same). */
const SCORE_TOLERANCE = 1e-4;
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
    const reference = await ClipReference.load();
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
              return worst < SCORE_TOLERANCE ? 'equal' : `off by ${worst}`;
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
