import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { imageCatalogEntryFor } from '../../models/shared';
import { imageEmbeddingKey, modelVariantKey, withImageResizeMode } from '../../../lib/cacheKeys';
import { cosineSimilarities, l2Normalize, scoreLabels } from '../../../lib/scoring';
import type { ClassifyItem, ClassifyRequest, ItemOutcome } from '../shared/protocol';
import { ClipEngine } from './clipEngine';
import type { LoadedClip } from './loadModel';
import type { PersistentEmbeddings } from './persistentEmbeddings';

/**
 * The engine with a fake model: the text tower looks each prompt up in a table (raw vectors, the
 * engine normalises them as it does a real tower's output) and the image embeddings come from a
 * fake on-disk cache, so classify never needs the vision model.
 */
const TEXT_TABLE: Record<string, number[]> = {
  'a photo of a red.': [3, 1, 0, 0],
  'a drawing of a red.': [2, 0, 1, 0],
  'a photo of a blue.': [0, 1, 3, 1],
  'a photo of a crimson thing.': [1, 1, 0, 0.5],
};
const IMAGES: Record<string, number[]> = { h1: [1, 0.2, 0.1, 0], h2: [0.1, 0.3, 1, 0.4] };

/** The built-in model's preprocessor_config.json: a fixed 64 × 64 size, so the native path has a plan. */
const BUILTIN_PROCESSOR_CONFIG: unknown = JSON.parse(readFileSync(new URL('../../../../public/models/builtin/clip-shapes/preprocessor_config.json', import.meta.url), 'utf8'));

interface FakeOptions {
  /** Every key the engine asks the on-disk cache for, in order. */
  asked?: string[];
  /** Only these hashes are on disk (default: every one in IMAGES). */
  stored?: readonly string[];
}

function fakeEngine({ asked, stored = Object.keys(IMAGES) }: FakeOptions = {}): ClipEngine {
  const textModel = async (inputs: { texts: string[] }) => {
    const rows = inputs.texts.map((text) => {
      const row = TEXT_TABLE[text];
      if (!row) throw new Error(`no embedding for ${text}`);
      return row;
    });
    return { text_embeds: { dims: [rows.length, 4], data: Float32Array.from(rows.flat()) } };
  };
  const model = {
    entry: imageCatalogEntryFor('builtin/clip-shapes'),
    tokenizer: (texts: string[]) => ({ texts }),
    textModel,
    imageProcessor: Object.assign(() => Promise.reject(new Error('the vision path is not used here')), { config: BUILTIN_PROCESSOR_CONFIG }),
    visionModel: () => Promise.reject(new Error('the vision path is not used here')),
    info: { modelId: 'builtin/clip-shapes', backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 0, warmupMs: 0 },
    sourceKey: 'builtin',
  };
  const persistent = {
    getMany: (keys: readonly string[]) => {
      asked?.push(...keys);
      return Promise.resolve({
        found: new Map(
          keys.flatMap((key) => {
            const hash = key.slice(key.indexOf('#image:') + '#image:'.length);
            const raw = stored.includes(hash) ? IMAGES[hash] : undefined;
            return raw ? [[key, { key, embedding: l2Normalize(raw), width: 8, height: 8 }] as const] : [];
          }),
        ),
        skipped: 0,
      });
    },
    putMany: () => Promise.resolve(),
  };
  // The fakes implement only what the engine calls.
  return new ClipEngine(model as unknown as LoadedClip, false, undefined, persistent as unknown as PersistentEmbeddings);
}

const ITEMS: ClassifyItem[] = Object.keys(IMAGES).map((hash) => ({ itemId: `item-${hash}`, contentHash: hash, image: new Blob() }));

async function classify(engine: ClipEngine, request: Omit<ClassifyRequest, 'type' | 'requestId' | 'items' | 'resizeMode'>) {
  const outcomes = new Map<string, Extract<ItemOutcome, { ok: true }>>();
  await engine.classify(
    { type: 'classify', requestId: 1, resizeMode: 'exact', items: ITEMS, ...request },
    {
      isCancelled: () => false,
      onItem: (item, outcome) => {
        if (!outcome.ok) throw new Error(outcome.error);
        outcomes.set(item.contentHash, outcome);
      },
      onBatchProgress: () => undefined,
      onStats: () => undefined,
    },
  );
  return outcomes;
}

