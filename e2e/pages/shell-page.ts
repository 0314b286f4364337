/**
 * Page object for the app shell: the service worker (offline copy, update banner), cross-origin
 * isolation and the Content-Security-Policy notices. What it reads about the service worker,
 * the caches and policy violations comes from the browser's own APIs and events, not the app's.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { expandModelPanel } from './sections';

export interface SeenViolation {
  directive: string;
  blocked: string;
  disposition: string;
}

export class ShellPage {
  readonly updateBanner: Locator;
  readonly updateReload: Locator;
  /** Another tab accepted the new version: this one says so instead of reloading. */
  readonly updateTakenOver: Locator;
  readonly updateTakenOverReload: Locator;
  readonly offlineReady: Locator;
  readonly blockedHost: Locator;
  readonly violationNotice: Locator;
  readonly violationItems: Locator;
  private readonly seenViolations: SeenViolation[] = [];

  constructor(readonly page: Page) {
    this.updateBanner = page.getByTestId('update-banner');
    this.updateReload = page.getByTestId('update-reload');
    this.updateTakenOver = page.getByTestId('update-taken-over');
    this.updateTakenOverReload = page.getByTestId('update-taken-over-reload');
    this.offlineReady = page.getByTestId('offline-ready');
    this.blockedHost = page.getByTestId('csp-blocked-host');
    this.violationNotice = page.getByTestId('csp-violation');
    this.violationItems = page.getByTestId('csp-violation-item');
  }

  /**
   * Until a service worker controls the page with everything precached: `ready` resolves once one
   * is active, and Workbox activates only after its install step has stored the whole precache.
   */
  async waitForServiceWorker(): Promise<void> {
    await expect
      .poll(
        () =>
          this.page
            .evaluate(async () => {
              await navigator.serviceWorker.ready;
              return navigator.serviceWorker.controller !== null;
            })
            // The page may be reloading into the worker (isolation): ask again.
            .catch(() => false),
        { timeout: 120_000 },
      )
      .toBe(true);
  }

  async crossOriginIsolated(): Promise<boolean> {
    return this.page.evaluate(() => self.crossOriginIsolated).catch(() => false);
  }

  /** Every URL in the service worker's caches (Workbox's precache among them), by cache name. */
  async cachedUrls(): Promise<Record<string, string[]>> {
    return this.page.evaluate(async () => {
      const result: Record<string, string[]> = {};
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        result[name] = (await cache.keys()).map((request) => request.url);
      }
      return result;
    });
  }

  /** Asks the browser to look for a new service worker now (it otherwise does on navigations). */
  async checkForUpdate(): Promise<void> {
    await this.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      await registration?.update();
    });
  }

  async waitingWorker(): Promise<boolean> {
    return this.page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.waiting != null);
  }

  /** The WASM thread count on the model panel's badge (`… (fp32, 2 threads) …`). */
  async wasmThreads(): Promise<number> {
    await expandModelPanel(this.page);
    const text = await this.page.getByTestId('model-status').innerText();
    const match = /(\d+) threads?\b/.exec(text);
    if (!match) throw new Error(`no thread count in the model badge: "${text}"`);
    return Number(match[1]);
  }

  /**
   * Records every `securitypolicyviolation` the browser fires in the page, from before the app
   * starts and across reloads and navigations (the log lives here, in the test).
   */
  async recordViolations(): Promise<void> {
    await this.page.exposeFunction('e2eReportViolation', (violation: SeenViolation) => this.seenViolations.push(violation));
    await this.page.addInitScript(() => {
      const report = (window as unknown as { e2eReportViolation: (violation: SeenViolation) => Promise<void> }).e2eReportViolation;
      document.addEventListener('securitypolicyviolation', (event) =>
        void report({ directive: event.effectiveDirective, blocked: event.blockedURI, disposition: event.disposition }),
      );
    });
  }

  violations(): SeenViolation[] {
    return [...this.seenViolations];
  }
}
