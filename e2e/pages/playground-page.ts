/**
 * Page object for the Zero-Shot Playground, written against the app's test-id contract
 * (see the data-testid / data-* attributes below). Waits are explicit and state-based; nothing
 * here measures or asserts time.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { expandModelPanel, openSection } from './sections';

export type Backend = 'wasm' | 'webgpu';
export type Dtype = 'fp32' | 'fp16' | 'q8';

export interface OpenOptions {
  task?: 'image' | 'audio';
  model?: string;
  backend?: Backend;
  labels?: readonly string[];
  template?: string;
  /** Mirror host, e.g. `http://127.0.0.1:1234/` (must end with a slash). */
  hub?: string;
  calibration?: 'none' | 'zero-input' | 'prior';
  debug?: boolean;
  /** false: `?virtualize=0`, every item in the DOM (the scale benchmark's baseline). */
  virtualize?: boolean;
  /** `?stallTimeoutMs=`: the worker's stall timeout for model downloads (honoured with `debug` only). */
  stallTimeoutMs?: number;
}

export interface Prediction {
  label: string;
  score: number;
}

export interface WorkerStats {
  imagesEmbedded: number;
  visionRuns: number;
  textsEmbedded: number;
}

export interface FileProgress {
  file: string;
  loaded: number;
  total: number;
}

export interface FilePayload {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

/** Model loading (WASM compile + session creation, or a SwiftShader WebGPU pipeline build) can take a while on 2 busy cores. */
export const MODEL_READY_TIMEOUT_MS = 120_000;
/** Embedding a batch on CPU-emulated hardware. */
export const BATCH_TIMEOUT_MS = 180_000;

export class PlaygroundPage {
  readonly modelStatus: Locator;
  readonly modelError: Locator;
  readonly useBuiltinButton: Locator;
  readonly retryHubButton: Locator;
  readonly cancelModelLoadButton: Locator;
  readonly modelNotice: Locator;
  readonly downloadPlan: Locator;
  readonly imageInput: Locator;
  readonly labelsInput: Locator;
  readonly templateInput: Locator;
  readonly labelsHint: Locator;
  readonly items: Locator;
  readonly fileProgress: Locator;
  readonly workerStatsEl: Locator;
  readonly cancelButton: Locator;
  readonly batchProgress: Locator;
  readonly cachePanel: Locator;
  readonly cacheList: Locator;
  readonly clearCacheButton: Locator;
  /** Uncaught page errors seen since the page object was created. */
  readonly pageErrors: Error[] = [];

  constructor(readonly page: Page) {
    this.modelStatus = page.getByTestId('model-status');
    this.modelError = page.getByTestId('model-error');
    this.useBuiltinButton = page.getByTestId('use-builtin-button');
    this.retryHubButton = page.getByTestId('retry-hub-button');
    this.cancelModelLoadButton = page.getByTestId('cancel-model-load');
    this.modelNotice = page.getByTestId('model-notice');
    this.downloadPlan = page.getByTestId('download-plan');
    this.imageInput = page.getByTestId('image-input');
    this.labelsInput = page.getByTestId('labels-input');
    this.templateInput = page.getByTestId('template-input');
    this.labelsHint = page.getByTestId('labels-hint');
    this.items = page.getByTestId('item');
    this.fileProgress = page.getByTestId('file-progress');
    this.workerStatsEl = page.getByTestId('worker-stats');
    this.cancelButton = page.getByTestId('cancel-button');
    this.batchProgress = page.getByTestId('batch-progress');
    this.cachePanel = page.getByTestId('cache-panel');
    this.cacheList = page.getByTestId('cache-list');
    this.clearCacheButton = page.getByTestId('clear-cache');
    page.on('pageerror', (error) => this.pageErrors.push(error));
  }

  static query(options: OpenOptions): string {
    const params = new URLSearchParams();
    if (options.task !== undefined) params.set('task', options.task);
    if (options.calibration !== undefined) params.set('calibration', options.calibration);
    if (options.model !== undefined) params.set('model', options.model);
    if (options.backend !== undefined) params.set('backend', options.backend);
    if (options.labels !== undefined) params.set('labels', options.labels.join(','));
    if (options.template !== undefined) params.set('template', options.template);
    if (options.hub !== undefined) params.set('hub', options.hub);
    if (options.debug) params.set('debug', '1');
    if (options.virtualize === false) params.set('virtualize', '0');
    if (options.stallTimeoutMs !== undefined) params.set('stallTimeoutMs', String(options.stallTimeoutMs));
    const text = params.toString();
    return text ? `/?${text}` : '/';
  }

