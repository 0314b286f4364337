import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { imageCatalogEntryFor } from '../../models/shared';
import { cosineSimilarities, l2Normalize, scoreLabels } from '../../../lib/scoring';
import type { ClassifyFrameRequest } from '../shared/protocol';
import { ClipEngine } from './clipEngine';
import type { KeptHead } from './clipLab';
import type { LoadedClip } from './loadModel';
import type { PersistentEmbeddings } from './persistentEmbeddings';

/**
 * Live frames through the engine with a fake model: the text tower looks prompts up in a table,
 * the vision tower returns one fixed embedding and records its input, and the worker's
 * OffscreenCanvas is a stand-in that hands back grey pixels (Node has no canvas).
 */
const TEXT_TABLE: Record<string, number[]> = {
  'a photo of a red.': [3, 1, 0, 0],
  'a photo of a blue.': [0, 1, 3, 1],
  'a photo of a green.': [0, 3, 0, 1],
};
const FRAME_EMBEDDING = [1, 0.2, 0.1, 0];
const BUILTIN_PROCESSOR_CONFIG: unknown = JSON.parse(readFileSync(new URL('../../../../public/models/builtin/clip-shapes/preprocessor_config.json', import.meta.url), 'utf8'));
const rule = imageCatalogEntryFor('builtin/clip-shapes').scoring;

class FakeOffscreenCanvas {
  constructor(
    readonly width: number,
    readonly height: number,
  ) {}
  getContext() {
    return {
      fillStyle: '',
      imageSmoothingQuality: 'low',
      fillRect: () => undefined,
      drawImage: () => undefined,
      getImageData: (_x: number, _y: number, width: number, height: number) => ({ data: new Uint8ClampedArray(width * height * 4).fill(128) }),
    };
  }
}

interface Fake {
  engine: ClipEngine;
  visionInputs: number[][];
  textBatches: string[][];
  stored: unknown[];
}

function fakeEngine(heads: Map<string, KeptHead> = new Map()): Fake {
  const visionInputs: number[][] = [];
  const textBatches: string[][] = [];
  const stored: unknown[] = [];
  const model = {
    entry: imageCatalogEntryFor('builtin/clip-shapes'),
    tokenizer: (texts: string[]) => ({ texts }),
    textModel: async (inputs: { texts: string[] }) => {
      textBatches.push(inputs.texts);
      const rows = inputs.texts.map((text) => {
        const row = TEXT_TABLE[text];
        if (!row) throw new Error(`no embedding for ${text}`);
        return row;
      });
      return { text_embeds: { dims: [rows.length, 4], data: Float32Array.from(rows.flat()) } };
    },
    imageProcessor: Object.assign(() => Promise.reject(new Error('the native path does not call the processor')), { config: BUILTIN_PROCESSOR_CONFIG }),
    visionModel: async ({ pixel_values }: { pixel_values: { dims: number[] } }) => {
      visionInputs.push(pixel_values.dims);
      return { image_embeds: { dims: [1, 4], data: Float32Array.from(FRAME_EMBEDDING) } };
    },
    info: { modelId: 'builtin/clip-shapes', backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 0, warmupMs: 0 },
    sourceKey: 'builtin',
  };
  const persistent = { getMany: () => Promise.resolve({ found: new Map(), skipped: 0 }), putMany: (entries: unknown[]) => (stored.push(...entries), Promise.resolve()) };
  // The fakes implement only what the engine calls.
  const engine = new ClipEngine(model as unknown as LoadedClip, false, undefined, persistent as unknown as PersistentEmbeddings, heads);
  return { engine, visionInputs, textBatches, stored };
}

interface FakeBitmap {
  width: number;
  height: number;
  close: Mock<() => void>;
}

function frame(): FakeBitmap {
  return { width: 320, height: 240, close: vi.fn<() => void>() };
}

function request(bitmap: FakeBitmap, labels: string[]): ClassifyFrameRequest {
  // A bitmap is its size and close(): the fake is one.
  return { type: 'classifyFrame', requestId: 1, frame: bitmap, classPrompts: labels.map((label) => [`a photo of a ${label}.`]), head: null, resizeMode: 'native' };
}

beforeEach(() => vi.stubGlobal('OffscreenCanvas', FakeOffscreenCanvas));
afterEach(() => vi.unstubAllGlobals());

