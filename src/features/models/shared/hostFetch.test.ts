import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BlockedByPolicyError, HostFetch, HostStalledError, StallClock, TruncatedDownloadError, type PolicyRefusals } from './hostFetch';

/** A body that sends these chunks, then either ends, errors (a dropped connection) or never sends again. */
function bodyOf(chunks: Uint8Array[], then: 'end' | 'error' | 'hang'): ReadableStream<Uint8Array> {
  let index = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (index < chunks.length) {
        controller.enqueue(chunks[index++]);
        return;
      }
      if (then === 'end') controller.close();
      else if (then === 'error') controller.error(new TypeError('network error'));
      // 'hang': a pull that never settles, like a socket that stays open and silent.
      else return new Promise<void>(() => undefined);
    },
  });
}

/** A base fetch that answers with this body and honours the abort signal, as the browser's does. */
function baseFetch(body: () => ReadableStream<Uint8Array>, headers: Record<string, string> = {}, status = 200) {
  return (_url: string, init?: RequestInit) => {
    const stream = body();
    const reader = stream.getReader();
    const aborted = new Promise<never>((_, reject) =>
      init?.signal?.addEventListener('abort', () => reject(init.signal!.reason instanceof Error ? init.signal!.reason : new Error('aborted')), { once: true }),
    );
    const relay = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await Promise.race([reader.read(), aborted]);
        if (done) controller.close();
        else controller.enqueue(value);
      },
    });
    return Promise.resolve(new Response(relay, { status, headers }));
  };
}

describe('StallClock', () => {
  it('stalls after the timeout of ticks without progress', () => {
    const clock = new StallClock(1000, 100);
    for (let i = 0; i < 9; i++) expect(clock.tick(100)).toBe(false);
    expect(clock.tick(100)).toBe(true);
  });

  it('starts again from zero on progress', () => {
    const clock = new StallClock(1000, 100);
    for (let i = 0; i < 9; i++) clock.tick(100);
    clock.progress();
    for (let i = 0; i < 9; i++) expect(clock.tick(100)).toBe(false);
  });

  it('counts a late tick (the worker was busy, not the host silent) as at most two ticks', () => {
    const clock = new StallClock(1000, 100);
    expect(clock.tick(5000)).toBe(false);
    expect(clock.tick(5000)).toBe(false);
    expect(clock.tick(5000)).toBe(false);
    expect(clock.tick(5000)).toBe(false);
    expect(clock.tick(5000)).toBe(true);
  });
});

describe('HostFetch', () => {
  const bytes = (n: number) => new Uint8Array(n).fill(7);

  it('passes a whole body through unchanged', async () => {
    const host = new HostFetch(baseFetch(() => bodyOf([bytes(3), bytes(5)], 'end'), { 'Content-Length': '8' }), 1000);
    const response = await host.fetch('http://host.test/a');
    expect(response.headers.get('content-length')).toBe('8');
    expect((await response.arrayBuffer()).byteLength).toBe(8);
  });

  it('fails a body that stops sending with HostStalledError, saying how far it got', async () => {
    const host = new HostFetch(baseFetch(() => bodyOf([bytes(4)], 'hang'), { 'Content-Length': '10' }), 200);
    const response = await host.fetch('http://host.test/stalls');
    const error: unknown = await response.arrayBuffer().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostStalledError);
    expect(error).toMatchObject({ url: 'http://host.test/stalls', received: 4, expected: 10, timeoutMs: 200 });
  });

  it('fails a request whose headers never come with HostStalledError', async () => {
    const never = (_url: string, init?: RequestInit) =>
      new Promise<Response>((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const host = new HostFetch(never, 200);
    await expect(host.fetch('http://host.test/silent')).rejects.toMatchObject({ name: 'HostStalledError', received: null });
  });

  it('fails a body that breaks off with TruncatedDownloadError', async () => {
    const host = new HostFetch(baseFetch(() => bodyOf([bytes(6)], 'error'), { 'Content-Length': '12' }), 1000);
    const response = await host.fetch('http://host.test/cut');
    const error: unknown = await response.arrayBuffer().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TruncatedDownloadError);
    expect(error).toMatchObject({ received: 6, expected: 12 });
  });

  it('keeps what the host answered when it was not 2xx, with its error code', async () => {
    const host = new HostFetch(baseFetch(() => bodyOf([], 'end'), { 'X-Error-Code': 'RepoNotFound' }, 401), 1000);
    const response = await host.fetch('http://host.test/private/resolve/main/config.json');
    expect(response.status).toBe(401);
    expect(host.failures.get('http://host.test/private/resolve/main/config.json')).toEqual({ status: 401, errorCode: 'RepoNotFound' });
  });

  it('passes the caller’s own abort through as it is, not as a stall or a cut', async () => {
    const controller = new AbortController();
    const host = new HostFetch(baseFetch(() => bodyOf([bytes(2)], 'hang')), 5000);
    const response = await host.fetch('http://host.test/slow', { signal: controller.signal });
    const reading = response.arrayBuffer();
    controller.abort(new Error('user cancelled'));
    await expect(reading).rejects.toThrow('user cancelled');
  });

  it('leaves no abort listener on the caller’s signal once a request is over, whichever way it ended', async () => {
    const controller = new AbortController();
    const listeners = () => getEventListeners(controller.signal, 'abort').length;
    const whole = new HostFetch(baseFetch(() => bodyOf([bytes(3)], 'end')), 5000);
    await (await whole.fetch('http://host.test/a', { signal: controller.signal })).arrayBuffer();
    expect(listeners()).toBe(0);
    const cut = new HostFetch(baseFetch(() => bodyOf([bytes(3)], 'error')), 5000);
    await expect((await cut.fetch('http://host.test/b', { signal: controller.signal })).arrayBuffer()).rejects.toThrow(TruncatedDownloadError);
    expect(listeners()).toBe(0);
    const refused = new HostFetch(baseFetch(() => bodyOf([], 'end'), {}, 404), 5000);
    await refused.fetch('http://host.test/c', { signal: controller.signal });
    expect(listeners()).toBe(0);
    const down = new HostFetch(() => Promise.reject(new TypeError('Failed to fetch')), 5000);
    await expect(down.fetch('http://host.test/d', { signal: controller.signal })).rejects.toThrow(TypeError);
    expect(listeners()).toBe(0);
    const cancelled = new HostFetch(baseFetch(() => bodyOf([bytes(3)], 'hang')), 5000);
    await (await cancelled.fetch('http://host.test/e', { signal: controller.signal })).body!.cancel();
    expect(listeners()).toBe(0);
  });

  it('fails a request the policy refused with BlockedByPolicyError, and a dead host with its own TypeError', async () => {
    const refusal = { blockedUrl: 'http://host.test/a', allowedHosts: ['https://huggingface.co'] };
    const asked: string[] = [];
    const policy: PolicyRefusals = {
      refusalOf: (url) => {
        asked.push(url);
        return Promise.resolve(url === refusal.blockedUrl ? refusal : null);
      },
    };
    const host = new HostFetch(() => Promise.reject(new TypeError('Failed to fetch')), 5000, policy);
    const blocked = await host.fetch('http://host.test/a').catch((error: unknown) => error);
    expect(blocked).toBeInstanceOf(BlockedByPolicyError);
    expect(blocked).toMatchObject({ url: 'http://host.test/a', refusal });
    expect(host.refusals.get('http://host.test/a')).toEqual(refusal);
    await expect(host.fetch('http://host.test/b')).rejects.toThrow(new TypeError('Failed to fetch'));
    expect(asked).toEqual(['http://host.test/a', 'http://host.test/b']);
  });
});
