/**
 * The greedy transcription off the critical path (issue 11, audio item 4), with the built-in
 * Whisper on WASM: the scores reach a clip first, its transcript follows on a request of its own,
 * and arriving it moves nothing (order, ranks, probabilities, focus: every DOM state in between is
 * recorded and compared); a clip reviewed before its transcript came gets none.
 */
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { JFK_FLAC, audioFile, fixture, noiseOnlyClip, sharedDataFile } from './support/audio-fixtures';
import { WhisperReference } from './support/whisperReference';

/** One clip as the list shows it at one moment. */
interface RowState {
  name: string;
  state: string | null;
  focused: string | null;
  predictions: string[];
  transcript: string | null;
  pending: boolean;
}

declare global {
  interface Window {
    transcriptSpecStates?: RowState[][];
  }
}

test('the scores come first, the transcript after, and its arrival reorders nothing', async ({ audio, page }) => {
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
  await audio.expectModelReady({ backend: 'wasm' });
  await audio.setLabels(WHISPER_WORDS);
  // Every change of the list, as it happened: rows in DOM (= shown) order with what they show.
  await page.evaluate(() => {
    const states: RowState[][] = [];
    window.transcriptSpecStates = states;
    const record = () =>
      states.push(
        Array.from(document.querySelectorAll<HTMLElement>('[data-testid="audio-list"] [data-testid="item"]'), (row) => ({
          name: row.dataset.name ?? '',
          state: row.dataset.state ?? null,
          focused: row.dataset.focused ?? null,
          predictions: Array.from(row.querySelectorAll<HTMLElement>('[data-testid="prediction"]'), (p) => `${p.dataset.label}=${p.dataset.score}`),
          transcript: row.querySelector('[data-testid="transcript"]')?.textContent ?? null,
          pending: row.querySelector('[data-testid="transcript-pending"]') !== null,
        })),
      );
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
  });

  const files = [fixture('left.wav'), fixture('yes.mp3'), fixture('go.webm'), audioFile(sharedDataFile(JFK_FLAC))];
  const names = files.map((file) => file.name);
  await audio.addAudio(files);
  // Focus one clip before any result is in: it must stay the focused one.
  await audio.item('yes.mp3').getByText('yes.mp3').click();
  await expect(audio.item('yes.mp3')).toHaveAttribute('data-focused', 'true');
  for (const name of names) await expect(audio.transcript(name), `transcript of ${name}`).toHaveCount(1, { timeout: 180_000 });
  expect(await audio.topLabel('left.wav')).toBe('left');
  expect(await audio.topLabel('yes.mp3')).toBe('yes');
  expect(await audio.topLabel('go.webm')).toBe('go');

  const states = await page.evaluate(() => window.transcriptSpecStates ?? []);
  const final = states.at(-1) ?? [];
  expect(final.map((row) => row.name)).toEqual(names);
  for (const name of names) {
    const rows = states.map((rows) => rows.find((row) => row.name === name)).filter((row) => row !== undefined);
    const firstScored = rows.findIndex((row) => row.predictions.length === WHISPER_WORDS.length);
    const firstTranscript = rows.findIndex((row) => row.transcript !== null);
    expect(firstScored, `${name} was scored`).toBeGreaterThanOrEqual(0);
    expect(firstTranscript, `${name}: the scores are shown before the transcript`).toBeGreaterThan(firstScored);
    expect(rows.some((row) => row.pending && row.transcript === null && row.predictions.length > 0), `${name} said it was being transcribed`).toBe(true);
    // From its scores on, the clip's ranks and probabilities are exactly the same, transcript or not.
    const shown = new Set(rows.slice(firstScored).map((row) => row.predictions.join(' ')));
    expect([...shown], `${name}: one ranking before and after its transcript`).toHaveLength(1);
  }
  // From the first scores on: the same order, and the same focused clip, in every state.
  const fromFirstScores = states.slice(states.findIndex((rows) => rows.some((row) => row.predictions.length > 0)));
  for (const rows of fromFirstScores) {
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(rows.filter((row) => row.focused === 'true').map((row) => row.name)).toEqual(['yes.mp3']);
  }

  // One encoder run per clip served both the scores and the transcript.
  const stats = await audio.audioStats();
  expect(stats.transcripts).toBe(files.length);
  expect(stats.encoderRuns).toBe(files.length);
});

test('a clip reviewed before its transcript came gets none', async ({ audio }) => {
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
  await audio.expectModelReady({ backend: 'wasm' });
  // No labels yet: the clips are decoded, not scored, so nothing can be transcribed before the review.
  await audio.setLabels('');
  await audio.addAudio([fixture('yes.mp3'), fixture('stop.ogg')]);
  await audio.expectItemState('yes.mp3', 'pending');
  await audio.expectItemState('stop.ogg', 'pending');
  await audio.item('stop.ogg').getByTestId('decision-pick').selectOption({ label: '0 None of these' });
  await expect(audio.item('stop.ogg')).toHaveAttribute('data-decision', 'rejected');
  expect((await audio.audioStats()).transcripts).toBe(0);

  await audio.setLabels(WHISPER_WORDS);
  for (const name of ['yes.mp3', 'stop.ogg']) {
    await audio.expectItemState(name, 'done');
    await audio.waitForPredictionLabels(name, WHISPER_WORDS);
  }
  expect(await audio.topLabel('stop.ogg'), 'the reviewed clip is scored all the same').toBe('stop');
  await expect(audio.transcript('yes.mp3')).toHaveCount(1);
  await expect(audio.item('stop.ogg').getByTestId('transcript-skipped')).toBeVisible();
  await expect(audio.transcript('stop.ogg')).toHaveCount(0);
  // The worker made one transcript: the unreviewed clip's; none was asked for the reviewed one.
  expect((await audio.audioStats()).transcripts).toBe(1);
});

test('a clip with no speech in it is transcribed as nothing, as a Node greedy decoder of the same files reads it', async ({ audio }) => {
  await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm', debug: true });
  await audio.expectModelReady({ backend: 'wasm', dtype: 'q8' });
  const roomTone = noiseOnlyClip();
  await audio.classify([roomTone, fixture('left.wav')], WHISPER_WORDS);
  for (const name of [roomTone.name, 'left.wav']) await expect(audio.transcript(name), `transcript of ${name}`).toHaveCount(1);

  expect(await audio.transcript(roomTone.name).textContent(), 'the room tone is transcribed as no text').toBe('');
  await expect(audio.item(roomTone.name).getByTestId('transcript-no-speech')).toBeVisible();
  await expect(audio.transcript(roomTone.name)).toBeHidden();
  expect((await audio.transcript('left.wav').textContent())?.trim()).toBe('left');
  await expect(audio.item('left.wav').getByTestId('transcript-no-speech')).toHaveCount(0);

  // onnxruntime-node with its own greedy loop on the app's features and the same (q8) files.
  const reference = await WhisperReference.load(BUILTIN_WHISPER_ID, undefined, 'q8');
  try {
    for (const name of [roomTone.name, 'left.wav']) {
      const { features } = await audio.debugAudio(name);
      // The app shows the text without Whisper's leading space.
      const shown = await audio.transcript(name).textContent();
      expect((await reference.greedyTranscript(features)).trim(), `${name}: the reference's transcript`).toBe(shown);
    }
  } finally {
    await reference.release();
  }
});
