/**
 * The fault hooks of the debug API (`?debug=1`, `window.zspDebug`): crash a task's model worker,
 * lose its WebGPU device; and what the tests read around them: the model notice, every image item's
 * top label (through the debug API, so items the virtual grid hasn't drawn count too), the full
 * image counters. Every call needs the page opened with `?debug=1` (else `zspDebug` is undefined and the call throws).
 */
import { expect, type Locator, type Page } from '@playwright/test';

export type FaultTask = 'image' | 'audio';

/** What the crash hook reports once the model is back: the items that had a result at that moment. */
export interface CrashReport {
  restarted: boolean;
  withResults: number;
  items: number;
}

export interface ImageCounters {
  imagesEmbedded: number;
  imagesFromStorage: number;
  visionRuns: number;
  textRuns: number;
}

interface FaultApi {
  crashWorker(task: FaultTask, afterResults?: number): Promise<CrashReport>;
  loseGpuDevice(task: FaultTask, afterResults?: number): Promise<void>;
  imageItems(): Array<{ name: string; top: string | null }>;
  preprocessed(name: string): Promise<unknown>;
}

declare global {
  interface Window {
    /** Set by `startCrash`: the crash hook's promise, awaited by `crashReport`. */
    __zspCrash?: Promise<CrashReport>;
  }
}

export class FaultsPage {
  readonly modelNotice: Locator;
  readonly modelStatus: Locator;
  readonly batchProgress: Locator;
  readonly batchPaused: Locator;
  readonly resumeButton: Locator;
  readonly workerStats: Locator;

  constructor(readonly page: Page) {
    this.modelNotice = page.getByTestId('model-notice');
    this.modelStatus = page.getByTestId('model-status');
    this.batchProgress = page.getByTestId('batch-progress');
    this.batchPaused = page.getByTestId('batch-paused');
    this.resumeButton = page.getByTestId('resume-button');
    this.workerStats = page.getByTestId('worker-stats');
  }

  /**
   * Crashes the task's worker as soon as `afterResults` items have a result (decided in the page, on
   * the store's update, so the batch is surely still running), and resolves once the model is back.
   */
  async crashWorker(task: FaultTask, afterResults: number): Promise<CrashReport> {
    return this.page.evaluate(([t, k]) => (window as unknown as { zspDebug: FaultApi }).zspDebug.crashWorker(t, k), [task, afterResults] as const);
  }

  /** Like `crashWorker`, without waiting for the model to be back (`crashReport` does): its restart may be held by the test. */
  async startCrash(task: FaultTask, afterResults: number): Promise<void> {
    await this.page.evaluate(
      ([t, k]) => {
        window.__zspCrash = (window as unknown as { zspDebug: FaultApi }).zspDebug.crashWorker(t, k);
      },
      [task, afterResults] as const,
    );
  }

  /**
   * Crashes the image worker once `afterResults` images have a result and, in the same page task
   * that renders the model as loading again (so surely while the restarted worker reloads it),
   * clicks the batch's Cancel button. `crashReport` then waits for the model to be back.
   */
  async crashImageWorkerAndCancelWhileReloading(afterResults: number): Promise<void> {
    await this.page.evaluate(
      (k) =>
        new Promise<void>((resolve, reject) => {
          // The status line is drawn anew when the model panel unfolds: watch the whole page, not one element.
          const observer = new MutationObserver(() => {
            const status = document.querySelector('[data-testid="model-status"]');
            if (status?.getAttribute('data-state') !== 'loading') return;
            observer.disconnect();
            const cancel = document.querySelector<HTMLButtonElement>('[data-testid="cancel-button"]');
            if (!cancel) reject(new Error('no cancel button while the model reloads'));
            else {
              cancel.click();
              resolve();
            }
          });
          observer.observe(document.body, { attributes: true, attributeFilter: ['data-state'], childList: true, subtree: true });
          const zsp = (window as unknown as { zspDebug?: FaultApi }).zspDebug;
          if (!zsp) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
          window.__zspCrash = zsp.crashWorker('image', k);
        }),
      afterResults,
    );
  }

  async crashReport(): Promise<CrashReport> {
    return this.page.evaluate(() => {
      if (!window.__zspCrash) throw new Error('no crash started');
      return window.__zspCrash;
    });
  }

  /** Destroys the task's WebGPU device as soon as `afterResults` items have a result (decided in the page). */
  async loseGpuDevice(task: FaultTask, afterResults: number): Promise<void> {
    await this.page.evaluate(([t, k]) => (window as unknown as { zspDebug: FaultApi }).zspDebug.loseGpuDevice(t, k), [task, afterResults] as const);
  }

  /**
   * A request through the image worker's queue that comes back only after every request sent
   * before it has been handled (the worker runs them in order): the pixels of `name`, or its error.
   */
  async imageWorkerBarrier(name: string): Promise<void> {
    await this.page.evaluate(async (n) => {
      await (window as unknown as { zspDebug: FaultApi }).zspDebug
        .preprocessed(n)
        .catch(() => undefined);
    }, name);
  }

  /** Image items with a top label (ranked), of all the items (drawn or not). */
  async rankedImages(): Promise<{ ranked: number; total: number }> {
    return this.page.evaluate(() => {
      const items = (window as unknown as { zspDebug: FaultApi }).zspDebug.imageItems();
      return { ranked: items.filter((item) => item.top !== null).length, total: items.length };
    });
  }

  async waitForAllImagesRanked(count: number, timeout: number): Promise<void> {
    await expect.poll(() => this.rankedImages(), { timeout, message: 'every image ranked' }).toEqual({ ranked: count, total: count });
  }

  async imageCounters(): Promise<ImageCounters> {
    const read = async (attr: string) => {
      const value = await this.workerStats.getAttribute(attr);
      if (value === null || !Number.isFinite(Number(value))) throw new Error(`worker-stats ${attr} is not a number: ${String(value)}`);
      return Number(value);
    };
    return {
      imagesEmbedded: await read('data-images-embedded'),
      imagesFromStorage: await read('data-images-from-storage'),
      visionRuns: await read('data-vision-runs'),
      textRuns: await read('data-text-runs'),
    };
  }

  /** From now on, the text of every role="alert" element that appears (even for a moment) is noted in the page. */
  async recordAlerts(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __alertsSeen: string[] }).__alertsSeen = seen;
      new MutationObserver((records) => {
        for (const record of records)
          for (const node of record.addedNodes) {
            if (!(node instanceof Element)) continue;
            const alerts = [...(node.matches('[role="alert"]') ? [node] : []), ...node.querySelectorAll('[role="alert"]')];
            for (const alert of alerts) seen.push(alert.textContent ?? '');
          }
      }).observe(document.body, { subtree: true, childList: true });
    });
  }

  async alertsSeen(): Promise<string[]> {
    return this.page.evaluate(() => [...(window as unknown as { __alertsSeen: string[] }).__alertsSeen]);
  }
}
