/** Talking to the bench page (bench/browser/page.ts) from the Node runner, through Playwright. */
import type { Page } from 'playwright-core';
import type { BenchCommand, BenchCommandMap } from '../shared/protocol';

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** A hung worker must fail the run loudly rather than leave it waiting forever. */
const CALL_TIMEOUT_MS = 20 * 60 * 1000;

export async function call<C extends BenchCommand>(page: Page, command: C, commandArgs: BenchCommandMap[C]['args']): Promise<BenchCommandMap[C]['result']> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${command} did not finish within ${CALL_TIMEOUT_MS / 60000} min`)), CALL_TIMEOUT_MS);
  });
  const evaluation = page.evaluate(
    ([name, payload]) => (globalThis as unknown as { zspBench: { call: (c: string, a: unknown) => Promise<unknown> } }).zspBench.call(name, payload),
    [command, commandArgs] as const,
  );
  const result = (await Promise.race([evaluation, timeout]).finally(() => clearTimeout(timer))) as BenchCommandMap[C]['result'];
  log(`  ${command} done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** A new bench worker (the old one is terminated): a fresh WASM heap, caches and ORT thread pool. */
export async function freshWorker(page: Page): Promise<void> {
  await page.evaluate(() => (globalThis as unknown as { zspBench: { freshWorker: () => void } }).zspBench.freshWorker());
}
