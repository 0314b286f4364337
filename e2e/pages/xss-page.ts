/**
 * Detectors for script injection, installed before the app's own code runs: every probe sets a
 * `window.__xss*` flag if it runs; dialogs (`alert(1)`) are recorded by Playwright; and any CSP
 * violation of script-src is recorded too, so a probe a Content-Security-Policy stopped still
 * counts (it means user text became markup). The test sees execution itself, not only the CSP.
 */
import { expect, type Page } from '@playwright/test';

export interface XssFindings {
  /** Every `window.__xss*` global that exists (the probes set them). */
  flags: Record<string, unknown>;
  /** CSP violations of script directives: an inline handler or script that was blocked. */
  violations: string[];
  /** Elements carrying an inline event handler or a `javascript:` URL. */
  handlers: string[];
  /** href/src/action values that are not blob:, data:, same-origin, or a fragment. */
  foreignUrls: string[];
}

/** The app's own outbound links (the bias probe's model card and paper), written in its code, not from user text. */
const FIXED_LINKS = ['https://github.com/openai/CLIP/blob/main/model-card.md', 'https://arxiv.org/abs/2103.00020'];

export class XssProbePage {
  readonly dialogs: string[] = [];
  readonly scriptConsoleErrors: string[] = [];

  constructor(readonly page: Page) {
    page.on('dialog', (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|inline (event handler|script)/i.test(message.text())) this.scriptConsoleErrors.push(message.text());
    });
  }

  /** Before `goto`: records script-src violations from the first byte of the page on. */
  async install(): Promise<void> {
    await this.page.addInitScript(() => {
      const violations: string[] = [];
      Reflect.set(window, '__zspCspViolations', violations);
      document.addEventListener('securitypolicyviolation', (event) => {
        if (/^script-src/.test(event.effectiveDirective)) violations.push(`${event.effectiveDirective}: ${event.sample || event.blockedURI}`);
      });
    });
  }

  async findings(): Promise<XssFindings> {
    return this.page.evaluate((fixedLinks) => {
      const FIXED_LINKS = new Set(fixedLinks);
      const flags: Record<string, unknown> = {};
      for (const key of Object.getOwnPropertyNames(window)) if (key.startsWith('__xss')) flags[key] = Reflect.get(window, key);
      const handlers: string[] = [];
      const foreignUrls: string[] = [];
      const isSafe = (value: string) => {
        if (value.startsWith('#')) return true;
        try {
          const url = new URL(value, location.href);
          return url.protocol === 'blob:' || url.protocol === 'data:' || url.origin === location.origin || FIXED_LINKS.has(url.href);
        } catch {
          return false;
        }
      };
      for (const element of document.querySelectorAll('*')) {
        for (const attribute of element.attributes) {
          const name = attribute.name.toLowerCase();
          if (name.startsWith('on')) handlers.push(`<${element.localName} ${name}="${attribute.value}">`);
          if (['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data'].includes(name)) {
            if (/^\s*javascript:/i.test(attribute.value)) handlers.push(`<${element.localName} ${name}="${attribute.value}">`);
            else if (!isSafe(attribute.value)) foreignUrls.push(`<${element.localName} ${name}="${attribute.value}">`);
          }
        }
      }
      return { flags, violations: [...(Reflect.get(window, '__zspCspViolations') as string[])], handlers, foreignUrls };
    }, FIXED_LINKS);
  }

  /** Nothing ran, nothing was blocked, no markup came out of user text. */
  async expectNothingRan(where: string): Promise<void> {
    const found = await this.findings();
    expect(found.flags, `${where}: no probe ran`).toEqual({});
    expect(found.violations, `${where}: no inline script was even attempted (CSP script-src violations)`).toEqual([]);
    expect(found.handlers, `${where}: no inline handler or javascript: URL in the DOM`).toEqual([]);
    expect(found.foreignUrls, `${where}: every href/src is blob:, data:, same-origin or a fixed link`).toEqual([]);
    expect(this.dialogs, `${where}: no dialog opened`).toEqual([]);
    expect(this.scriptConsoleErrors, `${where}: no CSP console error`).toEqual([]);
  }

  /**
   * Proves the detectors work: the same kind of probe put in as HTML does run, or is reported as
   * a violation when a CSP blocks it. Cleans up after itself.
   */
  async expectDetectorsWork(): Promise<void> {
    const before = await this.page.evaluate(() => {
      const host = document.createElement('div');
      host.id = 'xss-control';
      host.innerHTML = '<img src="data:," onerror="window.__xssControl=1">';
      document.body.append(host);
      return (Reflect.get(window, '__zspCspViolations') as string[]).length;
    });
    await this.page.waitForFunction((count) => Reflect.get(window, '__xssControl') === 1 || (Reflect.get(window, '__zspCspViolations') as string[]).length > count, before);
    const seen = await this.page.evaluate((count) => {
      const violations = Reflect.get(window, '__zspCspViolations') as string[];
      const result = { ran: Reflect.get(window, '__xssControl') === 1, blocked: violations.length > count };
      document.getElementById('xss-control')?.remove();
      Reflect.deleteProperty(window, '__xssControl');
      violations.splice(count);
      return result;
    }, before);
    expect(seen.ran || seen.blocked, 'an HTML-injected probe is seen (it runs, or the CSP reports it)').toBe(true);
    this.scriptConsoleErrors.length = 0;
  }
}
