import { describe, expect, it } from 'vitest';
import { audioRankingKey, audioRankingModel, imageEmbeddingKey, modelVariantKey, sha256Hex, textEmbeddingKey, withImageResizeMode } from './cacheKeys';

const variant = { modelId: 'builtin/clip-shapes', sourceKey: 'builtin', dtype: 'fp32', backend: 'wasm' };

describe('cache keys', () => {
  it('hashes content with SHA-256', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
  it('separates models, sources, precisions and backends', () => {
    const keys = new Set([
      modelVariantKey(variant),
      modelVariantKey({ ...variant, modelId: 'Xenova/clip-vit-base-patch32' }),
      modelVariantKey({ ...variant, sourceKey: 'https://mirror.example/' }),
      modelVariantKey({ ...variant, dtype: 'fp16' }),
      modelVariantKey({ ...variant, backend: 'webgpu' }),
    ]);
    expect(keys.size).toBe(5);
  });
  it('cannot be confused by separators inside ids', () => {
    expect(modelVariantKey({ ...variant, modelId: 'a|b', sourceKey: 'c' })).not.toBe(
      modelVariantKey({ ...variant, modelId: 'a', sourceKey: 'b|c' }),
    );
  });
  it('keys images by content and texts by exact prompt', () => {
    const v = modelVariantKey(variant);
    expect(imageEmbeddingKey(v, 'ff')).toBe(imageEmbeddingKey(v, 'ff'));
    expect(imageEmbeddingKey(v, 'ff')).not.toBe(textEmbeddingKey(v, 'ff'));
    expect(textEmbeddingKey(v, 'a photo of a cat.')).not.toBe(textEmbeddingKey(v, 'a photo of a Cat.'));
  });
  it("gives an audio ranking key's model back, whatever the prompts hold, and tells regrouped prompts apart", () => {
    const key = audioRankingKey('builtin/whisper-words@wasm', 'mean', [[' yes', ' yeah'], [' no']]);
    expect(audioRankingModel(key)).toBe('builtin/whisper-words@wasm');
    expect(audioRankingModel(`${key}\u0000head:h1`)).toBe('builtin/whisper-words@wasm');
    expect(audioRankingModel(audioRankingKey('', 'mean', [[' a']]))).toBe('');
    expect(audioRankingKey('m', 'mean', [[' a', ' b']])).not.toBe(audioRankingKey('m', 'mean', [[' a'], [' b']]));
  });
  it('keeps the exact resize path on the plain key and keys the native path apart', () => {
    const v = modelVariantKey(variant);
    expect(withImageResizeMode(v, 'exact')).toBe(v);
    // The native path's stored keys from before this helper: byte-identical.
    expect(withImageResizeMode(v, 'native')).toBe(`${v}|resize:native`);
    expect(imageEmbeddingKey(withImageResizeMode(v, 'native'), 'ff')).not.toBe(imageEmbeddingKey(v, 'ff'));
    // Encoded ids cannot end in the suffix, so no model's exact key is another's native one.
    expect(modelVariantKey({ ...variant, backend: 'wasm|resize:native' })).not.toBe(withImageResizeMode(v, 'native'));
  });
});