const unit = (prompt: string) => l2Normalize(TEXT_TABLE[prompt]!);
const rule = imageCatalogEntryFor('builtin/clip-shapes').scoring;

describe('ClipEngine classify', () => {
  it('one prompt per label: the scores of the plain path (cosine with each prompt, scored by the model rule)', async () => {
    const outcomes = await classify(fakeEngine(), { classPrompts: [['a photo of a red.'], ['a photo of a blue.']], head: null });
    for (const [hash, outcome] of outcomes) {
      const cosines = cosineSimilarities(l2Normalize(IMAGES[hash]!), [unit('a photo of a red.'), unit('a photo of a blue.')]);
      expect(Array.from(outcome.scores)).toEqual(Array.from(Float32Array.from(scoreLabels(cosines, rule))));
      expect(Array.from(outcome.similarities)).toEqual(Array.from(Float32Array.from(cosines)));
      expect(outcome.classifier).toBe('zero-shot');
    }
  });

  it('several prompts per label: the class vector is the normalised sum of the unit prompt embeddings', async () => {
    const red = ['a photo of a red.', 'a drawing of a red.', 'a photo of a crimson thing.'];
    const outcomes = await classify(fakeEngine(), { classPrompts: [red, ['a photo of a blue.']], head: null });
    // Direct computation in float64.
    const sum = [0, 0, 0, 0];
    for (const prompt of red) unit(prompt).forEach((value, i) => (sum[i]! += value));
    const norm = Math.hypot(...sum);
    const redVector = sum.map((value) => value / norm);
    for (const [hash, outcome] of outcomes) {
      const image = Array.from(l2Normalize(IMAGES[hash]!));
      const cosines = [redVector, Array.from(unit('a photo of a blue.'))].map((vector) => vector.reduce((s, v, i) => s + v * image[i]!, 0));
      const expected = scoreLabels(cosines, rule);
      outcome.scores.forEach((score, c) => expect(score).toBeCloseTo(expected[c]!, 6));
      outcome.similarities.forEach((similarity, c) => expect(similarity).toBeCloseTo(cosines[c]!, 6));
    }
  });

  it('ranks with a kept head, and falls back to zero-shot (saying so) for a head it does not hold', async () => {
    const engine = fakeEngine();
    const classPrompts = [['a photo of a red.'], ['a photo of a blue.']];
    const zeroShot = await classify(engine, { classPrompts, head: null });

    const unknown = await classify(engine, { classPrompts, head: { headId: 'lost', zeroShotWeight: 0.5 } });
    for (const [hash, outcome] of unknown) {
      expect(outcome.classifier).toBe('zero-shot');
      expect(Array.from(outcome.scores)).toEqual(Array.from(zeroShot.get(hash)!.scores));
    }

    // A 1-NN head whose only keys say the opposite of zero-shot.
    const keys = Float32Array.from([...l2Normalize(IMAGES.h1!), ...l2Normalize(IMAGES.h2!)]);
    const head = { kind: 'knn', classes: 2, dim: 4, k: 1, keys, keyLabels: Int32Array.from([1, 0]) } as const;
    engine.heads.set('h', { head, embedding: 'image', summary: { headId: 'h', kind: 'knn', dim: 4, chosen: { k: 1 }, cvAccuracy: null, folds: null, examples: 2, embedding: 'image', heldOutAccuracy: null, zeroShotHeldOutAccuracy: null, heldOutItems: 0 } });
    const withHead = await classify(engine, { classPrompts, head: { headId: 'h', zeroShotWeight: 0 } });
    expect(withHead.get('h1')!.classifier).toBe('knn');
    expect(zeroShot.get('h1')!.scores[0]!).toBeGreaterThan(zeroShot.get('h1')!.scores[1]!);
    expect(withHead.get('h1')!.scores[1]!).toBeGreaterThan(withHead.get('h1')!.scores[0]!);
    // The similarities stay the zero-shot cosines whatever ranks.
    expect(Array.from(withHead.get('h1')!.similarities)).toEqual(Array.from(zeroShot.get('h1')!.similarities));
  });
});

