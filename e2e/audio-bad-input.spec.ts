/**
 * Bad audio, all dropped in one batch with a good clip: each gets its own clear message, and
 * nothing else is lost.
 */
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { fixture, tenMinuteClip } from './support/audio-fixtures';

test('silence, a 1 ms clip, a ten-minute clip, a corrupt file and an unsupported codec each get a message; the good clip still ranks', async ({
  audio,
}) => {
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
  await audio.expectModelReady({ backend: 'wasm' });
  await audio.setLabels(WHISPER_WORDS);
  const files = [fixture('silence.wav'), fixture('one-ms.wav'), fixture('corrupt.mp3'), fixture('unsupported.wma'), tenMinuteClip(), fixture('left.wav')];
  await audio.addAudio(files);
  await audio.waitForSettled(files.map((f) => f.name));

  await audio.expectItemState('silence.wav', 'error');
  expect(await audio.itemError('silence.wav')).toMatch(/silent/);
  await audio.expectItemState('one-ms.wav', 'error');
  expect(await audio.itemError('one-ms.wav')).toMatch(/1 ms long/);
  await audio.expectItemState('corrupt.mp3', 'error');
  expect(await audio.itemError('corrupt.mp3')).toMatch(/damaged|not audio/);
  await audio.expectItemState('unsupported.wma', 'error');
  expect(await audio.itemError('unsupported.wma')).toMatch(/can't decode WMA/);

  // Too long to score whole: the first five minutes are scored, in 30 s windows, and the item says so.
  await audio.expectItemState('ten-minutes.wav', 'done');
  await expect(audio.item('ten-minutes.wav').getByTestId('item-note')).toContainText('only the first 5:00 of 10:00 were scored');
  await expect(audio.item('ten-minutes.wav').getByTestId('item-note')).toContainText('10 windows');

  await audio.expectItemState('left.wav', 'done');
  expect(await audio.topLabel('left.wav')).toBe('left');
  expect(audio.pageErrors).toEqual([]);
});