describe('ClipEngine classifyFrame', () => {
  it("scores the frame as an item is scored, at the model's input size, and closes the bitmap", async () => {
    const { engine, visionInputs } = fakeEngine();
    const bitmap = frame();
    const result = await engine.classifyFrame(request(bitmap, ['red', 'blue']));
    const cosines = cosineSimilarities(l2Normalize(FRAME_EMBEDDING), [l2Normalize(TEXT_TABLE['a photo of a red.']!), l2Normalize(TEXT_TABLE['a photo of a blue.']!)]);
    expect(Array.from(result.scores)).toEqual(Array.from(Float32Array.from(scoreLabels(cosines, rule))));
    expect(result.classifier).toBe('zero-shot');
    expect([result.width, result.height]).toEqual([320, 240]);
    expect(visionInputs).toEqual([[1, 3, 64, 64]]);
    expect(bitmap.close).toHaveBeenCalledTimes(1);
  });

  it('embeds each prompt once: later frames use the text cache, a label edit runs only the new prompt', async () => {
    const { engine, textBatches } = fakeEngine();
    await engine.classifyFrame(request(frame(), ['red', 'blue']));
    await engine.classifyFrame(request(frame(), ['red', 'blue']));
    await engine.classifyFrame(request(frame(), ['red', 'blue', 'green']));
    expect(textBatches).toEqual([['a photo of a red.', 'a photo of a blue.'], ['a photo of a green.']]);
    expect(engine.currentStats()).toMatchObject({ liveFrames: 3, textRuns: 2, textsEmbedded: 3 });
  });

  it('keeps no live frame: nothing cached, nothing stored, the items counters untouched', async () => {
    const { engine, stored } = fakeEngine();
    await engine.classifyFrame(request(frame(), ['red', 'blue']));
    await engine.classifyFrame(request(frame(), ['red', 'blue']));
    await Promise.resolve();
    expect(stored).toEqual([]);
    expect(engine.currentStats()).toMatchObject({ imageCacheSize: 0, imagesEmbedded: 0, visionRuns: 0, liveFrames: 2 });
  });

  it('closes the bitmap when scoring fails before the frame was drawn', async () => {
    const { engine } = fakeEngine();
    const bitmap = frame();
    await expect(engine.classifyFrame({ ...request(bitmap, ['red']), classPrompts: [['a prompt the table lacks']] })).rejects.toThrow();
    expect(bitmap.close).toHaveBeenCalledTimes(1);
  });

  it('with a kept head in use, a frame is ranked by the head blended with zero-shot (the prompt lab head in live mode)', async () => {
    // A logistic head that says "blue" where zero-shot says "red": logits [0, 6·x₀] for the unit embedding x.
    const weights = Float64Array.of(0, 0, 0, 0, 6, 0, 0, 0);
    const head: KeptHead = {
      head: { kind: 'logistic', classes: 2, dim: 4, C: 1, model: { classes: 2, dim: 4, weights, bias: Float64Array.of(0, 0) } },
      embedding: 'image',
      summary: {
        headId: 'head-live', kind: 'logistic', dim: 4, chosen: { C: 1 }, cvAccuracy: null, folds: null, examples: 2,
        embedding: 'image', heldOutAccuracy: null, zeroShotHeldOutAccuracy: null, heldOutItems: 0,
      },
    };
    const { engine } = fakeEngine(new Map([['head-live', head]]));
    const zeroShotWeight = 0.25;
    const result = await engine.classifyFrame({ ...request(frame(), ['red', 'blue']), head: { headId: 'head-live', zeroShotWeight } });

    // The same blend, computed here from its definition: softmax of the head's logits, then (1 − w)·head + w·zero-shot.
    const x = l2Normalize(FRAME_EMBEDDING);
    const logits = [0, 6 * x[0]!];
    const exp = logits.map((logit) => Math.exp(logit - Math.max(...logits)));
    const headProbabilities = exp.map((value) => value / (exp[0]! + exp[1]!));
    const zeroShot = scoreLabels(cosineSimilarities(x, [l2Normalize(TEXT_TABLE['a photo of a red.']!), l2Normalize(TEXT_TABLE['a photo of a blue.']!)]), rule);
    const expected = headProbabilities.map((p, i) => (1 - zeroShotWeight) * p + zeroShotWeight * zeroShot[i]!);

    expect(result.classifier).toBe('logistic');
    expect(Array.from(result.scores)[0]).toBeCloseTo(expected[0]!, 6);
    expect(Array.from(result.scores)[1]).toBeCloseTo(expected[1]!, 6);
    // The head changes the answer: zero-shot alone puts red first, the blend puts blue first.
    expect(zeroShot[0]!).toBeGreaterThan(zeroShot[1]!);
    expect(result.scores[1]!).toBeGreaterThan(result.scores[0]!);
  });

  it('a head this worker does not hold (it restarted since training) ranks the frame zero-shot and says so', async () => {
    const { engine } = fakeEngine();
    const result = await engine.classifyFrame({ ...request(frame(), ['red', 'blue']), head: { headId: 'gone', zeroShotWeight: 0.25 } });
    expect(result.classifier).toBe('zero-shot');
  });
});
