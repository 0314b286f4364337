/**
 * Share links that open live mode: the share panel's "open in live mode" puts the source in the
 * `#demo=` link and in the short query link, and each opens straight into live mode with the
 * link's labels (Chromium's fake camera and microphone; the permission prompt says yes); a link
 * shared without it opens as before, not live.
 */
import { join } from 'node:path';
import type { Browser } from '@playwright/test';
import { BUILTIN_WHISPER_ID } from './pages/audio-page';
import { LiveCameraPage } from './pages/live-camera-page';
import { LiveMicrophonePage } from './pages/live-microphone-page';
import { WorkspacePage } from './pages/workspace-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fakeMicrophoneArgs } from './support/chromium';
import { fakeCameraArgs, shapeVideo } from './support/liveVideo';
import { test, expect } from './support/test';

const LABELS = ['red circle', 'blue square', 'green triangle'];
const WORDS = ['up', 'down', 'left'];
/** Live mode's first result, from a fresh page that loads the model first. */
const LIVE_TIMEOUT_MS = 60_000;

let browser: Browser;

test.beforeAll(async ({ playwright }) => {
  const video = await shapeVideo([{ spec: { shape: 'circle', colour: 'red', size: 0.7 }, seconds: 2 }], { width: 160, height: 120, fps: 10 });
  // No context yet: the network guard charges requests to the test that opens one.
  browser = await playwright.chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, ...fakeCameraArgs(video.path), ...fakeMicrophoneArgs(join(AUDIO_FIXTURES_DIR, 'mic-up.wav'))],
  });
});

test.afterAll(async () => {
  await browser?.close();
});

/** The link opened with the WASM backend and the debug API (query parameters beside the fragment). */
function forTest(link: string): string {
  const url = new URL(link);
  url.searchParams.set('backend', 'wasm');
  url.searchParams.set('debug', '1');
  return url.toString();
}

test('a camera demo link and its short link open live mode with their labels; a link without it does not', async ({ baseURL }) => {
  const context = await browser.newContext({ baseURL });
  try {
    const sharer = new LiveCameraPage(await context.newPage());
    const workspace = new WorkspacePage(sharer.page);
    await sharer.open({ backend: 'wasm', labels: LABELS });
    await sharer.expectModelReady({ backend: 'wasm' });
    const plainLink = await workspace.makeShareLink({ examples: false });
    const liveLink = await workspace.makeShareLink({ examples: false, live: true });
    const shortLink = (await workspace.shareQueryLink.textContent()) ?? '';
    expect(shortLink).toContain('live=camera');

    for (const link of [liveLink, shortLink]) {
      const opened = new LiveCameraPage(await context.newPage());
      await opened.page.goto(forTest(link));
      await expect(opened.view).toHaveAttribute('data-state', 'live', { timeout: LIVE_TIMEOUT_MS });
      await expect(opened.top).toHaveAttribute('data-label', /.+/, { timeout: LIVE_TIMEOUT_MS });
      expect(LABELS).toContain(await opened.top.getAttribute('data-label'));
      await expect(opened.labelsInput).toHaveValue(LABELS.join('\n'));
      // Live, by the app's debug API too (not only the view).
      expect((await opened.debug())?.running).toBe(true);
      await opened.stopButton.click();
      await expect(opened.view).toHaveCount(0);
      await opened.page.close();
    }

    const plain = new LiveCameraPage(await context.newPage());
    await plain.page.goto(forTest(plainLink));
    await plain.expectModelReady({ backend: 'wasm' });
    await expect(plain.labelsInput).toHaveValue(LABELS.join('\n'));
    await expect(plain.startButton).toBeVisible();
    await expect(plain.view).toHaveCount(0);
    expect(await plain.debug()).toBeNull();
  } finally {
    await context.close();
  }
});

test('an audio demo link with live mode opens listening, with its words', async ({ baseURL }) => {
  const context = await browser.newContext({ baseURL });
  try {
    const sharer = new LiveMicrophonePage(await context.newPage());
    const workspace = new WorkspacePage(sharer.page);
    await sharer.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await sharer.expectModelReady({ backend: 'wasm' });
    await sharer.setLabels(WORDS);
    const liveLink = await workspace.makeShareLink({ examples: false, live: true });

    const opened = new LiveMicrophonePage(await context.newPage());
    await opened.page.goto(forTest(liveLink));
    await expect(opened.timeline).toBeVisible({ timeout: LIVE_TIMEOUT_MS });
    await expect.poll(async () => (await opened.counters())?.windowsScored ?? 0, { timeout: LIVE_TIMEOUT_MS }).toBeGreaterThan(0);
    const scored = (await opened.timelineRows()).filter((row) => !row.silent);
    expect(scored.length).toBeGreaterThan(0);
    for (const row of scored) expect(WORDS).toContain(row.label);
    await opened.stopButton.click();
    await expect(opened.view).toHaveCount(0);
  } finally {
    await context.close();
  }
});
