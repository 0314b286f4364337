/**
 * Page object for the views above the items (tabs): the prompt lab (template library, grid search,
 * experiments), few-shot heads, confidence thresholds and the bias probe. Waits are on state
 * (data-busy, data-last-run, data-head-id), never on time.
 */
import { readFile } from 'node:fs/promises';
import { expect, type Locator, type Page } from '@playwright/test';
import { BATCH_TIMEOUT_MS } from './playground-page';
import { openAnalysisTab, type AnalysisTab } from './sections';

export type HeadKind = 'logistic' | 'knn' | 'tip-adapter';

/** The lab's own downloads: the experiments table (prompt lab tab) and the trained head (few-shot tab). */
export type LabExport = 'export-experiments-csv' | 'export-experiments-json' | 'export-head';

export interface ExperimentRow {
  id: string;
  kind: string;
  /** Fraction 0–1. */
  accuracy: number;
  /** Fraction 0–1; null when there was no cross-validated figure. */
  cvAccuracy: number | null;
  /** Items with ground truth it was evaluated on. */
  evaluated: number;
}

export interface AttributePair {
  a: string;
  b: string;
}

/** A lab job (grid search, training, a learning curve) over a folder of items on the CPU. */
export const LAB_JOB_TIMEOUT_MS = BATCH_TIMEOUT_MS;

export class LabPage {
  readonly promptLab: Locator;
  readonly templateLibrary: Locator;
  readonly runGridSearchButton: Locator;
  readonly applyBestButton: Locator;
  readonly experimentRowsEl: Locator;
  readonly fewShot: Locator;
  readonly fewShotAccuracyEl: Locator;
  readonly learningCurve: Locator;
  readonly coverageCurve: Locator;
  readonly acceptAboveThresholdButton: Locator;
  readonly biasProbe: Locator;
  readonly labError: Locator;

  constructor(readonly page: Page) {
    this.promptLab = page.getByTestId('prompt-lab');
    this.templateLibrary = page.getByTestId('template-library');
    this.runGridSearchButton = page.getByTestId('run-grid-search');
    this.applyBestButton = page.getByTestId('apply-best');
    this.experimentRowsEl = page.getByTestId('experiment-row');
    this.fewShot = page.getByTestId('few-shot');
    this.fewShotAccuracyEl = page.getByTestId('few-shot-accuracy');
    this.learningCurve = page.getByTestId('learning-curve');
    this.coverageCurve = page.getByTestId('coverage-curve');
    this.acceptAboveThresholdButton = page.getByTestId('accept-above-threshold');
    this.biasProbe = page.getByTestId('bias-probe');
    this.labError = page.getByTestId('lab-error');
  }

  async openTab(tab: AnalysisTab): Promise<Locator> {
    return openAnalysisTab(this.page, tab);
  }

  /** Fails with the lab's own message when it shows one. */
  private async throwOnLabError(what: string): Promise<void> {
    if ((await this.labError.count()) > 0) throw new Error(`${what} failed: ${await this.labError.innerText()}`);
  }

  /**
   * Picks a template set of the library (its value: 'imagenet80', 'kept7', 'dataset:<name>',
   * 'audio', 'saved'), optionally only some of its templates, runs the grid search and waits
   * until its run is listed.
   */
  async runGridSearch(options: { set?: string; only?: readonly string[] } = {}): Promise<void> {
    await this.openTab('prompt-lab');
    if (options.set !== undefined) await this.templateLibrary.selectOption(options.set);
    if (options.only !== undefined) {
      for (const box of await this.page.getByTestId('library-template').all()) {
        await box.setChecked(options.only.includes((await box.getAttribute('value')) ?? ''));
      }
    }
    const before = await this.promptLab.getAttribute('data-last-run');
    await this.runGridSearchButton.click();
    await expect
      .poll(async () => ((await this.labError.count()) > 0 ? 'error' : (await this.promptLab.getAttribute('data-last-run')) !== before ? 'done' : 'running'), {
        message: 'the grid search finishes',
        timeout: LAB_JOB_TIMEOUT_MS,
      })
      .not.toBe('running');
    await this.throwOnLabError('the grid search');
    await expect(this.promptLab).toHaveAttribute('data-busy', 'false', { timeout: LAB_JOB_TIMEOUT_MS });
  }

  async experimentRows(): Promise<ExperimentRow[]> {
    await this.openTab('prompt-lab');
    return this.experimentRowsEl.evaluateAll((rows) =>
      rows.map((row) => {
        const cv = row.getAttribute('data-cv-accuracy') ?? '';
        return {
          id: row.getAttribute('data-experiment-id') ?? '',
          kind: row.getAttribute('data-kind') ?? '',
          accuracy: Number(row.getAttribute('data-accuracy')),
          cvAccuracy: cv === '' ? null : Number(cv),
          evaluated: Number(row.getAttribute('data-evaluated')),
        };
      }),
    );
  }

