import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/support/chromium';

/**
 * End-to-end suite: Chromium only, against the production build (`npm run build` first; this
 * config only serves `dist/` with `vite preview`). One worker: the machine has 2 cores and the
 * model runs on the CPU (WASM) or on SwiftShader (WebGPU).
 */
// Overridable so that parallel checkouts can each serve their own build (`vite build --outDir`).
const PORT = Number(process.env.ZSP_E2E_PORT ?? 4173);
const DIST_DIR = process.env.ZSP_DIST_DIR ?? 'dist';
const BASE_URL = `http://127.0.0.1:${PORT}`;


export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  outputDir: './test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Model load + a batch of inferences on emulated hardware; each spec waits on state, never on time.
  timeout: 300_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['html', { open: 'never' }]] : [['list']],
  use: {
    baseURL: BASE_URL,
    browserName: 'chromium',
    // No DOM snapshots or screenshots in the trace: recording them cost ~30% of each CPU-bound test's time.
    trace: { mode: 'retain-on-failure', snapshots: false, screenshots: false },
    screenshot: 'only-on-failure',
    // The app's service worker precaches ~65 MB (ORT runtime, built-in models) on a first visit: every
    // test would pay for that, and its fetches would change the request counts specs assert. Only
    // the specs about it allow it (`test.use({ serviceWorkers: 'allow' })`: offline, isolation).
    serviceWorkers: 'block',
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
      },
    },
  ],
  webServer: {
    command: `npx vite preview --port ${PORT} --strictPort --host 127.0.0.1 --outDir ${DIST_DIR}`,
    url: BASE_URL,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
