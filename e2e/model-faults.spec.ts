/**
 * Model hosts that fail, through the Hub mimic (which answers like huggingface.co: 302 to a CDN
 * origin for large files, 401 for missing or private repositories, 404 for a missing file). Each
 * fault must give its own clear message (the model-error's `data-kind` and text), never an endless
 * spinner, keep the items already ranked, and recover with a retry, without a page reload, once the
 * host is well again. What the host saw (requests, 401s, connections the app closed) is read from
 * the mimic's own log, not from the app.
 *
 * One page per test, faults one after another on it: each model load costs seconds on this machine.
 */
import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { BUILTIN_MODEL_DIR, BUILTIN_WHISPER_DIR, HubServer, STALL_AFTER_BYTES } from './support/hub-server';
import { ALL_LABELS, shapeImage } from './support/shapes';
import type { PlaygroundPage } from './pages/playground-page';

const HUB_MODEL = 'test-org/clip-shapes';
const PRIVATE_MODEL = 'test-org/private-shapes';
const SPEECH_MODEL = 'test-org/whisper-words';
const BUILTIN = 'builtin/clip-shapes';
const VISION_FILE = 'onnx/vision_model.onnx';
const UNREACHABLE = /(could ?n[o']?t|can ?no?t|unable to|failed to)( be)? (reach|connect)|unreachable/i;
/** Short enough that the stall test does not sit out the 30 s default; long enough for a busy machine's normal gaps. */
const TEST_STALL_TIMEOUT_MS = 3000;

const IMAGES = [
  shapeImage('faults-red-circle.png', { shape: 'circle', colour: 'red', width: 160, height: 160, size: 0.7 }),
  shapeImage('faults-blue-square.png', { shape: 'square', colour: 'blue', width: 160, height: 160, size: 0.7 }),
];
const EXPECTED_TOP: Record<string, string> = { 'faults-red-circle.png': 'red circle', 'faults-blue-square.png': 'blue square' };

let hub: HubServer;
test.beforeEach(async () => {
  hub = await HubServer.start(
    { [HUB_MODEL]: BUILTIN_MODEL_DIR, [PRIVATE_MODEL]: BUILTIN_MODEL_DIR, [SPEECH_MODEL]: BUILTIN_WHISPER_DIR },
    { privateRepos: [PRIVATE_MODEL] },
  );
});
test.afterEach(async ({}, testInfo) => {
  await testInfo.attach('hub-requests', { body: hub.describe(), contentType: 'text/plain' });
  await hub.stop();
});

/** The items ranked before the fault are all still there, with the same top labels. */
async function expectItemsKept(playground: PlaygroundPage): Promise<void> {
  await expect(playground.items).toHaveCount(IMAGES.length);
  for (const image of IMAGES) {
    await expect(playground.item(image.name)).toHaveAttribute('data-state', 'done');
    expect(await playground.topLabel(image.name), `${image.name} keeps its ranking`).toBe(EXPECTED_TOP[image.name]);
  }
}

/** The app's download cache (transformers.js's Cache Storage bucket): the URLs it holds. */
async function cachedUrls(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await (await caches.open('transformers-cache')).keys()).map((r) => r.url));
}

