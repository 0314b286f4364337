/**
 * Page object for the workspace's export and import panel, the share panel, and the review
 * debug hook (?debug=1) the tests use to set decisions.
 */
import { readFile } from 'node:fs/promises';
import { expect, type Locator, type Page } from '@playwright/test';
import { openSection } from './sections';

export type ExportButton = 'export-csv' | 'export-jsonl' | 'export-labelstudio' | 'export-labelstudio-config' | 'export-imagefolder' | 'export-project';

export type DebugReviewAction = { kind: 'accept' } | { kind: 'pick'; label: string } | { kind: 'reject' } | { kind: 'clear' };

export interface Downloaded {
  fileName: string;
  bytes: Buffer;
}

/** What the fake `showSaveFilePicker` (see `saveThroughPicker`) records in the page. */
interface PickerRecord {
  suggestedName: string | undefined;
  chunks: Uint8Array[];
  state: 'open' | 'closed' | 'aborted';
}

export class WorkspacePage {
  readonly includeMedia: Locator;
  readonly importProjectInput: Locator;
  readonly importTruthInput: Locator;
  readonly message: Locator;
  readonly shareButton: Locator;
  readonly shareIncludeExamples: Locator;
  readonly shareLink: Locator;
  readonly shareLinkLength: Locator;
  /** "Open in live mode"; its data-source names the task's source (camera, microphone). */
  readonly shareLive: Locator;
  /** The short query link (settings only) made beside the demo link. */
  readonly shareQueryLink: Locator;
  readonly shareError: Locator;
  readonly removeAllButton: Locator;

  constructor(readonly page: Page) {
    this.includeMedia = page.getByTestId('export-include-media');
    this.importProjectInput = page.getByTestId('import-project');
    this.importTruthInput = page.getByTestId('import-truth-csv');
    this.message = page.getByTestId('export-message');
    this.shareButton = page.getByTestId('share-button');
    this.shareIncludeExamples = page.getByTestId('share-include-examples');
    this.shareLink = page.getByTestId('share-link');
    this.shareLinkLength = page.getByTestId('share-link-length');
    this.shareLive = page.getByTestId('share-live');
    this.shareQueryLink = page.getByTestId('share-query-link');
    this.shareError = page.getByTestId('share-error');
    this.removeAllButton = page.getByRole('button', { name: /^Remove all/ });
  }

  /** Opens the folded export and import panel. */
  async openExportPanel(): Promise<void> {
    await openSection(this.page, 'export-section');
  }

  /** Clicks an export button and returns the file it downloads. */
  async download(button: ExportButton): Promise<Downloaded> {
    await this.openExportPanel();
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId(button).click()]);
    const path = await download.path();
    return { fileName: download.suggestedFilename(), bytes: await readFile(path) };
  }

  /**
   * Headless Chromium has `showSaveFilePicker` but nobody can answer its dialog, so the suite
   * takes it away (`useDownloadsForSaving`, before the page loads): the app's exports then take
   * the Blob-and-download path, caught by `download`.
   */
  async useDownloadsForSaving(): Promise<void> {
    await this.page.addInitScript(() => {
      Reflect.deleteProperty(window, 'showSaveFilePicker');
    });
  }

  /**
   * The app's streaming path: installs a stand-in `showSaveFilePicker` whose file handle's
   * `createWritable()` is a WritableStream the page keeps, clicks the button, waits for the app
   * to close the stream, and returns what was written. The stand-in is removed afterwards.
   */
  async saveThroughPicker(button: ExportButton): Promise<Downloaded> {
    await this.openExportPanel();
    await this.page.evaluate(() => {
      const record: PickerRecord = { suggestedName: undefined, chunks: [], state: 'open' };
      Reflect.set(window, '__zspPicker', record);
      Reflect.set(window, 'showSaveFilePicker', async (options?: { suggestedName?: string }) => {
        record.suggestedName = options?.suggestedName;
        return {
          kind: 'file',
          name: options?.suggestedName ?? 'unnamed',
          createWritable: async () =>
            new WritableStream<Uint8Array>({
              write(chunk) {
                record.chunks.push(chunk.slice());
              },
              close() {
                record.state = 'closed';
              },
              abort() {
                record.state = 'aborted';
              },
            }),
        };
      });
    });
    await this.page.getByTestId(button).click();
    await this.page.waitForFunction(() => (Reflect.get(window, '__zspPicker') as PickerRecord).state !== 'open');
    const saved = await this.page.evaluate(() => {
      const record = Reflect.get(window, '__zspPicker') as PickerRecord;
      Reflect.deleteProperty(window, 'showSaveFilePicker');
      Reflect.deleteProperty(window, '__zspPicker');
      const bytes = new Uint8Array(record.chunks.reduce((sum, chunk) => sum + chunk.length, 0));
      let offset = 0;
      for (const chunk of record.chunks) {
        bytes.set(chunk, offset);
        offset += chunk.length;
      }
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return { state: record.state, chunkCount: record.chunks.length, suggestedName: record.suggestedName ?? '', base64: btoa(binary) };
    });
    expect(saved.state, 'the app closes the file it streamed into').toBe('closed');
    expect(saved.chunkCount, 'the archive arrives as a stream of chunks').toBeGreaterThan(1);
    return { fileName: saved.suggestedName, bytes: Buffer.from(saved.base64, 'base64') };
  }

  async downloadText(button: ExportButton): Promise<string> {
    return (await this.download(button)).bytes.toString('utf8');
  }

  async importProject(file: Downloaded): Promise<void> {
    await this.importProjectInput.setInputFiles({ name: file.fileName, mimeType: 'application/zip', buffer: file.bytes });
  }

  async importTruthCsv(text: string): Promise<void> {
    await this.importTruthInput.setInputFiles({ name: 'truth.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
  }

  /** Sets a review decision through the store action (window.zspDebug.review, needs ?debug=1). */
  async review(names: readonly string[], action: DebugReviewAction): Promise<number> {
    return this.page.evaluate(
      ({ itemNames, reviewAction }) => {
        const api = (window as unknown as { zspDebug?: { review(n: string[], a: unknown): number } }).zspDebug;
        if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
        return api.review(itemNames, reviewAction);
      },
      { itemNames: [...names], reviewAction: action },
    );
  }

  /** Makes a share link and returns its text. */
  async makeShareLink(options: { examples: boolean; live?: boolean }): Promise<string> {
    await this.shareIncludeExamples.setChecked(options.examples);
    await this.shareLive.setChecked(options.live ?? false);
    const panel = this.page.getByTestId('share-panel');
    const before = Number(await panel.getAttribute('data-links-made'));
    await this.shareButton.click();
    await expect(panel).toHaveAttribute('data-links-made', String(before + 1));
    await expect(this.shareLink).toHaveText(/#demo=/);
    return (await this.shareLink.textContent()) ?? '';
  }
}