describe('ClipEngine resize path', () => {
  it('reads the image embeddings of the resize path each lab lookup names, whatever the last classify used', async () => {
    const asked: string[] = [];
    // A fresh engine, as after a worker restart: nothing classified yet.
    const engine = fakeEngine({ asked });
    expect(engine.nativePlan).not.toBeNull();
    await engine.imageFeatures(['h1'], { resizeMode: 'native' });
    await classify(engine, { classPrompts: [['a photo of a red.'], ['a photo of a blue.']], head: null });
    await engine.imageFeatures(['h2'], { resizeMode: 'native' });
    // Classify (exact) already read h2's exact embedding: found in memory, not asked for again.
    expect((await engine.imageFeatures(['h2'], { resizeMode: 'exact' })).found).toEqual([0]);
    const exact = modelVariantKey({ modelId: 'builtin/clip-shapes', sourceKey: 'builtin', dtype: 'fp32', backend: 'wasm' });
    const native = withImageResizeMode(exact, 'native');
    expect(asked).toEqual([imageEmbeddingKey(native, 'h1'), imageEmbeddingKey(exact, 'h1'), imageEmbeddingKey(exact, 'h2'), imageEmbeddingKey(native, 'h2')]);
  });
});

describe('ClipEngine cancel', () => {
  afterEach(() => vi.unstubAllGlobals());

  /** Callbacks that cancel as soon as the cached items are reported, before any batch is embedded. */
  function cancellingCallbacks() {
    let cancelled = false;
    const items: string[] = [];
    return {
      items,
      callbacks: {
        isCancelled: () => cancelled,
        onItem: (item: ClassifyItem) => void items.push(item.contentHash),
        onBatchProgress: () => void (cancelled = true),
        onStats: () => undefined,
      },
    };
  }
  const unstored = (count: number): ClassifyItem[] =>
    Array.from({ length: count }, (_, index) => ({ itemId: `new-${index}`, contentHash: `new-${index}`, image: new Blob(['not empty']) }));

  it('lands without waiting for the next batch to decode', async () => {
    // Files that never finish decoding: a cancel that waited for them would never return.
    vi.stubGlobal('createImageBitmap', () => new Promise(() => undefined));
    const { items, callbacks } = cancellingCallbacks();
    const result = await fakeEngine({ stored: [] }).classify(
      { type: 'classify', requestId: 1, resizeMode: 'native', items: unstored(3), classPrompts: [['a photo of a red.']], head: null },
      callbacks,
    );
    expect(result).toEqual({ cancelled: true });
    expect(items).toEqual([]);
  });

  it('leaves no unhandled rejection behind when the abandoned batch fails', async () => {
    // Decodable files whose batch then fails (the fake processor rejects): the failure comes after the cancel.
    vi.stubGlobal('createImageBitmap', () => Promise.resolve({ width: 2, height: 2, close: () => undefined }));
    vi.stubGlobal(
      'OffscreenCanvas',
      class {
        constructor(readonly width: number, readonly height: number) {}
        getContext() {
          return { fillRect: () => undefined, drawImage: () => undefined, getImageData: (_x: number, _y: number, w: number, h: number) => ({ data: new Uint8ClampedArray(w * h * 4) }) };
        }
      },
    );
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const { callbacks } = cancellingCallbacks();
      const result = await fakeEngine({ stored: [] }).classify(
        { type: 'classify', requestId: 1, resizeMode: 'exact', items: unstored(3), classPrompts: [['a photo of a red.']], head: null },
        callbacks,
      );
      expect(result).toEqual({ cancelled: true });
      // Let the abandoned decode and its processor call settle.
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

