/**
 * Live camera mode's page object (the image view's "Live" panel), over the live data-testid
 * contract: live-start / live-view (data-state, data-backend) / live-top (data-label, data-score,
 * data-raw-label, data-frames) / live-fps / live-latency-ms / live-capture / live-stop, the debug API
 * `zspDebug.liveCamera()` and `zspDebug.slowModel()`. A recorder in the page notes every result
 * shown (each change of live-top's frame count), so a test can read the order the labels came in.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { PlaygroundPage } from './playground-page';

export interface LiveDebug {
  running: boolean;
  paused: boolean;
  backend: 'wasm' | 'webgpu' | null;
  framesOffered: number;
  framesScored: number;
  framesDropped: number;
  fps: number;
  latenciesMs: number[];
}

export interface ShownTop {
  label: string;
  raw: string;
}

/** The app waits this long at most for the first scored frame (model warm, camera open). */
const FIRST_RESULT_TIMEOUT_MS = 60_000;

/**
 * Runs in the page before the app: keeps every stream getUserMedia hands out (the test then reads
 * its tracks' readyState, the browser's own account of whether the camera is on) and can end a
 * track as an unplugged camera does.
 */
export function keepStreamsScript(): void {
  const kept: MediaStream[] = [];
  (window as unknown as { __liveStreams: MediaStream[] }).__liveStreams = kept;
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    kept.push(stream);
    return stream;
  };
}

export class LiveCameraPage extends PlaygroundPage {
  readonly startButton: Locator;
  readonly stopButton: Locator;
  readonly view: Locator;
  readonly top: Locator;
  readonly fps: Locator;
  readonly latency: Locator;
  readonly captureButton: Locator;
  readonly pauseButton: Locator;
  readonly resumeButton: Locator;
  readonly error: Locator;
  readonly video: Locator;
  readonly smoothing: Locator;

  constructor(page: Page) {
    super(page);
    this.startButton = page.getByTestId('live-start');
    this.stopButton = page.getByTestId('live-stop');
    this.view = page.getByTestId('live-view');
    this.top = page.getByTestId('live-top');
    this.fps = page.getByTestId('live-fps');
    this.latency = page.getByTestId('live-latency-ms');
    this.captureButton = page.getByTestId('live-capture');
    this.pauseButton = page.getByTestId('live-pause');
    this.resumeButton = page.getByTestId('live-resume');
    this.error = page.getByTestId('live-error');
    this.video = page.getByTestId('live-video');
    this.smoothing = page.getByTestId('live-smoothing');
  }

  /** Presses Live and waits for the first ranked frame. */
  async startLive(): Promise<void> {
    await this.startButton.click();
    await expect(this.view).toHaveAttribute('data-state', 'live');
    await expect(this.top).not.toHaveAttribute('data-label', '', { timeout: FIRST_RESULT_TIMEOUT_MS });
  }

  async debug(): Promise<LiveDebug | null> {
    return this.page.evaluate(() => {
      const api = (window as unknown as { zspDebug?: { liveCamera(): LiveDebug | null } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      return api.liveCamera();
    });
  }

  async slowModel(delayMs: number): Promise<void> {
    await this.page.evaluate((ms) => {
      const api = (window as unknown as { zspDebug?: { slowModel(task: 'image', delayMs: number): void } }).zspDebug;
      if (!api) throw new Error('window.zspDebug is missing (is ?debug=1 set?)');
      api.slowModel('image', ms);
    }, delayMs);
  }

  /** From now on, every result shown (live-top's data-frames, the count of frames scored, changing) is noted in the page. */
  async recordTops(): Promise<void> {
    await this.page.evaluate(() => {
      const shown: ShownTop[] = [];
      (window as unknown as { __liveTops: ShownTop[] }).__liveTops = shown;
      new MutationObserver((records) => {
        for (const record of records) {
          const el = record.target as HTMLElement;
          if (el.dataset.testid !== 'live-top' || !el.dataset.label) continue;
          shown.push({ label: el.dataset.label, raw: el.dataset.rawLabel ?? '' });
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-frames'] });
    });
  }

  async recordedTops(): Promise<ShownTop[]> {
    return this.page.evaluate(() => [...(window as unknown as { __liveTops: ShownTop[] }).__liveTops]);
  }

  async videoSeconds(): Promise<number> {
    return this.video.evaluate((video) => (video as HTMLVideoElement).currentTime);
  }

  /** Every track getUserMedia gave out (see keepStreamsScript), with its readyState. */
  async trackStates(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { __liveStreams: MediaStream[] }).__liveStreams.flatMap((s) => s.getTracks().map((t) => t.readyState)));
  }

  /** What an unplugged camera does to the page: its track fires 'ended'. */
  async unplugCamera(): Promise<void> {
    await this.page.evaluate(() => {
      const streams = (window as unknown as { __liveStreams: MediaStream[] }).__liveStreams;
      for (const track of streams.at(-1)?.getVideoTracks() ?? []) track.dispatchEvent(new Event('ended'));
    });
  }

  /** The tab hidden (or shown again): headless Chromium has no real way to hide a page, so the Page Visibility API is stood in for. */
  async setHidden(hidden: boolean): Promise<void> {
    await this.page.evaluate((isHidden) => {
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => isHidden });
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (isHidden ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  }

  async liveFramesCounter(): Promise<number> {
    return Number(await this.workerStatsEl.getAttribute('data-live-frames'));
  }
}

/**
 * The labels the shown results held for at least `minRun` results in a row, in order (adjacent
 * repeats merged): a label that tops a frame or two while the smoothing crosses over is left out.
 */
export function stableSequence(tops: readonly ShownTop[], minRun = 2): string[] {
  const runs: Array<{ label: string; count: number }> = [];
  for (const { label } of tops) {
    const last = runs.at(-1);
    if (last?.label === label) last.count++;
    else runs.push({ label, count: 1 });
  }
  const stable: string[] = [];
  for (const run of runs) if (run.count >= minRun && stable.at(-1) !== run.label) stable.push(run.label);
  return stable;
}
