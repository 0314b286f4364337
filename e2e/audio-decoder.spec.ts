/**
 * Whisper's decoder strategies in the browser, on WASM and on WebGPU (SwiftShader): the default
 * (the prompt decoded once per window with batch 1, its cross-attention cache shared by the label
 * rows) must score exactly as the reference (encoder output tiled over the rows, each row from
 * the first prompt token), and the app's raw scores are the default's.
 */
import { test, expect } from './support/test';
import { BUILTIN_WHISPER_ID, WHISPER_WORDS } from './pages/audio-page';
import { fixture } from './support/audio-fixtures';
import type { Backend } from './pages/playground-page';

/** Same maths on the same device: only float rounding may differ. */
const STRATEGY_TOLERANCE = 1e-4;
const SLOW_WEBGPU_TEST_MS = 600_000;

interface StrategyScores {
  strategy: string;
  crossAttentionFeed: string | null;
  mean: number[];
  sumWithEot: number[];
  ms: number;
}

for (const backend of ['wasm', 'webgpu'] as const satisfies readonly Backend[]) {
  test(`cached cross-attention scores equal the tiled batch's (${backend})`, async ({ audio }) => {
    // SwiftShader compiles every WebGPU shader on the CPU: the Whisper warm-up alone takes minutes on a busy machine.
    if (backend === 'webgpu') test.setTimeout(SLOW_WEBGPU_TEST_MS);
    await audio.open({ model: BUILTIN_WHISPER_ID, backend, debug: true });
    // fp32 on both backends: the two strategies are the same maths only in float. The q8 files (WASM's default) quantise
    // each activation with one scale per batch, so a 1-row prompt run and a tiled batch legitimately round differently.
    if (backend === 'wasm') {
      await audio.expectModelReady({ backend, model: BUILTIN_WHISPER_ID, dtype: 'q8' });
      await audio.setDtypePreference('fp32');
    }
    await audio.expectModelReady({
      backend, model: BUILTIN_WHISPER_ID, dtype: 'fp32', ...(backend === 'webgpu' ? { timeout: SLOW_WEBGPU_TEST_MS / 2 } : {}),
    });
    await audio.classify([fixture('go.webm')], WHISPER_WORDS);
    expect(await audio.topLabel('go.webm')).toBe('go');

    const { prompts: appPrompts, rawScores } = await audio.debugAudio('go.webm');
    // Labels of different lengths (1 to ~10 tokens) next to the app's own prompts.
    const prompts = [...appPrompts, ' [go]', ' This is a sound of go.', ' go, go, go and then stop right there'];
    const results = await audio.page.evaluate(
      async ({ itemName, texts }) => {
        const api = (window as unknown as { zspDebug?: { audioDecoderStrategies(n: string, p: string[]): Promise<StrategyScores[]> } }).zspDebug;
        if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
        return api.audioDecoderStrategies(itemName, texts);
      },
      { itemName: 'go.webm', texts: prompts },
    );
    const cached = results.find((result) => result.strategy === 'cached-cross-attention');
    const tiled = results.find((result) => result.strategy === 'tiled');
    if (!cached || !tiled) throw new Error(`expected both strategies, got ${results.map((result) => result.strategy).join(', ')}`);
    expect(cached.mean).toHaveLength(prompts.length);
    expect(['broadcast', 'tiled']).toContain(cached.crossAttentionFeed);
    test.info().annotations.push({ type: `${backend} cross-attention feed`, description: String(cached.crossAttentionFeed) });
    // Reported, never asserted: the decoder's time for these prompts on this backend, a new window each.
    test.info().annotations.push({
      type: `${backend} decoder ms for ${prompts.length} prompts`,
      description: `cached cross-attention (prompt run + label call) ${cached.ms.toFixed(0)}, tiled ${tiled.ms.toFixed(0)}`,
    });

    let worst = 0;
    for (const [rule, a, b] of [['mean', cached.mean, tiled.mean], ['sum-with-eot', cached.sumWithEot, tiled.sumWithEot]] as const) {
      expect(b).toHaveLength(a.length);
      for (const [index, score] of a.entries()) {
        expect(Number.isFinite(score), `${rule} score of ${prompts[index]}`).toBe(true);
        worst = Math.max(worst, Math.abs(score - b[index]!));
      }
    }
    test.info().annotations.push({ type: `${backend} max |cached − tiled|`, description: worst.toExponential(2) });
    expect(worst, 'cached cross-attention vs tiled').toBeLessThanOrEqual(STRATEGY_TOLERANCE);

    // What the app showed came from the default (cached) strategy.
    for (const [index, score] of rawScores.entries()) expect(Math.abs(score - cached.mean[index]!)).toBeLessThanOrEqual(STRATEGY_TOLERANCE);
    // The scores depend on the label: not a constant.
    expect(Math.max(...cached.mean) - Math.min(...cached.mean)).toBeGreaterThan(0.1);
  });
}
