/**
 * Loading a model from a Hub mirror (`?hub=`), served by a local Hub mimic: progress, caching
 * across reloads, and the error paths (model not found, host unreachable) with the offer to
 * switch to the built-in model.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './support/test';
import { BUILTIN_MODEL_DIR, HubServer, unreachableHubUrl } from './support/hub-server';
import { ALL_LABELS, shapeImage } from './support/shapes';

const HUB_MODEL = 'test-org/clip-shapes';
const ONNX_FILES = ['onnx/text_model.onnx', 'onnx/vision_model.onnx'];
const UNREACHABLE = /(could ?n[o']?t|can ?no?t|unable to|failed to|fails to)( be)? (reach|connect)|unreachable|not reachable|no connection|offline|network error/i;

let hub: HubServer;
test.beforeEach(async () => {
  hub = await HubServer.start();
});
test.afterEach(async ({}, testInfo) => {
  await testInfo.attach('hub-requests', { body: hub.describe(), contentType: 'text/plain' });
  await hub.stop();
});

test('downloads from the mirror with progress, classifies, and reloads from the cache', async ({ page, playground }) => {
  await playground.open({ model: HUB_MODEL, hub: hub.url, backend: 'wasm' });

  await test.step('per-file progress with totals', async () => {
    await expect(playground.fileProgress.first()).toBeAttached({ timeout: 60_000 });
    await playground.expectModelReady({ backend: 'wasm', model: HUB_MODEL });
    const progress = await playground.fileProgresses();
    for (const file of ONNX_FILES) {
      const size = statSync(join(BUILTIN_MODEL_DIR, file)).size;
      const entry = progress.find((p) => p.file === file || p.file.endsWith(`/${file}`));
      expect(entry, `a file-progress for ${file} in ${JSON.stringify(progress)}`).toBeDefined();
      expect(entry!.total, `${file}: data-total is the file size`).toBe(size);
      expect(entry!.loaded, `${file}: fully loaded`).toBe(size);
    }
    for (const p of progress) {
      expect(p.total, `${p.file}: has a total`).toBeGreaterThan(0);
      expect(p.loaded, `${p.file}: loaded == total once ready`).toBe(p.total);
    }
    for (const file of ONNX_FILES) {
      const full = hub.requestsFor(file).filter((r) => r.method === 'GET' && r.status === 200);
      expect(full.length, `${file} was downloaded from the mirror:\n${hub.describe()}`).toBeGreaterThanOrEqual(1);
    }
  });

  await test.step('classifies with the downloaded model', async () => {
    const image = shapeImage('hub-green-star.png', { shape: 'star', colour: 'green', width: 300, height: 300, size: 0.75 });
    expect(await playground.rankOne(image, ALL_LABELS)).toBe('green star');
  });

  await test.step('a reload is served from the browser cache', async () => {
    hub.clearLog();
    await page.reload();
    await playground.expectModelReady({ backend: 'wasm', model: HUB_MODEL });
    const onnx = hub.requestsFor(/^onnx\//);
    expect(onnx, `no model weights fetched again after the reload:\n${hub.describe()}`).toEqual([]);
    const other = hub.requests.filter((r) => r.method !== 'OPTIONS');
    // Ideally nothing at all is fetched again; a revalidation of small JSON files is reported, not failed.
    if (other.length > 0) {
      test.info().annotations.push({ type: 'warning', description: `after the reload the mirror still got:\n${hub.describe(other)}` });
    }
  });

  await test.step('the downloaded-models panel lists the model, and clearing it makes the next load download again', async () => {
    await expect.poll(() => playground.cachedModelIds()).toContain(HUB_MODEL);
    await playground.clearCacheButton.click();
    await expect.poll(() => playground.cachedModelIds()).not.toContain(HUB_MODEL);
    hub.clearLog();
    await page.reload();
    await playground.expectModelReady({ backend: 'wasm', model: HUB_MODEL });
    for (const file of ONNX_FILES) {
      const full = hub.requestsFor(file).filter((r) => r.method === 'GET' && r.status === 200);
      expect(full.length, `${file} downloaded again after clearing:\n${hub.describe()}`).toBeGreaterThanOrEqual(1);
    }
  });
});

test('a mirror that answers 404 gives a "not found" error and the built-in model on offer', async ({ playground }) => {
  hub.mode = 'not-found';
  await playground.open({ model: HUB_MODEL, hub: hub.url, backend: 'wasm' });
  await playground.expectModelError();
  await expect(playground.modelError).toContainText(/not found|does not exist|doesn't exist|no such model/i);
  await expect(playground.modelStatus).toHaveAttribute('data-model', HUB_MODEL);
  expect(hub.requests.length, 'the app did ask the mirror').toBeGreaterThan(0);

  await expect(playground.useBuiltinButton).toBeVisible();
  await playground.useBuiltinButton.click();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
  await expect(playground.modelError).toHaveCount(0);
});

test('retrying after the mirror recovers loads the hub model', async ({ playground }) => {
  hub.mode = 'not-found';
  await playground.open({ model: HUB_MODEL, hub: hub.url, backend: 'wasm' });
  await playground.expectModelError();
  hub.mode = 'normal';
  await expect(playground.retryHubButton).toBeVisible();
  await playground.retryHubButton.click();
  await playground.expectModelReady({ model: HUB_MODEL, backend: 'wasm' });
  expect(hub.requestsFor('onnx/vision_model.onnx').some((r) => r.status === 200)).toBe(true);
});

test('an unreachable mirror says it could not be reached and offers the built-in model', async ({ playground }) => {
  const url = await unreachableHubUrl();
  await playground.open({ model: HUB_MODEL, hub: url, backend: 'wasm' });
  await playground.expectModelError();
  await expect(playground.modelError).toContainText(UNREACHABLE);
  await expect(playground.modelError).not.toContainText(/not found/i);
  await expect(playground.useBuiltinButton).toBeVisible();
  await playground.useBuiltinButton.click();
  await playground.expectModelReady({ model: 'builtin/clip-shapes' });
});

test('a model remembered from an earlier visit whose host is unreachable: the built-in model carries on, with a retry', async ({ page, playground }) => {
  const url = await unreachableHubUrl();
  // As a returning user whose saved settings name a Hub model, now offline (no ?model= in the URL).
  await page.addInitScript(
    ([key, hubHost]) =>
      localStorage.setItem(key, JSON.stringify({ state: { modelId: 'test-org/clip-shapes', hubHost, backendPreference: 'wasm' }, version: 1 })),
    ['zero-shot-playground/settings', url] as const,
  );
  await playground.open();
  await expect(playground.modelStatus).toHaveAttribute('data-model', 'builtin/clip-shapes', { timeout: 60_000 });
  await playground.expectModelReady({ model: 'builtin/clip-shapes', backend: 'wasm' });
  const notice = page.getByTestId('model-notice');
  await expect(notice).toContainText(UNREACHABLE);
  await expect(notice).toContainText('built-in');
  await expect(notice.getByTestId('retry-hub-button')).toBeVisible();
});
