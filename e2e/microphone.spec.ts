/**
 * Recording from a microphone: Chromium's fake capture device plays a spoken word (espeak-ng,
 * held-out voice); denied permission and a missing microphone get their own messages. Each test
 * starts its own Chromium, because the microphone is chosen by command-line flags.
 */
import { join } from 'node:path';
import { test, expect } from './support/test';
import { openAudioInOwnBrowser as openAudioWith, WHISPER_WORDS } from './pages/audio-page';
import { AUDIO_FIXTURES_DIR } from './support/audio-fixtures';
import { fakeMicrophoneArgs } from './support/chromium';

test('a recording from a microphone saying "up" is decoded, transcribed and ranks "up" first', async ({ playwright, baseURL }) => {
  const { browser, audio } = await openAudioWith(playwright, fakeMicrophoneArgs(join(AUDIO_FIXTURES_DIR, 'mic-up.wav')), baseURL);
  try {
    await audio.setLabels(WHISPER_WORDS);
    await audio.record(1.5);
    const item = audio.items.first();
    await expect(item).toHaveAttribute('data-name', /^Recording 1/);
    const name = (await item.getAttribute('data-name'))!;
    await audio.expectItemState(name, 'done');
    await audio.waitForPredictionLabels(name, WHISPER_WORDS);
    expect(await audio.topLabel(name)).toBe('up');
    await expect(audio.transcript(name)).toHaveCount(1);
  } finally {
    await browser.close();
  }
});

test('denied microphone permission is explained', async ({ playwright, baseURL }) => {
  // A fake capture device exists, but every permission prompt is answered "no".
  const { browser, audio } = await openAudioWith(playwright, ['--use-fake-device-for-media-stream', '--deny-permission-prompts'], baseURL);
  try {
    await audio.recordButton.click();
    await expect(audio.recorderError).toContainText('denied');
  } finally {
    await browser.close();
  }
});

test('a machine with no microphone is explained', async ({ playwright, baseURL }) => {
  // The fake UI grants permission, but with no fake capture device there is nothing to record from.
  const { browser, audio } = await openAudioWith(playwright, ['--use-fake-ui-for-media-stream'], baseURL);
  try {
    await audio.recordButton.click();
    await expect(audio.recorderError).toContainText('No microphone');
  } finally {
    await browser.close();
  }
});
