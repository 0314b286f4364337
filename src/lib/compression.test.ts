import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InflateError, deflateRaw, inflateRaw } from './compression';
import { seededBytes } from './random';

const text = (s: string) => new TextEncoder().encode(s);

const pseudoRandomBytes = (length: number, seed = 1) => seededBytes(length, seed);

describe('deflateRaw / inflateRaw', () => {
  it('round-trips, text and noise', async () => {
    for (const data of [text('abc'.repeat(1000)), pseudoRandomBytes(20_000), new Uint8Array(0)]) expect(await inflateRaw(await deflateRaw(data), data.length)).toEqual(data);
  });

  it('writes raw DEFLATE that zlib reads, and reads what zlib writes (links made before fflate)', async () => {
    const data = text('{"labels":["red circle","blue square"]}'.repeat(50));
    const { inflateRawSync } = await import('node:zlib');
    expect(new Uint8Array(inflateRawSync(await deflateRaw(data)))).toEqual(data);
    // The old code used the platform's CompressionStream('deflate-raw'), zlib underneath.
    for (const level of [1, 6, 9]) expect(await inflateRaw(deflateRawSync(data, { level }), data.length)).toEqual(data);
    const platform = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream('deflate-raw'))).arrayBuffer());
    expect(await inflateRaw(platform, data.length)).toEqual(data);
  });

  it('stops a bomb at the limit instead of inflating it all', async () => {
    const bomb = deflateRawSync(new Uint8Array(64 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    const failure = await inflateRaw(bomb, 256 * 1024).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InflateError);
    expect((failure as InflateError).reason).toBe('too-large');
    // Exactly at the limit is fine.
    expect((await inflateRaw(deflateRawSync(new Uint8Array(1000)), 1000)).length).toBe(1000);
    await expect(inflateRaw(deflateRawSync(new Uint8Array(1001)), 1000)).rejects.toThrow(/more than 1000 bytes/);
  });

  it('reports damaged, truncated and missing data as corrupt', async () => {
    await expect(inflateRaw(new Uint8Array(0), 1000)).rejects.toMatchObject({ name: 'InflateError', reason: 'corrupt' });
    const failure = await inflateRaw(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 1000).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(InflateError);
    expect((failure as InflateError).reason).toBe('corrupt');
    const whole = await deflateRaw(pseudoRandomBytes(2000));
    const truncated = await inflateRaw(whole.subarray(0, whole.length - 10), 10_000).catch((error: unknown) => error);
    expect(truncated).toBeInstanceOf(InflateError);
    expect((truncated as InflateError).reason).toBe('corrupt');
  });
});
