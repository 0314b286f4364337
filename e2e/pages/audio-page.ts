/**
 * Page object for the audio view (`?task=audio`): the same model, label and item contract as for
 * images, plus audio inputs, the recorder, transcripts, calibration and the audio worker's counters.
 */
import { expect, type Browser, type Locator, type Page, type PlaywrightWorkerArgs } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/chromium';
import { BATCH_TIMEOUT_MS, PlaygroundPage, type FilePayload, type OpenOptions } from './playground-page';

export interface AudioStats {
  clipsEncoded: number;
  encoderRuns: number;
  decoderRuns: number;
  labelRows: number;
  transcripts: number;
  /** Rate changes of the prepared clips: the browser decoder's plus the worker's. */
  resamplings: number;
}

export const WHISPER_WORDS = ['yes', 'no', 'up', 'down', 'left', 'right', 'on', 'off', 'stop', 'go'] as const;
export const BUILTIN_WHISPER_ID = 'builtin/whisper-words';

/** What a recording's bytes are, read back from the app (see `AudioPage.recordedClip`). */
export interface RecordedClip {
  /** The item's `data-media-type`: the MIME type MediaRecorder gave the blob. */
  mediaType: string | null;
  bytes: Buffer;
}

/**
 * An init script: every Blob the page turns into a blob: URL stays readable by that URL (the app's
 * CSP lets it fetch no blob: URL, rightly), so `AudioPage.recordedClip` reads the very Blob an item
 * plays and decodes. `URL.createObjectURL` still returns what it did; nothing else changes.
 */
function keepObjectUrlBlobs(): void {
  const kept = new Map<string, Blob>();
  const create = URL.createObjectURL.bind(URL);
  URL.createObjectURL = (object: Blob | MediaSource): string => {
    const url = create(object);
    if (object instanceof Blob) kept.set(url, object);
    return url;
  };
  (window as unknown as { zspE2eBlobs: Map<string, Blob> }).zspE2eBlobs = kept;
}

/**
 * A Chromium of its own (the microphone is chosen by command-line flags, so each such test starts
 * one) with the audio view open on the built-in Whisper, ready on WASM. Its context is guarded like
 * every other (e2e/support/test.ts). The caller closes the browser.
 */
export async function openAudioInOwnBrowser(
  playwright: PlaywrightWorkerArgs['playwright'],
  extraArgs: readonly string[],
  baseURL: string | undefined,
  options: { keepBlobs?: boolean } = {},
): Promise<{ browser: Browser; audio: AudioPage }> {
  const browser = await playwright.chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS, ...extraArgs] });
  try {
    // The suite's own server (playwright.config.ts), whatever port it was given.
    const context = await browser.newContext({ baseURL });
    if (options.keepBlobs) await context.addInitScript(keepObjectUrlBlobs);
    const audio = new AudioPage(await context.newPage());
    await audio.open({ model: BUILTIN_WHISPER_ID, backend: 'wasm' });
    await audio.expectModelReady({ backend: 'wasm' });
    return { browser, audio };
  } catch (error) {
    await browser.close();
    throw error;
  }
}

export class AudioPage extends PlaygroundPage {
  readonly audioInput: Locator;
  readonly recordButton: Locator;
  readonly recorderError: Locator;
  readonly recordingTime: Locator;
  readonly calibrationSelect: Locator;
  readonly calibrationStatus: Locator;
  readonly aggregationSelect: Locator;
  readonly audioStatsEl: Locator;

  constructor(page: Page) {
    super(page);
    this.audioInput = page.getByTestId('audio-input');
    this.recordButton = page.getByTestId('record-button');
    this.recorderError = page.getByTestId('recorder-error');
    this.recordingTime = page.getByTestId('recording-time');
    this.calibrationSelect = page.getByTestId('calibration-select');
    this.calibrationStatus = page.getByTestId('calibration-status');
    this.aggregationSelect = page.getByTestId('aggregation-select');
    this.audioStatsEl = page.getByTestId('audio-stats');
  }

  override async open(options: OpenOptions = {}): Promise<void> {
    await super.open({ task: 'audio', ...options });
  }

