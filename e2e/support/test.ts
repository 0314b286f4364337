/**
 * The suite's `test`/`expect`. Every browser context a test uses goes through a network guard:
 * requests to any host other than 127.0.0.1 / localhost / [::1] are aborted and recorded, and at
 * the end of the test the number of blocked requests must equal what the test expected — 0 unless
 * it says otherwise:
 *
 *   test.use({ expectedBlockedRequests: 2 });          // for a whole file/describe
 *   test('...', async ({ page, network }) => { network.expectBlocked(1); ... });   // or per test
 *
 * Contexts a test opens itself (`browser.newContext()`) must be passed to `network.guard(ctx)`.
 */
import { test as base, expect, type BrowserContext, type Request } from '@playwright/test';
import { AudioPage } from '../pages/audio-page';
import { PlaygroundPage } from '../pages/playground-page';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** True for URLs the app may load: local hosts, plus data:/blob: (and the like) that never hit the network. */
export function isAllowedUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'ws:' || parsed.protocol === 'wss:') {
    return LOCAL_HOSTS.has(parsed.hostname);
  }
  return ['data:', 'blob:', 'about:', 'chrome-extension:', 'devtools:'].includes(parsed.protocol);
}

export interface BlockedRequest {
  url: string;
  method: string;
  resourceType: string;
  /** The page/worker URL that issued it, when known. */
  frame?: string;
}

export class NetworkGuard {
  readonly blocked: BlockedRequest[] = [];
  expected: number;
  private readonly guarded = new WeakSet<BrowserContext>();

  constructor(expected: number) {
    this.expected = expected;
  }

  /** Declares how many requests outside localhost this test expects to be blocked. */
  expectBlocked(count: number): void {
    this.expected = count;
  }

  async guard(context: BrowserContext): Promise<void> {
    if (this.guarded.has(context)) return;
    this.guarded.add(context);
    await context.route(
      (url) => !isAllowedUrl(url.href),
      async (route) => {
        this.record(route.request());
        await route.abort('blockedbyclient');
      },
    );
    await context.routeWebSocket(
      (url) => !isAllowedUrl(url.href),
      (ws) => {
        this.blocked.push({ url: ws.url(), method: 'WEBSOCKET', resourceType: 'websocket' });
        void ws.close({ code: 1008, reason: 'blocked by the e2e network guard' });
      },
    );
  }

  private record(request: Request): void {
    let frame: string | undefined;
    try {
      frame = request.frame().url();
    } catch {
      // Requests from workers have no frame.
    }
    this.blocked.push({ url: request.url(), method: request.method(), resourceType: request.resourceType(), ...(frame ? { frame } : {}) });
  }

  describe(): string {
    if (this.blocked.length === 0) return '(none)';
    return this.blocked
      .map((b) => `  ${b.method} ${b.url} [${b.resourceType}${b.frame ? ` from ${b.frame}` : ''}]`)
      .join('\n');
  }
}

interface Fixtures {
  /** How many non-local requests the test expects to be blocked (an option: `test.use({ expectedBlockedRequests: n })`). */
  expectedBlockedRequests: number;
  network: NetworkGuard;
  playground: PlaygroundPage;
  audio: AudioPage;
}

export const test = base.extend<Fixtures>({
  expectedBlockedRequests: [0, { option: true }],

  network: async ({ expectedBlockedRequests }, use) => {
    await use(new NetworkGuard(expectedBlockedRequests));
  },

  context: async ({ context, network }, use, testInfo) => {
    await network.guard(context);
    await use(context);
    // Checked after the test body, while the context is still open.
    if (network.blocked.length > 0) {
      await testInfo.attach('blocked-requests', { body: network.describe(), contentType: 'text/plain' });
    }
    expect(
      network.blocked.length,
      `requests outside localhost: expected ${network.expected} blocked, got ${network.blocked.length}:\n${network.describe()}`,
    ).toBe(network.expected);
  },

  page: async ({ page }, use) => {
    page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
    await use(page);
  },

  playground: async ({ page }, use) => {
    await use(new PlaygroundPage(page));
  },

  audio: async ({ page }, use) => {
    await use(new AudioPage(page));
  },
});

export { expect };