  async open(options: OpenOptions = {}): Promise<void> {
    await this.page.goto(PlaygroundPage.query(options));
  }

  // ---- model -------------------------------------------------------------------------------

  async expectModelReady(options: { backend?: Backend; model?: string; dtype?: Dtype; timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? MODEL_READY_TIMEOUT_MS;
    // Fail fast with the app's own message rather than waiting out the timeout on an error.
    await expect(this.modelStatus).toHaveAttribute('data-state', /^(ready|error)$/, { timeout });
    const state = await this.modelStatus.getAttribute('data-state');
    if (state === 'error') {
      const message = (await this.modelError.count()) > 0 ? await this.modelError.innerText() : '(no model-error element)';
      throw new Error(`model failed to load: ${message}`);
    }
    await expect(this.modelStatus).toHaveAttribute('data-state', 'ready');
    if (options.backend) await expect(this.modelStatus).toHaveAttribute('data-backend', options.backend);
    if (options.model) await expect(this.modelStatus).toHaveAttribute('data-model', options.model);
    if (options.dtype) await expect(this.modelStatus).toHaveAttribute('data-dtype', options.dtype);
  }

  /** The weights the ready model runs on (fp32 / fp16 / q8). */
  async loadedDtype(): Promise<Dtype> {
    await expect(this.modelStatus).toHaveAttribute('data-state', 'ready');
    const dtype = await this.modelStatus.getAttribute('data-dtype');
    if (dtype !== 'fp32' && dtype !== 'fp16' && dtype !== 'q8') throw new Error(`model status has no dtype (${String(dtype)})`);
    return dtype;
  }

  /** Picks the weights in "Runtime and model source" (the model reloads when it changes). */
  async setDtypePreference(dtype: 'auto' | Dtype): Promise<void> {
    await this.expandModelPanel();
    const runtime = this.page.locator('details', { has: this.page.getByTestId('dtype-select') });
    if (!(await runtime.evaluate((el) => (el as HTMLDetailsElement).open))) await runtime.locator('summary').click();
    await this.page.getByTestId('dtype-select').selectOption(dtype);
  }

  async expectModelError(timeout = MODEL_READY_TIMEOUT_MS): Promise<void> {
    await expect(this.modelStatus).toHaveAttribute('data-state', 'error', { timeout });
    await expect(this.modelError).toBeVisible();
  }

  /** Waits for a load failure of this kind (the model-error's `data-kind`: not-found, no-access, stalled, …). */
  async expectModelErrorKind(kind: string, timeout = MODEL_READY_TIMEOUT_MS): Promise<void> {
    await this.expectModelError(timeout);
    await expect(this.modelError).toHaveAttribute('data-kind', kind);
  }

  /**
   * Picks a Hub model by id in the model panel ("Other Hub model…"), waits for the download plan to
   * have an answer (a size, or "size unknown"), and confirms the download.
   */
  async downloadHubModel(modelId: string): Promise<void> {
    await this.expandModelPanel();
    await this.page.getByTestId('model-select').selectOption('__custom__');
    await this.page.getByTestId('custom-model-input').fill(modelId);
    await expect(this.downloadPlan).not.toContainText('Checking');
    await this.page.getByTestId('download-model-button').click();
  }

  async fileProgresses(): Promise<FileProgress[]> {
    return this.fileProgress.evaluateAll((els) =>
      els.map((el) => ({
        file: el.getAttribute('data-file') ?? '',
        loaded: Number(el.getAttribute('data-loaded')),
        total: Number(el.getAttribute('data-total')),
      })),
    );
  }

  // ---- inputs ------------------------------------------------------------------------------

  /** Unfolds the model panel (it folds to one line once the model is ready) before its controls are used. */
  async expandModelPanel(): Promise<void> {
    await expandModelPanel(this.page);
  }

  /** Opens the folded worker-counters panel (the counters are readable folded too; this is for looking at them). */
  async openWorkerStats(): Promise<void> {
    await openSection(this.page, 'stats-section');
  }

  /** Opens the downloaded-models panel and returns the model ids it lists. */
  async cachedModelIds(): Promise<string[]> {
    await this.expandModelPanel();
    if (!(await this.cachePanel.evaluate((el) => (el as HTMLDetailsElement).open))) await this.cachePanel.locator('summary').click();
    return this.cacheList.locator('li[data-model]').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-model') ?? ''));
  }

  /** Replaces the labels text in one input event (one label per line). */
  async setLabels(labels: readonly string[] | string): Promise<void> {
    await this.labelsInput.fill(typeof labels === 'string' ? labels : labels.join('\n'));
  }

  async setTemplate(template: string): Promise<void> {
    await this.templateInput.fill(template);
  }

  async addImages(files: readonly FilePayload[]): Promise<void> {
    await this.imageInput.setInputFiles(files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })));
  }

  // ---- results -----------------------------------------------------------------------------

  item(name: string): Locator {
    return this.page.locator(`[data-testid="item"][data-name=${cssString(name)}]`);
  }

  async expectItemState(name: string, state: 'done' | 'error' | 'pending' | 'decoding', timeout = BATCH_TIMEOUT_MS): Promise<void> {
    await expect(this.item(name), `item ${name}`).toHaveCount(1);
    await expect(this.item(name), `state of item ${name}`).toHaveAttribute('data-state', state, { timeout });
  }

  /** Waits until every named item left `pending` (done or error). */
  async waitForSettled(names: readonly string[], timeout = BATCH_TIMEOUT_MS): Promise<void> {
    for (const name of names) {
      await expect(this.item(name), `item ${name}`).toHaveCount(1, { timeout: 30_000 });
      await expect(this.item(name), `state of item ${name}`).toHaveAttribute('data-state', /^(done|error)$/, { timeout });
    }
  }

  async itemState(name: string): Promise<string | null> {
    return this.item(name).getAttribute('data-state');
  }

  async predictions(name: string): Promise<Prediction[]> {
    return this.item(name)
      .getByTestId('prediction')
      .evaluateAll((els) =>
        els.map((el) => ({ label: el.getAttribute('data-label') ?? '', score: Number(el.getAttribute('data-score')) })),
      );
  }

  /** Sets the labels, drops one image, waits until it is ranked against exactly those labels, returns its top label. */
  async rankOne(image: FilePayload, labels: readonly string[]): Promise<string | undefined> {
    await this.setLabels(labels);
    await this.addImages([image]);
    await this.expectItemState(image.name, 'done');
    await this.waitForPredictionLabels(image.name, labels);
    return this.topLabel(image.name);
  }

  async topLabel(name: string): Promise<string | undefined> {
    return (await this.predictions(name))[0]?.label;
  }

  /** Waits until the item's predictions are exactly `labels` (any order), i.e. reflect the current label set. */
  async waitForPredictionLabels(name: string, labels: readonly string[], timeout = BATCH_TIMEOUT_MS): Promise<void> {
    const expected = [...labels].sort();
    await expect
      .poll(async () => (await this.predictions(name)).map((p) => p.label).sort(), {
        message: `predictions of ${name} should be for exactly ${JSON.stringify(labels)}`,
        timeout,
      })
      .toEqual(expected);
  }

  async itemError(name: string): Promise<string> {
    return this.item(name).getByTestId('item-error').innerText();
  }

  async workerStats(): Promise<WorkerStats> {
    const el = this.workerStatsEl;
    const read = async (attr: string): Promise<number> => {
      const value = await el.getAttribute(attr);
      if (value === null || value.trim() === '' || !Number.isFinite(Number(value))) {
        throw new Error(`worker-stats ${attr} is not a number: ${String(value)}`);
      }
      return Number(value);
    };
    return {
      imagesEmbedded: await read('data-images-embedded'),
      visionRuns: await read('data-vision-runs'),
      textsEmbedded: await read('data-texts-embedded'),
    };
  }

  // ---- debug API (?debug=1) ----------------------------------------------------------------

  async debugPreprocessed(name: string): Promise<{ dims: number[]; data: number[] }> {
    return this.page.evaluate(async (itemName) => {
      const api = (window as unknown as { zspDebug?: { preprocessed(n: string): Promise<{ dims: number[]; data: ArrayLike<number> }> } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      const result = await api.preprocessed(itemName);
      return { dims: Array.from(result.dims), data: Array.from(result.data) };
    }, name);
  }

  async debugPrompts(): Promise<string[]> {
    return this.page.evaluate(() => {
      const api = (window as unknown as { zspDebug?: { prompts(): string[] } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      return Array.from(api.prompts());
    });
  }
}

/** A CSS string literal for attribute selectors. */
function cssString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\a ')}"`;
}