test('host down, 500, a missing file, a private repository and a speech model: each says so, keeps the ranked items; a stalled download can be cancelled; then a retry recovers', async ({ playground }) => {
  await playground.open({ backend: 'wasm', hub: hub.url });
  await playground.expectModelReady({ model: BUILTIN, backend: 'wasm' });
  await playground.setLabels(ALL_LABELS);
  await playground.addImages(IMAGES);
  for (const image of IMAGES) await playground.expectItemState(image.name, 'done');
  await expectItemsKept(playground);

  await test.step('host down: could not be reached', async () => {
    await hub.goOffline();
    await playground.downloadHubModel(HUB_MODEL);
    await playground.expectModelErrorKind('unreachable');
    await expect(playground.modelError).toContainText(UNREACHABLE);
    await expect(playground.modelError).toContainText(hub.url);
    await expectItemsKept(playground);
  });

  await test.step('500: the host had an error, retry later', async () => {
    await hub.goOnline();
    hub.mode = 'server-error';
    await playground.retryHubButton.click();
    await playground.expectModelErrorKind('server-error');
    await expect(playground.modelError).toContainText('HTTP 500');
    await expect(playground.modelError).toContainText(/retry/i);
    expect(hub.requestsFor('config.json', 'hub').some((r) => r.status === 500), hub.describe()).toBe(true);
    await expectItemsKept(playground);
  });

  await test.step('404 for one file: names the missing file', async () => {
    hub.mode = 'not-found';
    hub.faultFiles = /^onnx\/vision_model\.onnx$/;
    await playground.retryHubButton.click();
    await playground.expectModelErrorKind('not-found');
    await expect(playground.modelError).toContainText(`${VISION_FILE} is missing`);
    await expect(playground.modelError).toContainText('HTTP 404, EntryNotFound');
    await expectItemsKept(playground);
  });

  await test.step('401 for a private repository: not found, or private and needs access', async () => {
    hub.mode = 'normal';
    hub.faultFiles = null;
    await playground.downloadHubModel(PRIVATE_MODEL);
    await playground.expectModelErrorKind('no-access');
    await expect(playground.modelError).toContainText(/not found.*or it is private or gated and needs access/);
    const answers = hub.requests.filter((r) => r.model === PRIVATE_MODEL && r.method !== 'OPTIONS');
    expect(answers.length, 'the app asked the Hub').toBeGreaterThan(0);
    expect(answers.every((r) => r.status === 401), `the Hub answered 401 only:\n${hub.describe(answers)}`).toBe(true);
    await expectItemsKept(playground);
  });

  await test.step('a speech model picked for images: refused before any weights download', async () => {
    await playground.downloadHubModel(SPEECH_MODEL);
    await playground.expectModelErrorKind('wrong-kind');
    await expect(playground.modelError).toContainText(`${SPEECH_MODEL} is a speech model ("whisper"), not an image model`);
    // The download plan's one-byte size probes aside, no ONNX file was asked for, from either origin.
    const weights = hub.requests.filter((r) => r.model === SPEECH_MODEL && r.file?.endsWith('.onnx') && r.method === 'GET' && !r.range);
    expect(weights, `no weights downloaded:\n${hub.describe(weights)}`).toEqual([]);
    // Trying the same files again can't help; the built-in model is on offer.
    await expect(playground.retryHubButton).toHaveCount(0);
    await expect(playground.useBuiltinButton).toBeVisible();
    await expectItemsKept(playground);
  });

  await test.step('a stalled download is cancelled: back to the model in use before, with a retry', async () => {
    hub.mode = 'stall';
    hub.faultFiles = /^onnx\/vision_model\.onnx$/;
    await playground.downloadHubModel(HUB_MODEL);
    // The CDN has sent its first bytes of the file and then nothing: the app is waiting on it.
    await expect
      .poll(() => hub.requestsFor(VISION_FILE, 'cdn').some((r) => r.method === 'GET' && !r.range && r.bytes === STALL_AFTER_BYTES))
      .toBe(true);
    await expect(playground.modelStatus).toHaveAttribute('data-state', 'loading');
    await playground.cancelModelLoadButton.click();
    await playground.expectModelReady({ model: BUILTIN, backend: 'wasm' });
    await expect(playground.modelNotice).toContainText(`Stopped loading ${HUB_MODEL}`);
    // The app let go of the stalled connection (the mimic saw it closed before the body was complete).
    await expect.poll(() => hub.requestsFor(VISION_FILE, 'cdn').some((r) => r.bytes === STALL_AFTER_BYTES && r.closedEarly === true)).toBe(true);
    await expectItemsKept(playground);
  });

  await test.step('the host well again: the retry loads the Hub model and the items are ranked with it', async () => {
    hub.mode = 'normal';
    hub.faultFiles = null;
    await playground.modelNotice.getByTestId('retry-hub-button').click();
    await playground.expectModelReady({ model: HUB_MODEL, backend: 'wasm' });
    await expectItemsKept(playground);
  });
});

test('a stalled, a cut-short and a damaged download: each says what happened, keeps nothing broken, and a retry downloads the file again', async ({ page, playground }) => {
  hub.mode = 'stall';
  hub.faultFiles = /^onnx\/vision_model\.onnx$/;
  const size = hub.fileInfo(HUB_MODEL, VISION_FILE).size;
  await playground.open({ model: HUB_MODEL, hub: hub.url, backend: 'wasm', debug: true, stallTimeoutMs: TEST_STALL_TIMEOUT_MS });

  await test.step('stalled: the host stopped sending data, the download is stopped', async () => {
    await playground.expectModelErrorKind('stalled');
    await expect(playground.modelError).toContainText('The model host stopped sending data');
    await expect(playground.modelError).toContainText(`nothing arrived for ${TEST_STALL_TIMEOUT_MS / 1000} s while downloading ${VISION_FILE}`);
    await expect.poll(() => hub.requestsFor(VISION_FILE, 'cdn').some((r) => r.bytes === STALL_AFTER_BYTES && r.closedEarly === true)).toBe(true);
    expect((await cachedUrls(page)).filter((url) => url.endsWith(VISION_FILE))).toEqual([]);
  });

  await test.step('cut short: Content-Length promised more than came', async () => {
    hub.mode = 'truncate';
    await playground.retryHubButton.click();
    await playground.expectModelErrorKind('truncated');
    await expect(playground.modelError).toContainText(`The download of ${VISION_FILE} broke off after`);
    const cut = hub.requestsFor(VISION_FILE, 'cdn').filter((r) => r.method === 'GET' && !r.range && r.bytes === Math.floor(size / 2));
    expect(cut.length, hub.describe()).toBeGreaterThanOrEqual(1);
    expect((await cachedUrls(page)).filter((url) => url.endsWith(VISION_FILE))).toEqual([]);
  });

  await test.step('damaged: random bytes instead of the ONNX file, and the copy is dropped from the cache', async () => {
    hub.mode = 'corrupt';
    await playground.retryHubButton.click();
    await playground.expectModelErrorKind('corrupt');
    await expect(playground.modelError).toContainText('is damaged or is not an ONNX file');
    expect((await cachedUrls(page)).filter((url) => url.endsWith(VISION_FILE)), 'the damaged file is not kept').toEqual([]);
  });

  await test.step('the host well again: the retry downloads the real file and the model works', async () => {
    hub.mode = 'normal';
    hub.faultFiles = null;
    hub.clearLog();
    await playground.retryHubButton.click();
    await playground.expectModelReady({ model: HUB_MODEL, backend: 'wasm' });
    const downloads = hub.requestsFor(VISION_FILE, 'cdn').filter((r) => r.method === 'GET' && !r.range && r.status === 200);
    expect(downloads.map((r) => r.bytes), `downloaded again, whole:\n${hub.describe()}`).toEqual([size]);
    expect(await playground.rankOne(IMAGES[0]!, ALL_LABELS)).toBe('red circle');
  });
});
