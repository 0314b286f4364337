/**
 * The fetch transformers.js downloads model files with (through `env.fetch`, its documented
 * override; nothing in node_modules is patched), and the page asks a host for file sizes with. It
 * adds what the browser's fetch lacks for large downloads from a remote host:
 *
 * - a stall timeout: no byte for STALL_TIMEOUT_MS (waiting for the headers, or mid-body) aborts
 *   the request and fails it with HostStalledError, instead of a spinner that never ends;
 * - a body that breaks off (the connection closes before Content-Length bytes came) fails with
 *   TruncatedDownloadError, which says how far it got;
 * - a request the Content-Security-Policy refused (a mirror's CDN hop the build doesn't list)
 *   fails with BlockedByPolicyError, not the bare TypeError a dead host gives too;
 * - a record of every answer that was not 2xx, by request URL, so a later error from
 *   transformers.js (which only keeps a status text) can be told apart: 401 from 404 from 500.
 */

import { STALL_TIMEOUT_MS } from './stallTimeout';

export class HostStalledError extends Error {
  constructor(
    readonly url: string,
    readonly timeoutMs: number,
    /** Body bytes that had arrived (null: the headers never came). */
    readonly received: number | null,
    readonly expected: number | null,
  ) {
    super(`The model host stopped sending data (nothing for ${timeoutMs} ms): ${url}`);
    this.name = 'HostStalledError';
  }
}

export class TruncatedDownloadError extends Error {
  constructor(
    readonly url: string,
    readonly received: number,
    readonly expected: number | null,
    cause: unknown,
  ) {
    super(`The download broke off after ${received}${expected === null ? '' : ` of ${expected}`} bytes: ${url}`, { cause });
    this.name = 'TruncatedDownloadError';
  }
}

/** A request the browser refused under the Content-Security-Policy, as its violation report says. */
export interface PolicyRefusal {
  /** The URL the report names: the request's own when the refused hop was a redirect (the browser doesn't say where to). */
  blockedUrl: string;
  /** The policy's connect-src hosts: the model hosts this build may use (ZSP_MODEL_HOSTS at build time). */
  allowedHosts: readonly string[];
}

/**
 * Where HostFetch asks whether a failed request was refused by the policy. The browser fails the
 * fetch with the same bare TypeError as a dead host and reports the refusal apart, as a
 * `securitypolicyviolation` event that can come after the rejection, so this may wait a little.
 */
export interface PolicyRefusals {
  refusalOf(url: string, startedAt: number): Promise<PolicyRefusal | null>;
}

export class BlockedByPolicyError extends Error {
  constructor(
    readonly url: string,
    readonly refusal: PolicyRefusal,
    cause: unknown,
  ) {
    super(`The browser refused to connect for ${url} (Content-Security-Policy connect-src)`, { cause });
    this.name = 'BlockedByPolicyError';
  }
}

export interface FailedAnswer {
  status: number;
  /** The Hub's `X-Error-Code` (RepoNotFound, EntryNotFound, GatedRepo…) when the host exposes it. */
  errorCode: string | null;
}

/**
 * Time spent waiting for a byte, counted in ticks. A tick that comes much later than due means the
 * worker itself was busy (creating an ONNX session blocks its thread for seconds), not that the host
 * was silent: bytes may be sitting there unread, so at most two ticks' worth of such a gap counts.
 */
export class StallClock {
  private idleMs = 0;
  constructor(
    readonly timeoutMs: number,
    readonly tickMs: number,
  ) {}

  /** One tick, `elapsedMs` after the previous one; true once the host has been silent for the timeout. */
  tick(elapsedMs: number): boolean {
    this.idleMs += Math.min(Math.max(0, elapsedMs), 2 * this.tickMs);
    return this.idleMs >= this.timeoutMs;
  }

  progress(): void {
    this.idleMs = 0;
  }
}

/** A tick every tenth of the timeout (at most a second): a stall is noticed within about 10% of it. */
function tickMsFor(timeoutMs: number): number {
  return Math.max(10, Math.min(1000, Math.round(timeoutMs / 10)));
}