  async addAudio(files: readonly FilePayload[]): Promise<void> {
    await this.audioInput.setInputFiles(files.map(({ name, mimeType, buffer }) => ({ name, mimeType, buffer })));
  }

  transcript(name: string): Locator {
    return this.item(name).getByTestId('transcript');
  }

  async classify(files: readonly FilePayload[], labels: readonly string[]): Promise<void> {
    await this.setLabels(labels);
    await this.addAudio(files);
    for (const file of files) {
      await this.expectItemState(file.name, 'done');
      await this.waitForPredictionLabels(file.name, labels);
    }
  }

  /** Records from the (fake) microphone until the recorder shows `seconds`, then stops. */
  async record(seconds: number): Promise<void> {
    await this.recordButton.click();
    await expect(this.recordButton).toHaveAttribute('data-recording', 'true');
    await expect
      .poll(async () => Number.parseFloat((await this.recordingTime.innerText()).split(' ')[0] ?? '0'), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(seconds);
    await this.recordButton.click();
    await expect(this.recordButton).toHaveAttribute('data-recording', 'false');
  }

  /** The name of the n-th recording (`Recording n (x.x s).webm`), once its row is there. */
  async recordingName(n: number): Promise<string> {
    const item = this.page.locator(`[data-testid="item"][data-name^="Recording ${n} ("]`);
    await expect(item).toHaveCount(1);
    return (await item.getAttribute('data-name'))!;
  }

  /** The bytes the item's row plays and decodes (the Blob behind its blob: URL; needs `keepBlobs`) and the MIME type the row states. */
  async recordedClip(name: string): Promise<RecordedClip> {
    const item = this.item(name);
    const mediaType = await item.getAttribute('data-media-type');
    const url = await item.locator('audio').getAttribute('src');
    if (!url?.startsWith('blob:')) throw new Error(`${name} has no blob: URL to read (src=${String(url)})`);
    const bytes = await this.page.evaluate(async (blobUrl) => {
      const blob = (window as unknown as { zspE2eBlobs?: Map<string, Blob> }).zspE2eBlobs?.get(blobUrl);
      if (!blob) throw new Error(`no Blob kept for ${blobUrl} (open the page with keepBlobs)`);
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    }, url);
    return { mediaType, bytes: Buffer.from(bytes) };
  }

  async setCalibration(calibration: 'none' | 'zero-input' | 'prior'): Promise<void> {
    await this.calibrationSelect.selectOption(calibration);
    await expect(this.calibrationStatus).toHaveAttribute('data-applied', calibration, { timeout: BATCH_TIMEOUT_MS });
  }

  async audioStats(): Promise<AudioStats> {
    const read = async (attr: string) => {
      const value = await this.audioStatsEl.getAttribute(attr);
      if (value === null || !Number.isFinite(Number(value))) throw new Error(`audio-stats ${attr} is not a number: ${String(value)}`);
      return Number(value);
    };
    return {
      clipsEncoded: await read('data-clips-encoded'),
      encoderRuns: await read('data-encoder-runs'),
      decoderRuns: await read('data-decoder-runs'),
      labelRows: await read('data-label-rows'),
      transcripts: await read('data-transcripts'),
      resamplings: await read('data-resamplings'),
    };
  }

  // ---- debug API (?debug=1) ----------------------------------------------------------------

  async debugAudio(name: string): Promise<{ features: { dims: number[]; data: number[] }; prompts: string[]; rawScores: number[] }> {
    return this.page.evaluate(async (itemName) => {
      type Api = {
        audioFeatures(n: string): Promise<{ dims: number[]; data: ArrayLike<number> }>;
        audioPrompts(): string[];
        audioRawScores(n: string): number[] | null;
      };
      const api = (window as unknown as { zspDebug?: Api }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      const features = await api.audioFeatures(itemName);
      const rawScores = api.audioRawScores(itemName);
      if (!rawScores) throw new Error(`no raw scores for ${itemName}`);
      return { features: { dims: Array.from(features.dims), data: Array.from(features.data) }, prompts: Array.from(api.audioPrompts()), rawScores };
    }, name);
  }
}
