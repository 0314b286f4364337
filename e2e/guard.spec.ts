/**
 * The network guard itself (e2e/support/test.ts), proven from outside: a child `playwright test`
 * runs the fixtures in e2e/guard-fixtures/ (not part of the suite), where each test reaches for
 * http://example.invalid/… from one kind of context or worker, and its JSON report must show each
 * such test failed by the guard, with the guard's message naming that URL, and the clean ones passed.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './support/hub-server';
import { test, expect } from './support/test';

/** Fixture test title → the URL its page, worker or socket asks for. */
const MUST_FAIL: Readonly<Record<string, string>> = {
  'default context': 'http://example.invalid/default-context',
  'browser.newContext()': 'http://example.invalid/new-context',
  'browser.newPage()': 'http://example.invalid/new-page',
  'a browser the test launched': 'http://example.invalid/launched-browser',
  'launchPersistentContext()': 'http://example.invalid/persistent-context',
  'a dedicated worker': 'http://example.invalid/dedicated-worker',
  'a service worker': 'http://example.invalid/service-worker',
  'a WebSocket': 'ws://example.invalid/websocket',
};
const MUST_PASS = ['clean: a page that only talks to localhost', 'clean: a blocked request the test declared'];

/** The parts of Playwright's JSON report read here. */
interface JsonResult {
  status: string;
  errors: { message?: string }[];
}
interface JsonSpec {
  title: string;
  tests: { results: JsonResult[] }[];
}
interface JsonSuite {
  specs?: JsonSpec[];
  suites?: JsonSuite[];
}
interface JsonReport {
  suites: JsonSuite[];
  errors: { message?: string }[];
}

function resultsByTitle(report: JsonReport): Map<string, JsonResult> {
  const found = new Map<string, JsonResult>();
  const walk = (suite: JsonSuite): void => {
    for (const spec of suite.specs ?? []) {
      const result = spec.tests[0]?.results[0];
      if (result) found.set(spec.title, result);
    }
    for (const child of suite.suites ?? []) walk(child);
  };
  for (const suite of report.suites) walk(suite);
  return found;
}

function runFixtures(outputDir: string): Promise<{ code: number | null; log: string }> {
  const cli = join(REPO_ROOT, 'node_modules', '@playwright', 'test', 'cli.js');
  const child = spawn(process.execPath, [cli, 'test', '--config', join(REPO_ROOT, 'e2e', 'guard-fixtures', 'playwright.config.ts')], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      FORCE_COLOR: '0',
      PLAYWRIGHT_JSON_OUTPUT_FILE: join(outputDir, 'report.json'),
      ZSP_GUARD_FIXTURE_OUTPUT: join(outputDir, 'fixture-results'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, log }));
  });
}

test('the network guard fails a test whose page, context, browser or worker reaches outside localhost, and passes clean ones', async ({}, testInfo) => {
  const outputDir = testInfo.outputPath('child-run');
  const { code, log } = await runFixtures(outputDir);
  const report = JSON.parse(readFileSync(join(outputDir, 'report.json'), 'utf8')) as JsonReport;
  expect(report.errors, log).toEqual([]);
  const results = resultsByTitle(report);
  expect([...results.keys()].sort(), log).toEqual([...Object.keys(MUST_FAIL), ...MUST_PASS].sort());

  for (const title of MUST_PASS) {
    expect(results.get(title)?.status, `${title}: ${results.get(title)?.errors.map((e) => e.message).join('\n')}`).toBe('passed');
  }
  for (const [title, url] of Object.entries(MUST_FAIL)) {
    const result = results.get(title)!;
    expect(result.status, title).toBe('failed');
    const message = result.errors.map((error) => error.message ?? '').join('\n');
    expect(message, title).toContain('requests outside localhost: expected 0 blocked, got 1:');
    expect(message, title).toContain(url);
  }
  // The fixtures that must fail are declared as expected failures (so the child keeps one worker):
  // the child run as a whole succeeds exactly when each of them failed and each clean one passed.
  expect(code, log).toBe(0);
});
