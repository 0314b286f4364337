/**
 * Live camera mode's page object (the image view's "Live" panel), over the live data-testid
 * contract: live-start / live-view (data-state, data-backend) / live-top (data-label, data-score,
 * data-raw-label, data-frames, data-media-time) / live-fps / live-latency-ms / live-capture / live-stop, the debug API
 * `zspDebug.liveCamera()` and `zspDebug.slowModel()`. A recorder in the page notes every result
 * shown (each change of live-top's frame count) with the video time of its frame, so a test can
 * match each label to what the video showed. The media probe, the hidden tab and the unplugged
 * camera come from ../support/liveMedia.ts (shared with the microphone's page object).
 */
import { expect, type Locator, type Page } from '@playwright/test';
import { endTracks, readMediaProbe, setHidden } from '../support/liveMedia';
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
  /** The smoothed top label. */
  label: string;
  /** The frame's own top label. */
  raw: string;
  /** Where in the video that frame was (s, requestVideoFrameCallback's mediaTime); null if the browser gave none. */
  mediaTime: number | null;
}

/** What startBackpressureProbe gathered. */
export interface BackpressureProbe {
  /** Animation frames sampled. */
  samples: number;
  /** The most frames ever queued (offered, neither scored nor dropped): one in the worker and one waiting at most. */
  maxQueued: number;
  /** Each result's latency, with the video's currentTime when it was seen. */
  latencies: Array<{ at: number; latencyMs: number }>;
  /** At each change of the worker's live-frame counter: it, the page's framesScored and the browser's presented frames. */
  workerCounts: Array<{ workerFrames: number; framesScored: number; presentedFrames: number }>;
  presentedFrames: number;
}

/** The app waits this long at most for the first scored frame (model warm, camera open). */
const FIRST_RESULT_TIMEOUT_MS = 60_000;

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
          const mediaTime = el.dataset.mediaTime;
          shown.push({ label: el.dataset.label, raw: el.dataset.rawLabel ?? '', mediaTime: mediaTime ? Number(mediaTime) : null });
        }
      }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-frames'] });
    });
  }

  async recordedTops(): Promise<ShownTop[]> {
    return this.page.evaluate(() => [...(window as unknown as { __liveTops: ShownTop[] }).__liveTops]);
  }

  /**
   * From now on, sampled in the page (not by polling from the test, which could miss a moment):
   * on every animation frame, how many frames are queued (offered − scored − dropped, the debug
   * counters) and the latency of each new result with the video's time; on every frame the video
   * presents, the browser's own count of presented frames (requestVideoFrameCallback's
   * presentedFrames); on every change of the worker's own live-frame counter (data-live-frames),
   * that counter next to the page's framesScored and the presented count.
   */
  async startBackpressureProbe(): Promise<void> {
    await this.page.evaluate(() => {
      const api = (window as unknown as { zspDebug: { liveCamera(): LiveDebug | null } }).zspDebug;
      const video = document.querySelector<HTMLVideoElement>('[data-testid="live-video"]')!;
      const stats = document.querySelector<HTMLElement>('[data-testid="worker-stats"]')!;
      const probe: BackpressureProbe = { samples: 0, maxQueued: 0, latencies: [], workerCounts: [], presentedFrames: 0 };
      (window as unknown as { __backpressure: BackpressureProbe }).__backpressure = probe;
      let scored = api.liveCamera()?.framesScored ?? 0;
      const onAnimationFrame = () => {
        const now = api.liveCamera();
        if (now) {
          probe.samples++;
          probe.maxQueued = Math.max(probe.maxQueued, now.framesOffered - now.framesScored - now.framesDropped);
          if (now.framesScored > scored) {
            for (const latencyMs of now.latenciesMs.slice(-(now.framesScored - scored))) probe.latencies.push({ at: video.currentTime, latencyMs });
            scored = now.framesScored;
          }
        }
        requestAnimationFrame(onAnimationFrame);
      };
      requestAnimationFrame(onAnimationFrame);
      const onVideoFrame = (_now: number, metadata: VideoFrameCallbackMetadata) => {
        probe.presentedFrames = metadata.presentedFrames;
        video.requestVideoFrameCallback(onVideoFrame);
      };
      video.requestVideoFrameCallback(onVideoFrame);
      new MutationObserver(() =>
        probe.workerCounts.push({ workerFrames: Number(stats.dataset.liveFrames), framesScored: api.liveCamera()?.framesScored ?? 0, presentedFrames: probe.presentedFrames }),
      ).observe(stats, { attributes: true, attributeFilter: ['data-live-frames'] });
    });
  }

  async backpressureProbe(): Promise<BackpressureProbe> {
    return this.page.evaluate(() => structuredClone((window as unknown as { __backpressure: BackpressureProbe }).__backpressure));
  }

  async videoSeconds(): Promise<number> {
    return this.video.evaluate((video) => (video as HTMLVideoElement).currentTime);
  }

  /** Every video track getUserMedia gave out (installMediaProbe on the context), with its readyState: the browser's own account of whether the camera is on. */
  async trackStates(): Promise<string[]> {
    return (await readMediaProbe(this.page, 'video')).trackStates;
  }

  /** What an unplugged camera does to the page: its track fires 'ended' (synthetic, see liveMedia.ts). */
  async unplugCamera(): Promise<void> {
    await endTracks(this.page, 'video');
  }

  /** The tab hidden (or shown again): headless Chromium has no real way to hide a page, so the Page Visibility API is stood in for. */
  async setHidden(hidden: boolean): Promise<void> {
    await setHidden(this.page, hidden);
  }

  /** The CLIP worker's own count of live frames it ran (data-live-frames; the worker posts it at most once a second while live). */
  async liveFramesCounter(): Promise<number> {
    return Number(await this.workerStatsEl.getAttribute('data-live-frames'));
  }
}
