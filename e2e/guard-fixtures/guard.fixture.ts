/**
 * Fixtures for `e2e/guard.spec.ts` (not part of the suite): each test but the clean ones reaches
 * for http://example.invalid/<its own path> from one kind of browser context or worker, and must be
 * failed by the network guard with that URL in its message.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from '../support/test';

export const OUTSIDE = 'http://example.invalid';

/**
 * Marks a test that must be failed by the guard. Declared as an expected failure only so that the
 * runner keeps its worker process (after an unexpected failure it starts a new one, seconds each
 * here): the parent spec still reads each result's status ('failed') and error message.
 */
function mustBeFailedByTheGuard(): void {
  test.fail();
}

const PAGE = '<!doctype html><title>guard fixture</title><p>guard fixture</p>';
// A service worker that fetches whatever URL the page posts to it and answers with the outcome.
const SERVICE_WORKER = `
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('message', (event) => {
  fetch(event.data).then(() => 'loaded', () => 'refused').then((outcome) => event.ports[0].postMessage(outcome));
});`;

let server: Server;
let origin: string;

test.beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/sw.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(SERVICE_WORKER);
    } else if (req.url === '/local.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Opens the fixture page and fetches `url` from it; resolves once the fetch has settled either way. */
async function fetchFrom(page: Page, url: string): Promise<string> {
  await page.goto(`${origin}/`);
  return page.evaluate((target) => fetch(target).then(() => 'loaded', () => 'refused'), url);
}

test('clean: a page that only talks to localhost', async ({ page }) => {
  expect(await fetchFrom(page, `${origin}/local.json`)).toBe('loaded');
});

test('clean: a blocked request the test declared', async ({ page, network }) => {
  network.expectBlocked(1);
  expect(await fetchFrom(page, `${OUTSIDE}/declared`)).toBe('refused');
});

test('default context', async ({ page }) => {
  mustBeFailedByTheGuard();
  await fetchFrom(page, `${OUTSIDE}/default-context`);
});

test('browser.newContext()', async ({ browser }) => {
  mustBeFailedByTheGuard();
  const context = await browser.newContext();
  try {
    await fetchFrom(await context.newPage(), `${OUTSIDE}/new-context`);
  } finally {
    await context.close();
  }
});

test('browser.newPage()', async ({ browser }) => {
  mustBeFailedByTheGuard();
  const page = await browser.newPage();
  try {
    await fetchFrom(page, `${OUTSIDE}/new-page`);
  } finally {
    await page.close();
  }
});

test('a browser the test launched', async ({ playwright }) => {
  mustBeFailedByTheGuard();
  const browser = await playwright.chromium.launch();
  try {
    const context = await browser.newContext();
    await fetchFrom(await context.newPage(), `${OUTSIDE}/launched-browser`);
  } finally {
    await browser.close();
  }
});

test('launchPersistentContext()', async ({ playwright }) => {
  mustBeFailedByTheGuard();
  const profile = mkdtempSync(join(tmpdir(), 'zsp-guard-profile-'));
  const context = await playwright.chromium.launchPersistentContext(profile);
  try {
    await fetchFrom(context.pages()[0] ?? (await context.newPage()), `${OUTSIDE}/persistent-context`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
});

test('a dedicated worker', async ({ page }) => {
  mustBeFailedByTheGuard();
  await page.goto(`${origin}/`);
  const outcome = await page.evaluate((target) => {
    const source = `fetch(${JSON.stringify(target)}).then(() => postMessage('loaded'), () => postMessage('refused'));`;
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    return new Promise<string>((resolve) => worker.addEventListener('message', (event: MessageEvent<string>) => resolve(event.data)));
  }, `${OUTSIDE}/dedicated-worker`);
  expect(outcome).toBe('refused');
});

test.describe('service workers allowed', () => {
  test.use({ serviceWorkers: 'allow' });

  test('a service worker', async ({ page }) => {
    mustBeFailedByTheGuard();
    await page.goto(`${origin}/`);
    const outcome = await page.evaluate(async (target) => {
      await navigator.serviceWorker.register('/sw.js');
      const registration = await navigator.serviceWorker.ready;
      const channel = new MessageChannel();
      const answer = new Promise<string>((resolve) => (channel.port1.onmessage = (event: MessageEvent<string>) => resolve(event.data)));
      registration.active!.postMessage(target, [channel.port2]);
      return answer;
    }, `${OUTSIDE}/service-worker`);
    expect(outcome).toBe('refused');
  });
});

test('a WebSocket', async ({ page }) => {
  mustBeFailedByTheGuard();
  await page.goto(`${origin}/`);
  await page.evaluate(
    (target) =>
      new Promise<void>((resolve) => {
        const socket = new WebSocket(target);
        socket.addEventListener('close', () => resolve());
      }),
    `${OUTSIDE.replace('http:', 'ws:')}/websocket`,
  );
});
