import { afterEach, describe, expect, it, vi } from 'vitest';
import { planDownload } from './modelFiles';
import { STALL_TIMEOUT_MS } from '../shared/stallTimeout';

/** A host that takes the size probe and never answers, until the request is aborted. */
function silentHost() {
  const signals: AbortSignal[] = [];
  const fetchFn = (_url: string, init?: RequestInit) =>
    new Promise<Response>((_, reject) => {
      signals.push(init!.signal!);
      init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason as Error), { once: true });
    });
  return { fetchFn, signals };
}

async function settledAfter(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.finally(() => (settled = true));
  await vi.advanceTimersByTimeAsync(ms);
  return settled;
}

describe('planDownload', () => {
  afterEach(() => vi.useRealTimers());

  it('gives up on a silent host after the ?stallTimeoutMs override, as downloads do, and then knows no size', async () => {
    vi.useFakeTimers();
    const { fetchFn, signals } = silentHost();
    vi.stubGlobal('fetch', fetchFn);
    vi.stubGlobal('location', { search: '?debug=1&stallTimeoutMs=2000' });
    const plan = planDownload('image', 'Xenova/clip-vit-base-patch32', 'https://hub.test/', 'wasm', new AbortController().signal);
    expect(await settledAfter(plan, 1500)).toBe(false);
    expect(await settledAfter(plan, 1500)).toBe(true);
    expect((await plan).totalBytes).toBeNull();
    expect(signals.length).toBeGreaterThan(0);
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it('waits the full stall timeout without the override', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('fetch', silentHost().fetchFn);
    vi.stubGlobal('location', { search: '' });
    const plan = planDownload('image', 'Xenova/clip-vit-base-patch32', 'https://hub.test/', 'wasm', new AbortController().signal);
    expect(await settledAfter(plan, STALL_TIMEOUT_MS - 5000)).toBe(false);
    expect(await settledAfter(plan, 10_000)).toBe(true);
  });
});
