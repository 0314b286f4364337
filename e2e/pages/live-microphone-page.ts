/**
 * Page object for live microphone mode in the audio view: Listen / Stop / Capture, the window
 * settings, the live view (backend, top label, windows per second, latency) and the timeline of
 * windows, plus `window.zspDebug.liveMicrophone()` (?debug=1).
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { AudioPage } from './audio-page';

export interface LiveWindowRow {
  startMs: number;
  silent: boolean;
  label: string | null;
  score: number | null;
  transcript: string | null;
}

export interface LiveMicrophoneCounters {
  running: boolean;
  backend: 'wasm' | 'webgpu' | null;
  windowsOffered: number;
  windowsScored: number;
  windowsSilent: number;
  windowsDropped: number;
  capturedSeconds: number;
  latenciesMs: number[];
}

export class LiveMicrophonePage extends AudioPage {
  readonly startButton: Locator;
  readonly stopButton: Locator;
  readonly captureButton: Locator;
  readonly view: Locator;
  readonly top: Locator;
  readonly fps: Locator;
  readonly latency: Locator;
  readonly timeline: Locator;
  readonly windows: Locator;
  readonly error: Locator;
  readonly windowSeconds: Locator;
  readonly overlap: Locator;

  constructor(page: Page) {
    super(page);
    this.startButton = page.getByTestId('live-start');
    this.stopButton = page.getByTestId('live-stop');
    this.captureButton = page.getByTestId('live-capture');
    this.view = page.getByTestId('live-view');
    this.top = page.getByTestId('live-top');
    this.fps = page.getByTestId('live-fps');
    this.latency = page.getByTestId('live-latency-ms');
    this.timeline = page.getByTestId('live-timeline');
    this.windows = this.timeline.getByTestId('live-window');
    this.error = page.getByTestId('live-error');
    this.windowSeconds = page.getByTestId('live-window-seconds');
    this.overlap = page.getByTestId('live-overlap');
  }

  async listen(options: { windowSeconds?: number; overlap?: number } = {}): Promise<void> {
    if (options.windowSeconds !== undefined) await this.windowSeconds.fill(String(options.windowSeconds));
    if (options.overlap !== undefined) await this.overlap.selectOption(String(options.overlap));
    await this.startButton.click();
    await expect(this.view).toBeVisible();
  }

  /** The timeline as shown, oldest first. */
  async timelineRows(): Promise<LiveWindowRow[]> {
    return this.windows.evaluateAll((elements) =>
      elements.map((element) => {
        const score = element.getAttribute('data-score');
        return {
          startMs: Number(element.getAttribute('data-start-ms')),
          silent: element.getAttribute('data-silent') === 'true',
          label: element.getAttribute('data-label'),
          score: score === null ? null : Number(score),
          transcript: element.getAttribute('data-transcript'),
        };
      }),
    );
  }

  async counters(): Promise<LiveMicrophoneCounters | null> {
    return this.page.evaluate(() => {
      const api = (window as unknown as { zspDebug?: { liveMicrophone(): LiveMicrophoneCounters | null } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      return api.liveMicrophone();
    });
  }

  /** Waits until `seconds` of sound have been heard and every window offered has been scored or dropped. */
  async waitForHeard(seconds: number, timeout = 60_000): Promise<LiveMicrophoneCounters> {
    await expect
      .poll(
        async () => {
          const counters = await this.counters();
          return counters !== null && counters.capturedSeconds >= seconds && counters.windowsScored + counters.windowsDropped === counters.windowsOffered;
        },
        { timeout },
      )
      .toBe(true);
    return (await this.counters())!;
  }
}
