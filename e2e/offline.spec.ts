/**
 * The service worker: after a first visit the app opens and classifies with no network (the
 * browser context offline), an image with the built-in CLIP and a clip with the built-in Whisper;
 * requests to a model host (another origin) go past it untouched; and a new deployment shows the
 * update banner, and its Reload brings the new version, whose index.html later navigations get.
 * What reached the network is read from the browser (`fromServiceWorker`, Cache Storage) and from
 * the servers' own logs. The offline session also proves the app runs under its Content-Security-
 * Policy (the <meta> and the header the service worker adds) with no violation: images from a
 * folder with truth, the thresholds chart (uPlot), blob: previews, audio.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Request } from '@playwright/test';
import { test, expect } from './support/test';
import { AudioPage, WHISPER_WORDS } from './pages/audio-page';
import { ReviewPage } from './pages/review-page';
import { openAnalysisTab } from './pages/sections';
import { ShellPage } from './pages/shell-page';
import { fixture } from './support/audio-fixtures';
import { HubServer, REPO_ROOT } from './support/hub-server';
import { shapeImage } from './support/shapes';
import { StaticServer, copyBuild } from './support/static-server';

test.use({ serviceWorkers: 'allow' });

const FOLDER_CLASSES = [
  ['red', 'circle'],
  ['blue', 'cross'],
] as const;

/** Four pictures in ImageFolder layout (`<root>/<class>/<file>.png`): the folder names are their truth. */
function writeSmallFolder(): { root: string; truth: Map<string, string> } {
  const root = join(REPO_ROOT, 'e2e', '.tmp', 'offline-folder');
  const truth = new Map<string, string>();
  for (const [colour, shape] of FOLDER_CLASSES) {
    const label = `${colour} ${shape}`;
    mkdirSync(join(root, label), { recursive: true });
    for (const index of [0, 1]) {
      const image = shapeImage(`${colour}-${shape}-${index}.png`, { colour, shape, width: 160 + 48 * index, height: 160, size: 0.65 });
      writeFileSync(join(root, label, image.name), image.buffer);
      truth.set(image.name, label);
    }
  }
  return { root, truth };
}

test('after the first visit the app opens and classifies images and a clip offline, under its CSP with no violation', async ({ page, context, playground }) => {
  const shell = new ShellPage(page);
  await shell.recordViolations();
  const folder = writeSmallFolder();
  const hub = await HubServer.start();
  try {
    await playground.open({ backend: 'wasm', labels: ['red circle', 'blue cross', 'green star', 'yellow square'] });
    await shell.waitForServiceWorker();
    await expect(shell.offlineReady).toBeVisible();

    await test.step('the precache holds the app shell, the ORT runtime and the built-in models', async () => {
      const precached = Object.entries(await shell.cachedUrls())
        .filter(([name]) => name.startsWith('workbox-precache'))
        .flatMap(([, urls]) => urls.map((url) => new URL(url).pathname));
      for (const path of [
        '/index.html',
        '/ort/ort-wasm-simd-threaded.wasm',
        '/ort/ort-wasm-simd-threaded.asyncify.wasm',
        '/models/builtin/clip-shapes/onnx/vision_model.onnx',
        '/models/builtin/whisper-words/onnx/decoder_model_merged.onnx',
      ]) {
        expect(precached, `${path} is precached`).toContain(path);
      }
    });

    await test.step('a model host on another origin is not intercepted nor cached by the service worker', async () => {
      const viaServiceWorker: Request[] = [];
      context.on('request', (request) => {
        if (request.serviceWorker() && request.url().startsWith(hub.url)) viaServiceWorker.push(request);
      });
      const configUrl = `${hub.url}test-org/clip-shapes/resolve/main/config.json`;
      const [response] = await Promise.all([page.waitForResponse(configUrl), page.evaluate((url) => fetch(url).then((r) => r.status), configUrl)]);
      expect(response.status()).toBe(200);
      expect(response.fromServiceWorker(), 'answered by the network, not the service worker').toBe(false);
      expect(viaServiceWorker.map((request) => request.url())).toEqual([]);
      const cached = Object.values(await shell.cachedUrls()).flat();
      expect(cached.filter((url) => url.startsWith(hub.url))).toEqual([]);
      expect(hub.requestsFor('config.json').length).toBe(1);
    });

    await context.setOffline(true);
    const notFromServiceWorker: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(new URL(page.url()).origin) && !response.fromServiceWorker()) notFromServiceWorker.push(response.url());
    });

    await test.step('offline: reload, the built-in CLIP ranks a folder of images; previews and the thresholds chart render', async () => {
      await page.reload();
      await playground.expectModelReady({ backend: 'wasm', model: 'builtin/clip-shapes' });
      await new ReviewPage(page).addFolder(folder.root);
      await playground.waitForSettled([...folder.truth.keys()]);
      for (const [name, label] of folder.truth) expect(await playground.topLabel(name), name).toBe(label);
      await expect(page.locator('img[src^="blob:"]').first()).toBeVisible();
      const drawer = await openAnalysisTab(page, 'thresholds');
      await expect(drawer.getByTestId('coverage-curve').locator('canvas').first()).toBeVisible();
    });

    await test.step('offline: the audio view (a new navigation), the built-in Whisper ranks a clip', async () => {
      const audio = new AudioPage(page);
      await audio.open({ backend: 'wasm' });
      await audio.expectModelReady({ backend: 'wasm', model: 'builtin/whisper-words' });
      await audio.classify([fixture('left.wav')], WHISPER_WORDS);
      expect(await audio.topLabel('left.wav')).toBe('left');
      await expect(page.locator('audio[src^="blob:"]').first()).toBeAttached();
    });

    expect(shell.violations(), 'nothing the app does breaks its policy').toEqual([]);
    await expect(shell.violationNotice).toBeHidden();
    expect(notFromServiceWorker, 'offline, everything of the app came from the service worker').toEqual([]);
    expect(playground.pageErrors.map((error) => error.message)).toEqual([]);
  } finally {
    await context.setOffline(false);
    await hub.stop();
  }
});

