/**
 * The suite's `test`/`expect`. Every browser context created while a test runs goes through a
 * network guard, however it was made: the default `context`/`page`, `browser.newContext()`,
 * `browser.newPage()`, a browser the test launched itself (`playwright.chromium.launch()`),
 * `launchPersistentContext()`. Requests to any host other than 127.0.0.1 / localhost / [::1]
 * (pages, dedicated workers, service workers, WebSockets) are aborted and recorded, and when the
 * test ends the number of blocked requests must equal what it expected — 0 unless it says otherwise:
 *
 *   test.use({ expectedBlockedRequests: 2 });          // for a whole file/describe
 *   test('...', async ({ page, network }) => { network.expectBlocked(1); ... });   // or per test
 *
 * Nothing has to be called for a context a test opens itself: the guard hooks context creation in
 * Playwright's client (the hook its own trace recorder uses), so it cannot be forgotten.
 * `e2e/guard.spec.ts` proves each way of opening a context is caught.
 */
import { test as base, expect, type BrowserContext, type PlaywrightWorkerArgs, type Request } from '@playwright/test';
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

  constructor(expected: number) {
    this.expected = expected;
  }

  /** Declares how many requests outside localhost this test expects to be blocked. */
  expectBlocked(count: number): void {
    this.expected = count;
  }

  /**
   * Kept for older specs: every context is already guarded when it is created (see the file
   * comment), so this only makes sure of it.
   */
  async guard(context: BrowserContext): Promise<void> {
    await guardContext(context);
  }

  record(request: Request): void {
    let frame: string | undefined;
    try {
      frame = request.frame().url();
    } catch {
      // Requests from workers have no frame.
      frame = request.serviceWorker()?.url();
    }
    this.blocked.push({ url: request.url(), method: request.method(), resourceType: request.resourceType(), ...(frame ? { frame } : {}) });
  }

  recordWebSocket(url: string): void {
    this.blocked.push({ url, method: 'WEBSOCKET', resourceType: 'websocket' });
  }

  describe(): string {
    if (this.blocked.length === 0) return '(none)';
    return this.blocked
      .map((b) => `  ${b.method} ${b.url} [${b.resourceType}${b.frame ? ` from ${b.frame}` : ''}]`)
      .join('\n');
  }
}

/**
 * The guard of the test that is running (one test at a time per worker process), and the one
 * that collects requests made when no test is running (a context opened in `beforeAll`, or left
 * open after its test): those fail the worker when it shuts down.
 */
let activeGuard: NetworkGuard | undefined;
const strayGuard = new NetworkGuard(0);
const guardedContexts = new WeakSet<BrowserContext>();

async function guardContext(context: BrowserContext): Promise<void> {
  if (guardedContexts.has(context)) return;
  guardedContexts.add(context);
  // The guard is looked up per request, so a context is charged to the test that is running.
  await context.route(
    (url) => !isAllowedUrl(url.href),
    async (route) => {
      (activeGuard ?? strayGuard).record(route.request());
      await route.abort('blockedbyclient');
    },
  );
  await context.routeWebSocket(
    (url) => !isAllowedUrl(url.href),
    (ws) => {
      (activeGuard ?? strayGuard).recordWebSocket(ws.url());
      void ws.close({ code: 1008, reason: 'blocked by the e2e network guard' });
    },
  );
}

/** The part of Playwright's client instrumentation the guard uses (private API, checked at run time). */
interface ContextCreationListener {
  runAfterCreateBrowserContext(context: BrowserContext): Promise<void>;
}
interface ClientInstrumentation {
  addListener(listener: ContextCreationListener): void;
  removeListener(listener: ContextCreationListener): void;
}

function isClientInstrumentation(value: unknown): value is ClientInstrumentation {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<ClientInstrumentation>).addListener === 'function' &&
    typeof (value as Partial<ClientInstrumentation>).removeListener === 'function'
  );
}

/**
 * Playwright awaits `runAfterCreateBrowserContext` inside `newContext()`, `launchPersistentContext()`
 * and `connect()` before handing the context out, for every browser of this `playwright` instance
 * (also the `chromium` export of @playwright/test): the routes are in place before any page exists.
 */
function instrumentationOf(playwright: PlaywrightWorkerArgs['playwright']): ClientInstrumentation {
  const instrumentation: unknown = (playwright as unknown as { _instrumentation?: unknown })._instrumentation;
  if (!isClientInstrumentation(instrumentation)) {
    throw new Error(
      'e2e network guard: this Playwright version has no client instrumentation (playwright._instrumentation); ' +
        'update e2e/support/test.ts so that every new context is still guarded.',
    );
  }
  return instrumentation;
}

interface Fixtures {
  /** How many non-local requests the test expects to be blocked (an option: `test.use({ expectedBlockedRequests: n })`). */
  expectedBlockedRequests: number;
  network: NetworkGuard;
  playground: PlaygroundPage;
  audio: AudioPage;
}

interface WorkerFixtures {
  _guardEveryContext: void;
}

export const test = base.extend<Fixtures, WorkerFixtures>({
  _guardEveryContext: [
    async ({ playwright }, use) => {
      const instrumentation = instrumentationOf(playwright);
      const listener: ContextCreationListener = { runAfterCreateBrowserContext: guardContext };
      instrumentation.addListener(listener);
      await use();
      instrumentation.removeListener(listener);
      if (strayGuard.blocked.length > 0) {
        throw new Error(`requests outside localhost made while no test was running:\n${strayGuard.describe()}`);
      }
    },
    { scope: 'worker', auto: true },
  ],

  expectedBlockedRequests: [0, { option: true }],

  // Automatic: set up before any context of the test and torn down after all of them are closed.
  network: [
    async ({ expectedBlockedRequests }, use, testInfo) => {
      const guard = new NetworkGuard(expectedBlockedRequests);
      activeGuard = guard;
      try {
        await use(guard);
      } finally {
        activeGuard = undefined;
      }
      if (guard.blocked.length > 0) {
        await testInfo.attach('blocked-requests', { body: guard.describe(), contentType: 'text/plain' });
      }
      expect(
        guard.blocked.length,
        `requests outside localhost: expected ${guard.expected} blocked, got ${guard.blocked.length}:\n${guard.describe()}`,
      ).toBe(guard.expected);
    },
    { auto: true },
  ],

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