  /** Clicks one of the lab's export buttons and returns the downloaded file's name and bytes. */
  async download(button: LabExport): Promise<{ fileName: string; bytes: Buffer }> {
    await this.openTab(button === 'export-head' ? 'few-shot' : 'prompt-lab');
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(button).click()]);
    return { fileName: download.suggestedFilename(), bytes: await readFile(await download.path()) };
  }

  async applyBest(): Promise<void> {
    await this.openTab('prompt-lab');
    await this.applyBestButton.click();
  }

  /** Trains a head of this kind (on ground truth unless told otherwise) and waits until the new head is shown. */
  async trainFewShot(
    kind: HeadKind,
    options: { source?: 'truth' | 'decisions'; initFromZeroShot?: boolean; useForItems?: boolean; examplesPerClass?: number } = {},
  ): Promise<void> {
    await this.openTab('few-shot');
    await this.page.getByTestId('few-shot-kind').selectOption(kind);
    await this.page.getByTestId(options.source === 'decisions' ? 'few-shot-source-decisions' : 'few-shot-source-truth').check();
    if (kind === 'logistic' && options.initFromZeroShot !== undefined) await this.page.getByTestId('few-shot-init-zero-shot').setChecked(options.initFromZeroShot);
    await this.page.getByTestId('few-shot-per-class').fill(options.examplesPerClass === undefined ? '' : String(options.examplesPerClass));
    const before = await this.fewShot.getAttribute('data-head-id');
    await this.page.getByTestId('train-few-shot').click();
    await expect
      .poll(async () => ((await this.labError.count()) > 0 ? 'error' : (await this.fewShot.getAttribute('data-head-id')) !== before ? 'done' : 'running'), {
        message: 'the head is trained',
        timeout: LAB_JOB_TIMEOUT_MS,
      })
      .not.toBe('running');
    await this.throwOnLabError('training');
    await expect(this.fewShot).toHaveAttribute('data-busy', 'false', { timeout: LAB_JOB_TIMEOUT_MS });
    if (options.useForItems !== undefined) await this.page.getByTestId('use-few-shot').setChecked(options.useForItems);
  }

  /** The head's accuracy as shown, in percent (held-out, or cross-validated when nothing was held out: see `fewShotMeasure`). */
  async fewShotAccuracy(): Promise<number> {
    await this.openTab('few-shot');
    const text = await this.fewShotAccuracyEl.innerText();
    const match = /([\d.]+)\s*%/.exec(text);
    if (!match) throw new Error(`few-shot-accuracy text "${text}" has no percentage`);
    return Number(match[1]);
  }

  async fewShotMeasure(): Promise<'held-out' | 'cross-validated'> {
    const measure = await this.fewShotAccuracyEl.getAttribute('data-measure');
    if (measure !== 'held-out' && measure !== 'cross-validated') throw new Error(`few-shot-accuracy data-measure is ${String(measure)}`);
    return measure;
  }

  async computeLearningCurve(): Promise<void> {
    await this.openTab('few-shot');
    await this.page.getByTestId('run-learning-curve').click();
    await expect
      .poll(async () => ((await this.labError.count()) > 0 ? 'error' : (await this.learningCurve.count()) > 0 ? 'done' : 'running'), {
        message: 'the learning curve is computed',
        timeout: LAB_JOB_TIMEOUT_MS,
      })
      .not.toBe('running');
    await this.throwOnLabError('the learning curve');
  }

  /** Sets the target accuracy (percent), returns the proposed threshold, accepts the unreviewed items above it, returns how many it accepted. */
  async acceptAboveThreshold(targetPercent: number): Promise<{ threshold: number; accepted: number }> {
    await this.openTab('thresholds');
    await this.page.getByTestId('target-accuracy').fill(String(targetPercent));
    const proposed = this.page.getByTestId('proposed-threshold');
    await expect(proposed).toBeVisible();
    if ((await proposed.getAttribute('data-threshold')) === null) throw new Error(`no threshold proposed for ${targetPercent}%: ${await proposed.innerText()}`);
    const threshold = Number(await proposed.getAttribute('data-threshold'));
    await this.acceptAboveThresholdButton.click();
    const done = this.page.getByTestId('accepted-above-threshold');
    await expect(done).toBeVisible();
    return { threshold, accepted: Number(await done.getAttribute('data-count')) };
  }

  /** Replaces the attribute pairs (and the template, if given), runs the probe and waits for its report. */
  async runBiasProbe(pairs: readonly AttributePair[], template?: string): Promise<void> {
    await this.openTab('bias');
    if (template !== undefined) await this.page.getByTestId('bias-template').fill(template);
    const remove = this.page.getByTestId('bias-pair-remove');
    while ((await remove.count()) > 0) await remove.first().click();
    for (const [index, pair] of pairs.entries()) {
      await this.page.getByTestId('bias-pair-add').click();
      await this.page.getByTestId('bias-pair-a').nth(index).fill(pair.a);
      await this.page.getByTestId('bias-pair-b').nth(index).fill(pair.b);
    }
    await this.page.getByTestId('run-bias-probe').click();
    const form = this.page.getByTestId('bias-probe-form');
    await expect
      .poll(async () => ((await this.labError.count()) > 0 ? 'error' : (await form.getAttribute('data-busy')) === 'false' && (await this.page.getByTestId('bias-report').count()) > 0 ? 'done' : 'running'), {
        message: 'the bias probe reports',
        timeout: LAB_JOB_TIMEOUT_MS,
      })
      .not.toBe('running');
    await this.throwOnLabError('the bias probe');
  }

  /** The probe's report per pair, as shown. */
  async biasPairs(): Promise<Array<{ a: string; b: string; meanGap: number; gapStd: number; flips: number; items: number }>> {
    return this.page.getByTestId('bias-pair-row').evaluateAll((rows) =>
      rows.map((row) => ({
        a: row.getAttribute('data-a') ?? '',
        b: row.getAttribute('data-b') ?? '',
        meanGap: Number(row.getAttribute('data-mean-gap')),
        gapStd: Number(row.getAttribute('data-gap-std')),
        flips: Number(row.getAttribute('data-flips')),
        items: Number(row.getAttribute('data-items')),
      })),
    );
  }
}
