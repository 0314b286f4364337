/**
 * The prompt state's plumbing without a model: which outputs become which past_key_values, what
 * is tiled for the label rows, and the bounded cache that never frees a state in use.
 */
import { Tensor } from '@huggingface/transformers';
import { describe, expect, it, vi } from 'vitest';
import { PromptStateCache, cachedCallRowBytes, pastKeyValuesForRows, promptStateFromOutputs, type PromptState } from './whisperPromptState';

const VOCAB = 5;
const PROMPT_LENGTH = 2;

function decoderOutputs(): Record<string, Tensor> {
  const logits = new Tensor('float32', Float32Array.from({ length: PROMPT_LENGTH * VOCAB }, (_, i) => i), [1, PROMPT_LENGTH, VOCAB]);
  return {
    logits,
    'present.0.decoder.key': new Tensor('float32', Float32Array.from([1, 2, 3, 4]), [1, 1, PROMPT_LENGTH, 2]),
    'present.0.encoder.key': new Tensor('float32', Float32Array.from([5, 6, 7, 8, 9, 10]), [1, 1, 3, 2]),
  };
}

describe('prompt state', () => {
  it("renames present outputs to past_key_values and keeps the prompt's last logits", async () => {
    const state = await promptStateFromOutputs(decoderOutputs(), PROMPT_LENGTH, 'broadcast');
    expect([...state.past.keys()].sort()).toEqual(['past_key_values.0.decoder.key', 'past_key_values.0.encoder.key']);
    expect(Array.from(state.lastLogits)).toEqual([5, 6, 7, 8, 9]);
    expect(state.bytes).toBe(4 * (5 + 4 + 6));
  });

  it('frees the outputs it had already kept when it fails part way (GPU buffers on WebGPU)', async () => {
    const outputs = decoderOutputs();
    // After the two kept ones, an output of the wrong batch makes it throw.
    outputs['present.1.decoder.key'] = new Tensor('float32', new Float32Array(8), [2, 1, PROMPT_LENGTH, 2]);
    const disposed = Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, vi.spyOn(tensor, 'dispose')]));
    await expect(promptStateFromOutputs(outputs, PROMPT_LENGTH, 'broadcast')).rejects.toThrow('batch 2');
    for (const [name, spy] of Object.entries(disposed)) expect(spy, name).toHaveBeenCalledTimes(1);
  });

  it('tiles the self-attention cache over the rows; the cross-attention one only when not broadcast', async () => {
    const state = await promptStateFromOutputs(decoderOutputs(), PROMPT_LENGTH, 'tiled');
    const broadcast = pastKeyValuesForRows(state, 3, 'broadcast');
    expect(broadcast.past['past_key_values.0.decoder.key']?.dims).toEqual([3, 1, PROMPT_LENGTH, 2]);
    expect(Array.from(broadcast.past['past_key_values.0.decoder.key']?.data as Float32Array)).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    expect(broadcast.past['past_key_values.0.encoder.key']).toBe(state.past.get('past_key_values.0.encoder.key'));
    expect(broadcast.created).toHaveLength(1);
    const tiled = pastKeyValuesForRows(state, 3, 'tiled');
    expect(tiled.past['past_key_values.0.encoder.key']?.dims).toEqual([3, 1, 3, 2]);
    expect(tiled.created).toHaveLength(2);
    // A tiled cross-attention cache costs every row its copy in and the present copy out.
    const perRowBroadcast = cachedCallRowBytes(state, PROMPT_LENGTH, 4, VOCAB, 'broadcast');
    expect(cachedCallRowBytes(state, PROMPT_LENGTH, 4, VOCAB, 'tiled') - perRowBroadcast).toBe(2 * 6 * 4);
    expect(perRowBroadcast).toBe(4 * (4 * VOCAB + 4 + (4 / PROMPT_LENGTH) * (PROMPT_LENGTH + 4)));
  });
});

describe('PromptStateCache', () => {
  const state = (bytes: number): PromptState => ({ past: new Map(), lastLogits: new Float32Array(0), bytes });

  it('keeps recently used states within its byte bound and recomputes evicted ones', async () => {
    const cache = new PromptStateCache<object>(250);
    const [a, b, c] = [{}, {}, {}];
    let computed = 0;
    const compute = async () => (computed++, state(100));
    for (const key of [a, b, a, c]) cache.release(await cache.acquire(key, compute));
    // a was used after b, so b went when c came.
    expect(computed).toBe(3);
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(200);
    cache.release(await cache.acquire(a, compute));
    expect(computed).toBe(3);
    cache.release(await cache.acquire(b, compute));
    expect(computed).toBe(4);
  });

  it('never evicts a state in use; it goes once released', async () => {
    const cache = new PromptStateCache<object>(150);
    const [a, b] = [{}, {}];
    const held = await cache.acquire(a, async () => state(100));
    cache.release(await cache.acquire(b, async () => state(100)));
    expect(await cache.acquire(a, async () => state(999))).toBe(held);
    cache.release(held);
    cache.release(held);
    expect(cache.bytes).toBeLessThanOrEqual(150);
  });

  it('forgets a state on request, so the next use computes it again', async () => {
    const cache = new PromptStateCache<object>(1000);
    const key = {};
    let computed = 0;
    const compute = async () => (computed++, state(10));
    cache.release(await cache.acquire(key, compute));
    cache.forget(key);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    cache.release(await cache.acquire(key, compute));
    expect(computed).toBe(2);
  });
});
