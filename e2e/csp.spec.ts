/**
 * The Content-Security-Policy of the built app (a <meta> in index.html; `vite preview` also sends
 * it as a header, as the static-host header files and the service worker do, which is what puts
 * the model workers under it too). Each refusal is checked from outside the app: the browser's own
 * `securitypolicyviolation` events (recorded by an init script), and the request log of a server
 * the policy does not list (http://[::1]:PORT — CSP host sources can't name IPv6 addresses, and
 * the suite's network guard lets loopback through, so only the policy stands between the page
 * and it). That the whole app runs under the policy with no violation (images, a folder with truth
 * and its chart, blob: previews, audio) is checked in offline.spec.ts, which does all of that.
 */
import { join } from 'node:path';
import { test, expect } from './support/test';
import { ShellPage } from './pages/shell-page';
import { HubServer, REPO_ROOT } from './support/hub-server';
import { StaticServer } from './support/static-server';

test('a model host outside the policy is named as such, and neither the page nor the model worker reaches it', async ({ page, playground }) => {
  const shell = new ShellPage(page);
  await shell.recordViolations();
  const outside = await StaticServer.start(join(REPO_ROOT, 'public', 'models', 'builtin'), { host: '::1' });
  try {
    const hubUrl = `${outside.origin}/`;
    await playground.open({ model: 'test-org/clip-shapes', hub: hubUrl, backend: 'wasm' });

    await test.step('the app says the host is not allowed, before anything is fetched', async () => {
      await expect(shell.blockedHost).toBeVisible();
      await expect(shell.blockedHost).toContainText(hubUrl);
      await expect(shell.blockedHost).toContainText('https://huggingface.co');
    });

    await test.step('the model worker (under the header policy) cannot load from it: a policy refusal, not "unreachable"', async () => {
      await playground.expectModelErrorKind('blocked-by-policy');
      await expect(playground.modelError).toContainText(`The browser refused to connect to ${outside.origin} for config.json`);
      await expect(playground.modelError).toContainText('https://huggingface.co');
    });

    await test.step('the image-by-URL box refuses the host with an explanation', async () => {
      await page.getByTestId('image-url-input').fill(`${outside.origin}/clip-shapes/icon.png`);
      await page.getByTestId('image-url-add').click();
      await expect(page.getByTestId('image-url-error')).toContainText('This app only connects to its model hosts');
      await expect(page.getByTestId('image-url-error')).toContainText('save the image and drop the file instead');
    });

    await test.step('a fetch from the page is refused by the browser and reported', async () => {
      const result = await page.evaluate((url) => fetch(url).then(() => 'fetched', (error: Error) => error.name), `${outside.origin}/probe`);
      expect(result).toBe('TypeError');
      await expect.poll(() => shell.violations().map((v) => `${v.directive} ${v.blocked}`)).toContain(`connect-src ${outside.origin}/probe`);
      expect(shell.violations().every((v) => v.disposition === 'enforce')).toBe(true);
      // The app shows the report too.
      await expect(shell.violationNotice).toBeVisible();
      await expect(shell.violationItems.filter({ hasText: `${outside.origin}/probe` })).toHaveCount(1);
    });

    expect(outside.requests, `the host outside the policy got:\n${outside.describe()}`).toEqual([]);
  } finally {
    await outside.stop();
  }
});

test('inline script, inline event handlers, javascript: URLs and eval are refused and reported', async ({ page, playground }) => {
  const shell = new ShellPage(page);
  await shell.recordViolations();
  await playground.open({ backend: 'wasm' });
  await expect(playground.labelsInput).toBeVisible();

  // Playwright's own evaluate() is exempt from the page's policy (it runs through DevTools), so the
  // eval attempts come from a script of the page's own origin, as a compromised dependency's would.
  await page.route('**/e2e-eval-probe.js', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: `
        const attempt = (run) => { try { run(); return 'ran'; } catch (error) { return error.name; } };
        window.evalProbe = {
          evalResult: attempt(() => (0, eval)('window.evalRan = true')),
          functionResult: attempt(() => new Function('window.functionRan = true')()),
          timerResult: attempt(() => setTimeout('window.timerRan = true')),
        };`,
    }),
  );

  const outcome = await page.evaluate(async () => {
    const ran = window as unknown as Record<string, unknown>;
    const script = document.createElement('script');
    script.textContent = 'window.inlineScriptRan = true';
    document.body.append(script);
    const holder = document.createElement('div');
    holder.innerHTML = '<img src="/no-such-image.png" onerror="window.inlineHandlerRan = true">';
    const imageFailed = new Promise((resolve) => holder.querySelector('img')!.addEventListener('error', resolve, { once: true }));
    document.body.append(holder);
    const link = document.createElement('a');
    link.href = 'javascript:window.javascriptUrlRan = true';
    document.body.append(link);
    link.click();
    const probe = document.createElement('script');
    probe.src = '/e2e-eval-probe.js';
    const probeLoaded = new Promise((resolve) => probe.addEventListener('load', resolve, { once: true }));
    document.body.append(probe);
    await probeLoaded;
    // The image has failed (its handler would have run by then); a 0 ms timer queued after the
    // probe's string timer fires after it (timers of equal delay run in order), had that been allowed.
    await imageFailed;
    await new Promise((resolve) => setTimeout(resolve, 0));
    const { evalResult, functionResult } = ran.evalProbe as { evalResult: string; functionResult: string };
    return {
      ran: ['inlineScriptRan', 'inlineHandlerRan', 'javascriptUrlRan', 'evalRan', 'functionRan', 'timerRan'].filter((key) => ran[key] !== undefined),
      evalResult,
      functionResult,
    };
  });

  expect(outcome.ran, 'nothing injected ran').toEqual([]);
  expect(outcome.evalResult).toBe('EvalError');
  expect(outcome.functionResult).toBe('EvalError');

  await expect
    .poll(() => [...new Set(shell.violations().map((v) => `${v.directive} ${v.blocked}`))].sort())
    .toEqual(['script-src eval', 'script-src-attr inline', 'script-src-elem inline'].sort());
  await expect(shell.violationNotice).toBeVisible();
  await expect(shell.violationItems).toHaveCount(3);
});

test('an allowed mirror whose CDN hop the policy refuses: the model panel says so from the worker\'s own violation report, and the CDN is never reached', async ({
  page,
  playground,
}) => {
  // The Hub mimic on 127.0.0.1 (allowed: this machine) redirects its large files to a CDN on [::1], which no policy can list.
  const hub = await HubServer.start(undefined, { cdnHost: '::1' });
  try {
    await playground.open({ model: 'test-org/clip-shapes', hub: hub.url, backend: 'wasm' });
    await playground.expectModelErrorKind('blocked-by-policy');
    // Its first large file (tokenizer.json or an ONNX file, whichever transformers.js asks for first) is the one refused.
    await expect(playground.modelError).toContainText(`${hub.url.replace(/\/$/, '')} redirected the download of `);
    await expect(playground.modelError).toContainText('http://127.0.0.1:*');
    await expect(playground.modelError).toContainText('ZSP_MODEL_HOSTS');
    await expect(page.getByTestId('retry-hub-button')).toHaveCount(0);
    // The Hub answered the 302 (outside check: its own log), and nothing reached the CDN.
    expect(hub.requests.some((r) => r.origin === 'hub' && r.status === 302), hub.describe()).toBe(true);
    expect(hub.requests.filter((r) => r.origin === 'cdn'), hub.describe()).toEqual([]);
  } finally {
    await hub.stop();
  }
});