/** Isolation headers, as a host with header files sends them: the update check is the subject here, not the reload into isolation. */
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const BUILD_MARKER = '<meta name="e2e-build" content="2" />';

/**
 * Deploys a "new version" over the copy without rebuilding: index.html changes, and sw.js's
 * precache manifest gets that file's new revision, as a build would write it.
 */
function deployNewIndex(root: string): string {
  const indexPath = join(root, 'index.html');
  const html = readFileSync(indexPath, 'utf8').replace('</head>', `${BUILD_MARKER}</head>`);
  writeFileSync(indexPath, html);
  const revision = createHash('md5').update(html).digest('hex');
  const swPath = join(root, 'sw.js');
  const sw = readFileSync(swPath, 'utf8');
  const entry = /\{"revision":"[0-9a-f]+","url":"index\.html"\}/g;
  expect(sw.match(entry)?.length, 'sw.js lists index.html once in its precache manifest').toBe(1);
  writeFileSync(swPath, sw.replace(entry, `{"revision":"${revision}","url":"index.html"}`));
  return revision;
}

function cachedKeys(caches: Record<string, string[]>): string[] {
  return Object.values(caches)
    .flat()
    .map((url) => new URL(url).pathname + new URL(url).search);
}

test('a new version shows the update banner; Reload activates it and navigations get its index.html; another tab is not reloaded', async ({ page, context, playground }) => {
  const shell = new ShellPage(page);
  const root = copyBuild('offline-update');
  const host = await StaticServer.start(root, { headers: ISOLATION_HEADERS });
  try {
    await page.goto(`${host.origin}/?backend=wasm`);
    await shell.waitForServiceWorker();
    await expect(page.locator('meta[name="e2e-build"]')).toHaveCount(0);
    await expect(shell.updateBanner).toBeHidden();
    // A second tab of the app, whose user does not click Reload: a mark on its window tells whether it was reloaded.
    const otherTab = await context.newPage();
    const other = new ShellPage(otherTab);
    await otherTab.goto(`${host.origin}/?backend=wasm`);
    await other.waitForServiceWorker();
    await otherTab.evaluate(() => Object.assign(window, { e2eNotReloaded: true }));

    const revision = deployNewIndex(root);
    host.requests.length = 0;
    await shell.checkForUpdate();
    await expect(shell.updateBanner).toBeVisible();
    expect(await shell.waitingWorker(), 'the new version waits for the user').toBe(true);
    // The new worker fetched the one changed file; the unchanged 60 MB stayed in the cache.
    // (Workbox keys the cache by `?__WB_REVISION__=`, but fetches the plain URL with `cache: 'reload'`.)
    expect(host.requestsFor('/index.html').length, host.describe()).toBe(1);
    expect(cachedKeys(await shell.cachedUrls())).toContain(`/index.html?__WB_REVISION__=${revision}`);
    expect(host.requests.filter((r) => /\.(wasm|onnx)/.test(r.url))).toEqual([]);
    await expect(page.locator('meta[name="e2e-build"]'), 'the running page is not swapped under the user').toHaveCount(0);

    await expect(other.updateBanner, 'the other tab sees the new version too').toBeVisible();

    await Promise.all([page.waitForEvent('load'), shell.updateReload.click()]);
    await expect(page.locator('meta[name="e2e-build"]')).toHaveCount(1);
    await expect(shell.updateBanner).toBeHidden();
    expect(await shell.waitingWorker()).toBe(false);

    await test.step('the other tab keeps running its old version and says a newer one took over; its own Reload brings it', async () => {
      await expect(other.updateTakenOver).toBeVisible();
      await expect(other.updateTakenOver).toContainText('A newer version took over in another tab');
      await expect(other.updateBanner).toBeHidden();
      expect(await otherTab.evaluate(() => 'e2eNotReloaded' in window), 'the other tab was not reloaded').toBe(true);
      await expect(otherTab.locator('meta[name="e2e-build"]')).toHaveCount(0);
      await Promise.all([otherTab.waitForEvent('load'), other.updateTakenOverReload.click()]);
      await expect(otherTab.locator('meta[name="e2e-build"]')).toHaveCount(1);
      await expect(other.updateTakenOver).toBeHidden();
      await otherTab.close();
    });

    // A later navigation (another URL of the app) is answered with the new version's index.html too.
    await page.goto(`${host.origin}/?task=audio&backend=wasm`);
    await expect(page.locator('meta[name="e2e-build"]')).toHaveCount(1);
    await expect(page.getByTestId('task-audio')).toHaveAttribute('aria-selected', 'true');
    expect(playground.pageErrors.map((error) => error.message)).toEqual([]);
  } finally {
    await host.stop();
  }
});
