/**
 * The built-in models ship fp32 and 8-bit (q8) files: on WebAssembly the app loads the q8 files by
 * itself (only those ONNX files download), and fp32 stays selectable in "Runtime and model source"
 * (then only the fp32 files download). The scores themselves are checked against onnxruntime-node
 * for each dtype in reference.spec.ts (CLIP) and audio.spec.ts (Whisper).
 */
import type { Request } from '@playwright/test';
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID } from './pages/audio-page';
import type { Dtype, PlaygroundPage } from './pages/playground-page';

const CASES = [
  { task: 'image', model: 'builtin/clip-shapes', sessions: ['text_model', 'vision_model'] },
  { task: 'audio', model: BUILTIN_WHISPER_ID, sessions: ['encoder_model', 'decoder_model_merged'] },
] as const;

const SUFFIX: Record<Dtype, string> = { fp32: '', fp16: '_fp16', q8: '_quantized' };

for (const { task, model, sessions } of CASES) {
  test(`${model}: WASM loads the q8 files by itself, fp32 when chosen; only the chosen files download`, async ({ page, playground }) => {
    // ONNX files the page (and its workers) asks for; the service worker's own precache requests are not the app's choice.
    const onnxRequests: string[] = [];
    const onRequest = (request: Request) => {
      const path = new URL(request.url()).pathname;
      if (request.serviceWorker() === null && path.includes(`/models/${model}/`) && path.endsWith('.onnx')) onnxRequests.push(path.split('/onnx/')[1]!);
    };
    page.context().on('request', onRequest);
    const expectLoaded = async (p: PlaygroundPage, dtype: Dtype) => {
      await p.expectModelReady({ backend: 'wasm', model, dtype });
      expect([...new Set(onnxRequests)].sort(), `ONNX files fetched for ${dtype}`).toEqual(sessions.map((s) => `${s}${SUFFIX[dtype]}.onnx`).sort());
    };

    await playground.open({ task, model, backend: 'wasm' });
    await expectLoaded(playground, 'q8');
    await expect(page.getByTestId('dtype-select')).toHaveValue('auto');

    onnxRequests.length = 0;
    await playground.setDtypePreference('fp32');
    await expectLoaded(playground, 'fp32');

    // The choice is remembered on this device: a reload loads fp32 again.
    onnxRequests.length = 0;
    await page.reload();
    await expectLoaded(playground, 'fp32');
    page.context().off('request', onRequest);
  });
}
