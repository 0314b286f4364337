/**
 * Page object for the audio view (`?task=audio`): the same model, label and item contract as for
 * images, plus audio inputs, the recorder, transcripts, calibration and the audio worker's counters.
 */
import { expect, type Locator, type Page } from '@playwright/test';
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
