/**
 * Page object for live microphone mode in the audio view: Listen / Stop / Capture, the window
 * settings, the live view (backend, top label, windows per second, latency) and the timeline of
 * windows, plus `window.zspDebug.liveMicrophone()` (?debug=1).
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { endTracks, readMediaProbe, setHidden, type MediaProbe } from '../support/liveMedia';
import { AudioPage } from './audio-page';
import type { LiveMicrophoneDebug } from '../../src/features/audio';

export interface LiveWindowRow {
  startMs: number;
  silent: boolean;
  label: string | null;
  score: number | null;
  transcript: string | null;
}

/** What `zspDebug.liveMicrophone()` returns: the app's own contract type (type only: nothing of the app runs here). */
export type LiveMicrophoneCounters = LiveMicrophoneDebug;

// The probe moved to ../support/liveMedia.ts (shared with the camera's page object); re-exported for the specs.
export { installMediaProbe, type MediaProbe } from '../support/liveMedia';

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

  /** Opens the audio view with `?live=microphone`: live mode starts by itself once the model is ready. */
  async openLive(options: Parameters<AudioPage['open']>[0] = {}): Promise<void> {
    const query = AudioPage.query({ task: 'audio', ...options });
    await this.page.goto(`${query}${query.includes('?') ? '&' : '?'}live=microphone`);
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

  async mediaProbe(): Promise<MediaProbe> {
    return readMediaProbe(this.page);
  }

  /** Fires the `ended` event the browser sends a track when its device goes away (unplugged; synthetic, see liveMedia.ts). */
  async unplugMicrophone(): Promise<void> {
    await endTracks(this.page, 'audio', { all: true });
  }

  /** Makes the page report itself hidden (or visible again), as minimising the window does (synthetic, see liveMedia.ts). */
  async setHidden(hidden: boolean): Promise<void> {
    await setHidden(this.page, hidden);
  }

  /** Waits until `seconds` of sound have been heard and every window offered has been scored or dropped. */
  async waitForHeard(seconds: number, timeout = 60_000): Promise<LiveMicrophoneCounters> {
    await expect
      .poll(
        async () => {
          // A window that failed is never scored: the app's message says why, and the wait ends there.
          if ((await this.error.count()) > 0) return `live-error: ${await this.error.innerText()}`;
          const counters = await this.counters();
          const done = counters !== null && counters.capturedSeconds >= seconds && counters.windowsScored + counters.windowsDropped === counters.windowsOffered;
          // Not done: the counters, so that a timeout shows where it stood.
          return done || JSON.stringify(counters && { ...counters, latenciesMs: counters.latenciesMs.length });
        },
        { timeout, message: `heard ${seconds} s with every window scored or dropped` },
      )
      .toBe(true);
    return (await this.counters())!;
  }
}
