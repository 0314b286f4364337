/**
 * What the live camera and live microphone tests need of the browser's media, in one place (both
 * page objects use it): a probe of every stream getUserMedia returns and every AudioContext made,
 * so a test reads the browser's own state of them (track `readyState`, context `state`) rather than
 * the app's; a stand-in for a hidden tab; and the `ended` event a track gets when its device goes.
 *
 * The last two are synthetic. Headless Chromium has no way to hide a page or unplug a fake device:
 * the Page Visibility API is overridden and `visibilitychange` fired, and `ended` is dispatched on
 * the track (its readyState stays 'live' until the app stops it, so reading 'ended' afterwards
 * shows the app did).
 */
import type { BrowserContext, Page } from '@playwright/test';

/** What the browser itself says about the streams and audio contexts the page made. */
export interface MediaProbe {
  trackStates: MediaStreamTrackState[];
  contextStates: AudioContextState[];
}

interface ProbeState {
  streams: MediaStream[];
  contexts: AudioContext[];
}

type ProbeWindow = Window & { __mediaProbe: ProbeState };

/** Before any page script of the context: records every stream and every AudioContext the page makes. */
export async function installMediaProbe(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const probe = { streams: [] as MediaStream[], contexts: [] as AudioContext[] };
    Object.defineProperty(window, '__mediaProbe', { value: probe });
    const getUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await getUserMedia(constraints);
      probe.streams.push(stream);
      return stream;
    };
    const Original = window.AudioContext;
    window.AudioContext = class extends Original {
      constructor(options?: AudioContextOptions) {
        super(options);
        probe.contexts.push(this);
      }
    };
  });
}

/** The readyState of every track handed out (optionally of one kind) and the state of every AudioContext. */
export async function readMediaProbe(page: Page, kind?: 'audio' | 'video'): Promise<MediaProbe> {
  return page.evaluate((trackKind) => {
    const probe = (window as unknown as ProbeWindow).__mediaProbe;
    if (!probe) throw new Error('no media probe in this page (installMediaProbe(context) before the page opens)');
    return {
      trackStates: probe.streams.flatMap((stream) => stream.getTracks().filter((track) => !trackKind || track.kind === trackKind).map((track) => track.readyState)),
      contextStates: probe.contexts.map((context) => context.state),
    };
  }, kind);
}

/**
 * Fires `ended` on the tracks of `kind` of the latest stream (`all`: of every stream), as the
 * browser does when the device is unplugged. Synthetic: see the file's comment.
 */
export async function endTracks(page: Page, kind: 'audio' | 'video', { all = false } = {}): Promise<void> {
  await page.evaluate(
    ({ trackKind, every }) => {
      const streams = (window as unknown as ProbeWindow).__mediaProbe.streams;
      for (const stream of every ? streams : streams.slice(-1))
        for (const track of stream.getTracks()) if (track.kind === trackKind) track.dispatchEvent(new Event('ended'));
    },
    { trackKind: kind, every: all },
  );
}

/** Makes the page report itself hidden (or visible again) and fires `visibilitychange`, as minimising the window does. Synthetic: see the file's comment. */
export async function setHidden(page: Page, hidden: boolean): Promise<void> {
  await page.evaluate((value) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}
