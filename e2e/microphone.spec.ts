/**
 * Recording from a microphone: Chromium's fake capture device plays a spoken word (espeak-ng,
 * held-out voice); denied permission and a missing microphone get their own messages.
 */
import { join } from 'node:path';
import { test, expect } from './support/test';
import { AudioPage, BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { CHROMIUM_ARGS, CHROMIUM_PATH, fakeMicrophoneArgs } from './support/chromium';

test.describe('with a fake microphone saying "up"', () => {
  test.use({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...fakeMicrophoneArgs(join(AUDIO_FIXTURES_DIR, 'mic-up.wav'))] } });

  test('a recording is decoded, transcribed and ranks "up" first', async ({ audio }) => {
    await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await audio.expectModelReady({ backend: 'wasm' });
    await audio.setLabels(WHISPER_WORDS);
    await audio.record(1.5);
    const item = audio.items.first();
    await expect(item).toHaveAttribute('data-name', /^Recording 1/);
    const name = (await item.getAttribute('data-name'))!;
    await audio.expectItemState(name, 'done');
    await audio.waitForPredictionLabels(name, WHISPER_WORDS);
    expect(await audio.topLabel(name)).toBe('up');
    await expect(audio.transcript(name)).toHaveCount(1);
  });
});

test.describe('without microphone access', () => {
  test('denied permission is explained', async ({ browser, network }) => {
    // No fake-UI flag: the permission prompt cannot be answered, and Playwright denies what it wasn't granted.
    const context = await browser.newContext();
    await network.guard(context);
    const audio = new AudioPage(await context.newPage());
    await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await audio.recordButton.click();
    await expect(audio.recorderError).toContainText('denied');
    await context.close();
  });
});

test.describe('on a machine with no microphone', () => {
  // The fake UI grants permission, but with no fake device there is nothing to capture from.
  test.use({ launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, '--use-fake-ui-for-media-stream'] } });

  test('the missing microphone is explained', async ({ audio }) => {
    await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await audio.recordButton.click();
    await expect(audio.recorderError).toContainText('No microphone');
  });
});
