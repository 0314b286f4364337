import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';

/**
 * Only for `e2e/guard.spec.ts`, which runs these fixtures in a child `playwright test` and checks
 * that the network guard fails the ones that reach outside localhost. Kept out of the suite's
 * own run: the suite matches `*.spec.ts`, these are `*.fixture.ts`.
 */
export default defineConfig({
  testDir: '.',
  testMatch: '*.fixture.ts',
  // The parent passes its own test output folder; never the suite's `test-results` (a run empties its outputDir).
  outputDir: process.env.ZSP_GUARD_FIXTURE_OUTPUT ?? join(tmpdir(), 'zsp-guard-fixtures'),
  workers: 1,
  retries: 0,
  timeout: 30_000,
  reporter: [['json']],
  use: {
    browserName: 'chromium',
    trace: 'off',
    screenshot: 'off',
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
  },
});
