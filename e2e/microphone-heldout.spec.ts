/**
 * The built-in Whisper on a voice it never heard, through the app's own recorder: Chromium's fake
 * microphone plays a word spoken by flite (the speech synthesiser held out of builtin/whisper-words'
 * training entirely; voices rms and awb, speakers no training synthesiser has), the app records it
 * with MediaRecorder (Opus in WebM, a lossy codec like any browser recording), decodes that blob
 * and ranks the word first among the ten built-in words. One Chromium per word: the fake
 * microphone's file is a command-line flag.
 *
 * The recording's bytes are saved beside the test's results (`<word>.webm`):
 * `node tools/check_heldout_recording.mjs <file>` scores the same bytes outside the browser
 * (ffmpeg's decoder, onnxruntime-node) for comparison.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './support/test';
import { openAudioInOwnBrowser, WHISPER_WORDS } from './pages/audio-page';
import { AUDIO_FIXTURES_DIR, HELDOUT_MICROPHONE_WORDS, matroskaCodecIds } from './support/audio-fixtures';
import { fakeMicrophoneArgs } from './support/chromium';

/** Longer than the word with its 0.2 s lead-in, shorter than one loop of the file (word + 2 s of silence): the word is heard once. */
const RECORD_SECONDS = 1.8;

for (const { file, voice, word } of HELDOUT_MICROPHONE_WORDS) {
  test(`flite voice ${voice} saying "${word}", recorded through MediaRecorder (Opus in WebM), ranks "${word}" first`, async ({ playwright, baseURL }, testInfo) => {
    const { browser, audio } = await openAudioInOwnBrowser(playwright, fakeMicrophoneArgs(join(AUDIO_FIXTURES_DIR, file)), baseURL, {
      keepBlobs: true,
    });
    try {
      await audio.setLabels(WHISPER_WORDS);
      await audio.record(RECORD_SECONDS);
      const name = await audio.recordingName(1);
      expect(name).toMatch(/\.webm$/);

      // What the app classifies is MediaRecorder's blob: its stated type and its bytes are WebM with Opus, not PCM.
      const clip = await audio.recordedClip(name);
      expect(clip.mediaType).toMatch(/^audio\/webm;\s*codecs=opus$/i);
      expect(matroskaCodecIds(clip.bytes)).toEqual(['A_OPUS']);
      const saved = testInfo.outputPath(`${word}.webm`);
      writeFileSync(saved, clip.bytes);
      await testInfo.attach(`${word}.webm`, { path: saved, contentType: 'audio/webm' });

      await audio.expectItemState(name, 'done');
      await audio.waitForPredictionLabels(name, WHISPER_WORDS);
      const predictions = await audio.predictions(name);
      // Kept in the report: what the model ranked, with its scores, whichever way the test goes.
      testInfo.annotations.push({
        type: 'ranking',
        description: `${file} (${clip.bytes.length} B ${clip.mediaType}, model ${await audio.loadedDtype()}): ${predictions
          .map((p) => `${p.label} ${p.score.toFixed(4)}`)
          .join(', ')}`,
      });
      expect(predictions.map((p) => p.label)[0], `ranking: ${JSON.stringify(predictions)}`).toBe(word);
    } finally {
      await browser.close();
    }
  });
}
