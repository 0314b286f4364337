/**
 * Other ways in for images: a photo from the webcam (Chromium's fake camera), and an image by URL
 * fetched by the browser from a second local server, with and without CORS permission.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, PlaywrightWorkerArgs } from '@playwright/test';
import { test, expect } from './support/test';
import { PlaygroundPage } from './pages/playground-page';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './support/chromium';
import { ALL_LABELS, shapeImage } from './support/shapes';

const LABELS = ['red circle', 'blue cross', 'green triangle', 'yellow star'];

async function openImagesWith(
  playwright: PlaywrightWorkerArgs['playwright'],
  baseURL: string,
  extraArgs: string[],
): Promise<{ browser: Browser; playground: PlaygroundPage }> {
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
  // Guarded like every context (e2e/support/test.ts): nothing to call here.
  const context = await browser.newContext({ baseURL });
  const playground = new PlaygroundPage(await context.newPage());
  await playground.open({ backend: 'wasm', labels: LABELS });
  await playground.expectModelReady({ backend: 'wasm' });
  return { browser, playground };
}

test.describe('webcam', () => {
  test('a photo from the camera becomes an item that is ranked, and the camera is turned off', async ({ playwright, baseURL }) => {
    // A fake capture device (a moving test pattern) and a permission prompt that always says yes.
    const { browser, playground } = await openImagesWith(playwright, baseURL!, ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream']);
    try {
      const { page } = playground;
      await page.getByTestId('webcam-button').click();
      await expect(page.getByTestId('webcam-preview')).toBeVisible();
      await page.getByTestId('webcam-capture').click();
      await playground.expectItemState('Photo 1.png', 'done');
      await playground.waitForPredictionLabels('Photo 1.png', LABELS);
      await expect(page.getByTestId('webcam-preview')).toHaveCount(0);
      await expect(page.getByTestId('webcam')).toHaveAttribute('data-camera', 'off');
      await expect(page.getByTestId('webcam-error')).toHaveCount(0);
      expect(playground.pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  test('denied camera permission is explained', async ({ playwright, baseURL }) => {
    const { browser, playground } = await openImagesWith(playwright, baseURL!, ['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
    try {
      await playground.page.getByTestId('webcam-button').click();
      await expect(playground.page.getByTestId('webcam-error')).toContainText('Camera access was denied');
      await expect(playground.items).toHaveCount(0);
    } finally {
      await browser.close();
    }
  });

  test('a machine with no camera is explained', async ({ playwright, baseURL }) => {
    // The fake UI grants permission, but with no fake capture device there is no camera.
    const { browser, playground } = await openImagesWith(playwright, baseURL!, ['--use-fake-ui-for-media-stream']);
    try {
      await playground.page.getByTestId('webcam-button').click();
      await expect(playground.page.getByTestId('webcam-error')).toContainText('No camera was found');
    } finally {
      await browser.close();
    }
  });
});

test.describe('image by URL', () => {
  const picture = shapeImage('blue-cross.png', { shape: 'cross', colour: 'blue', width: 200, height: 160, size: 0.8 });
  let server: Server;
  let origin: string;

  test.beforeAll(async () => {
    // Another origin (other port): /open/ lets other sites read its images, /closed/ does not.
    // Both send CORP, so the app's no-cors probe (allowed by COEP) can see the server answer.
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
      res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
      if (path.startsWith('/open/')) res.setHeader('Access-Control-Allow-Origin', '*');
      if (path.endsWith('/blue-cross.png')) {
        res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': picture.buffer.length });
        res.end(req.method === 'HEAD' ? undefined : picture.buffer);
      } else if (path.endsWith('/page.html')) {
        res.writeHead(200, { 'Content-Type': 'text/html' });
        res.end('<!doctype html><p>not a picture</p>');
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  test.afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test.beforeEach(async ({ playground }) => {
    await playground.open({ backend: 'wasm', labels: ALL_LABELS });
    await playground.expectModelReady({ backend: 'wasm' });
  });

  test('an image from a server that allows CORS is added under its file name and classified', async ({ playground, page }) => {
    await page.getByTestId('image-url-input').fill(`${origin}/open/blue-cross.png?v=1`);
    await page.getByTestId('image-url-add').click();
    await playground.expectItemState('blue-cross.png', 'done');
    await playground.waitForPredictionLabels('blue-cross.png', ALL_LABELS);
    expect(await playground.topLabel('blue-cross.png')).toBe('blue cross');
    await expect(page.getByTestId('image-url-error')).toHaveCount(0);
    await expect(page.getByTestId('image-url-input')).toHaveValue('');
  });

  test('a server that refuses CORS is explained, and nothing is added', async ({ playground, page }) => {
    await page.getByTestId('image-url-input').fill(`${origin}/closed/blue-cross.png`);
    await page.getByTestId('image-url-add').click();
    await expect(page.getByTestId('image-url-error')).toHaveText(
      `The server at ${new URL(origin).host} doesn't allow other sites to read its images (CORS); download it and drop the file instead.`,
    );
    await expect(playground.items).toHaveCount(0);
  });

  test('an address that is not an image, or not found, is explained', async ({ playground, page }) => {
    await page.getByTestId('image-url-input').fill(`${origin}/open/page.html`);
    await page.getByTestId('image-url-add').click();
    await expect(page.getByTestId('image-url-error')).toHaveText('That address is not an image: the server sent text/html.');
    await page.getByTestId('image-url-input').fill(`${origin}/open/missing.png`);
    await page.getByTestId('image-url-add').click();
    await expect(page.getByTestId('image-url-error')).toContainText('answered 404');
    await expect(playground.items).toHaveCount(0);
  });
});