/** Runs a StallClock only while armed (a request waits for headers, or a read waits for a chunk). */
class StallWatchdog {
  private readonly clock: StallClock;
  private timer: ReturnType<typeof setInterval> | null = null;
  private last = 0;

  constructor(
    timeoutMs: number,
    private readonly onStall: () => void,
  ) {
    this.clock = new StallClock(timeoutMs, tickMsFor(timeoutMs));
  }

  arm(): void {
    if (this.timer !== null) return;
    this.last = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      const stalled = this.clock.tick(now - this.last);
      this.last = now;
      if (stalled) {
        this.disarm();
        this.onStall();
      }
    }, this.clock.tickMs);
  }

  /** Bytes arrived: the silence starts again from zero. */
  progress(): void {
    this.clock.progress();
  }

  disarm(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

function declaredLength(response: Response): number | null {
  const value = response.headers.get('content-length');
  const length = value === null ? NaN : Number(value);
  return Number.isSafeInteger(length) && length >= 0 ? length : null;
}

export class HostFetch {
  /** Answers that were not 2xx, by request URL (the URL transformers.js names in its errors). */
  readonly failures = new Map<string, FailedAnswer>();
  /** Requests the Content-Security-Policy refused, by request URL. */
  readonly refusals = new Map<string, PolicyRefusal>();

  constructor(
    private readonly base: (input: string, init?: RequestInit) => Promise<Response>,
    readonly stallTimeoutMs: number = STALL_TIMEOUT_MS,
    private readonly policy: PolicyRefusals | null = null,
  ) {}

  /** `env.fetch`'s shape: transformers.js calls it with a URL string and a RequestInit. */
  readonly fetch = async (input: string | URL, init: RequestInit = {}): Promise<Response> => {
    const url = input.toString();
    const controller = new AbortController();
    const outer = init.signal;
    const relayAbort = () => controller.abort(outer?.reason);
    if (outer) {
      if (outer.aborted) controller.abort(outer.reason);
      else outer.addEventListener('abort', relayAbort, { once: true });
    }
    // A caller's signal outlives the request (one per model load, shared by every file): once the
    // request is over, its listener must not stay behind, holding this request's controller.
    const release = () => outer?.removeEventListener('abort', relayAbort);
    let stalled = false;
    const watchdog = new StallWatchdog(this.stallTimeoutMs, () => {
      stalled = true;
      controller.abort(new HostStalledError(url, this.stallTimeoutMs, null, null));
    });

    watchdog.arm();
    const startedAt = performance.now();
    let response: Response;
    try {
      response = await this.base(url, { ...init, signal: controller.signal });
    } catch (error) {
      release();
      watchdog.disarm();
      if (stalled) throw new HostStalledError(url, this.stallTimeoutMs, null, null);
      if (error instanceof TypeError && !outer?.aborted && this.policy) {
        const refusal = await this.policy.refusalOf(url, startedAt);
        if (refusal) {
          this.refusals.set(url, refusal);
          throw new BlockedByPolicyError(url, refusal, error);
        }
      }
      throw error;
    } finally {
      watchdog.disarm();
    }
    if (!response.ok) this.failures.set(url, { status: response.status, errorCode: response.headers.get('x-error-code') });
    // Error bodies are a few bytes of JSON; nothing to watch there.
    if (!response.ok || !response.body) {
      release();
      return response;
    }

    watchdog.progress();
    const expected = declaredLength(response);
    const reader = response.body.getReader();
    let received = 0;
    const body = new ReadableStream<Uint8Array>({
      pull: async (stream) => {
        watchdog.arm();
        try {
          const { done, value } = await reader.read();
          if (done) {
            release();
            stream.close();
            return;
          }
          received += value.byteLength;
          watchdog.progress();
          stream.enqueue(value);
        } catch (error) {
          release();
          if (outer?.aborted) throw error;
          if (stalled) throw new HostStalledError(url, this.stallTimeoutMs, received, expected);
          // The browser ends a body that stops short of its Content-Length with a network error.
          throw new TruncatedDownloadError(url, received, expected, error);
        } finally {
          watchdog.disarm();
        }
      },
      cancel: async (reason) => {
        release();
        watchdog.disarm();
        await reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
