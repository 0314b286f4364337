import { describe, expect, it } from 'vitest';
import { modelKindMismatch } from './modelKinds';
import { MIN_STALL_TIMEOUT_MS, stallTimeoutOverride } from './stallTimeout';

describe('modelKindMismatch', () => {
  it('refuses a speech model in the image view, saying what it is', () => {
    expect(modelKindMismatch('image', 'org/whisper-words', 'whisper')).toMatch(/org\/whisper-words is a speech model \("whisper"\), not an image model/);
    expect(modelKindMismatch('image', 'org/clap', 'clap')).toMatch(/is an audio model \("clap"\), not an image model/);
  });

  it('accepts image-text models (and configs that do not say) in the image view', () => {
    expect(modelKindMismatch('image', 'org/clip', 'clip')).toBeNull();
    expect(modelKindMismatch('image', 'org/siglip', 'siglip')).toBeNull();
    expect(modelKindMismatch('image', 'org/custom', 'something_new')).toBeNull();
    expect(modelKindMismatch('image', 'org/custom', undefined)).toBeNull();
  });

  it('runs only Whisper and CLAP in the audio view', () => {
    expect(modelKindMismatch('audio', 'org/w', 'whisper')).toBeNull();
    expect(modelKindMismatch('audio', 'org/c', 'clap')).toBeNull();
    expect(modelKindMismatch('audio', 'org/clip', 'clip')).toMatch(/is an image model \("clip"\), not an audio model/);
    expect(modelKindMismatch('audio', 'org/bert', 'bert')).toMatch(/"bert" model; the audio view runs Whisper and CLAP/);
    expect(modelKindMismatch('audio', 'org/x', 42)).toMatch(/no model_type/);
  });
});

describe('stallTimeoutOverride', () => {
  it('reads stallTimeoutMs only with debug on', () => {
    expect(stallTimeoutOverride('?debug=1&stallTimeoutMs=3000')).toBe(3000);
    expect(stallTimeoutOverride('?stallTimeoutMs=3000')).toBeUndefined();
    expect(stallTimeoutOverride('?debug=0&stallTimeoutMs=3000')).toBeUndefined();
  });

  it('ignores values that are not a sane number of milliseconds', () => {
    for (const raw of ['', 'abc', '-5', '1e4', '3000.5', String(MIN_STALL_TIMEOUT_MS - 1), '600001'])
      expect(stallTimeoutOverride(`?debug=1&stallTimeoutMs=${encodeURIComponent(raw)}`), raw).toBeUndefined();
    expect(stallTimeoutOverride(`?debug=1&stallTimeoutMs=${MIN_STALL_TIMEOUT_MS}`)).toBe(MIN_STALL_TIMEOUT_MS);
  });
});
