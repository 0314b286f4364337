/**
 * A Whisper model from a Hub mirror, picked in the audio view's model picker: its download size
 * is shown before anything downloads, then it loads through the same cache as image models and
 * scores. The mirror serves the built-in Whisper's files under a Hub id.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { test, expect } from './support/test';
import { HubServer, MODELS_ROOT } from './support/hub-server';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { fixture } from './support/audio-fixtures';
import { formatBytes } from '../src/lib/format';

const HUB_MODEL = 'test-org/whisper-words';
const MODEL_DIR = join(MODELS_ROOT, BUILTIN_WHISPER_ID);
const DOWNLOADED_FILES = [
  'config.json',
  'generation_config.json',
  'preprocessor_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/encoder_model.onnx',
  'onnx/decoder_model_merged.onnx',
];

test('picking a Hub Whisper model shows its size first, then downloads it and scores', async ({ page, audio }) => {
  const hub = await HubServer.start({ [HUB_MODEL]: MODEL_DIR });
  try {
    await audio.open({ model: BUILTIN_WHISPER_ID, hub: hub.url, backend: 'wasm' });
    await audio.expectModelReady({ backend: 'wasm', model: BUILTIN_WHISPER_ID });

    await audio.expandModelPanel();
    await page.getByTestId('model-select').selectOption('__custom__');
    await page.getByTestId('custom-model-input').fill(HUB_MODEL);
    const plan = page.getByTestId('download-plan');
    const expectedBytes = DOWNLOADED_FILES.reduce((sum, file) => sum + statSync(join(MODEL_DIR, file)).size, 0);
    await expect(plan).toContainText(`Downloads ${formatBytes(expectedBytes)}`);
    // Only one-byte range requests so far: nothing downloaded before the user says so.
    expect(hub.requests.filter((r) => r.method === 'GET' && !r.range && r.file?.startsWith('onnx/'))).toEqual([]);
    // The ONNX files' sizes came through the Hub's redirect: a 302 from the Hub origin, a 206 from the CDN.
    for (const file of DOWNLOADED_FILES.filter((f) => f.startsWith('onnx/'))) {
      expect(hub.requestsFor(file, 'hub').some((r) => r.range && r.status === 302), `${file}: redirected\n${hub.describe()}`).toBe(true);
      expect(hub.requestsFor(file, 'cdn').some((r) => r.range && r.status === 206), `${file}: sized by the CDN\n${hub.describe()}`).toBe(true);
    }

    await page.getByTestId('download-model-button').click();
    await audio.expectModelReady({ backend: 'wasm', model: HUB_MODEL });
    await audio.classify([fixture('go.webm')], WHISPER_WORDS);
    await expect(audio.transcript('go.webm')).toHaveCount(1);
    await expect.poll(() => audio.cachedModelIds()).toContain(HUB_MODEL);
  } finally {
    await hub.stop();
  }
});
