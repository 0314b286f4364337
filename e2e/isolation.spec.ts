/**
 * Cross-origin isolation on a static host that sends no headers (GitHub Pages): the build is
 * served by a plain file server with no COOP/COEP; once the app's service worker controls the page
 * (one reload), the page is cross-origin isolated, because the worker added the headers to the
 * document it served, and WASM runs with more than one thread. The checks are the browser's own
 * (`crossOriginIsolated`, the response's headers and where it came from) and the badge the user sees.
 */
import { test, expect } from './support/test';
import { ShellPage } from './pages/shell-page';
import { DIST_DIR, StaticServer } from './support/static-server';

test.use({ serviceWorkers: 'allow' });

let host: StaticServer;
test.beforeEach(async () => {
  host = await StaticServer.start(DIST_DIR);
});
test.afterEach(async ({}, testInfo) => {
  await testInfo.attach('static-host-requests', { body: host.describe(), contentType: 'text/plain' });
  await host.stop();
});

test('on a host without COOP/COEP the service worker makes the page isolated and WASM multithreaded', async ({ page, playground }) => {
  const shell = new ShellPage(page);
  const documents: Array<{ fromServiceWorker: boolean; coop: string | undefined; coep: string | undefined }> = [];
  page.on('response', (response) => {
    if (response.request().isNavigationRequest() && response.frame() === page.mainFrame()) {
      documents.push({
        fromServiceWorker: response.fromServiceWorker(),
        coop: response.headers()['cross-origin-opener-policy'],
        coep: response.headers()['cross-origin-embedder-policy'],
      });
    }
  });

  await page.goto(`${host.origin}/?backend=wasm`);
  await shell.waitForServiceWorker();
  await expect.poll(() => shell.crossOriginIsolated(), { timeout: 60_000 }).toBe(true);

  // The host itself never sent the headers: the first document came from it, bare; the reload's from the worker, with them.
  expect(documents[0], 'the first visit is served by the host').toMatchObject({ fromServiceWorker: false, coop: undefined, coep: undefined });
  expect(documents.length, `one reload into the service worker, no loop: ${JSON.stringify(documents)}`).toBe(2);
  expect(documents[1]).toEqual({ fromServiceWorker: true, coop: 'same-origin', coep: 'require-corp' });

  await playground.expectModelReady({ backend: 'wasm', model: 'builtin/clip-shapes' });
  expect(await shell.wasmThreads(), 'WASM threads shown on the badge').toBeGreaterThan(1);
});
