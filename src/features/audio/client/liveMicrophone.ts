import type { StoreApi } from 'zustand';
import { LatestWinsScheduler } from '../../../lib/liveScheduler';
import { LiveMeters, MAX_SMOOTHING_STRENGTH, ScoreSmoother, topIndex } from '../../../lib/liveSmoothing';
import { MAX_LIVE_OVERLAP, MAX_LIVE_WINDOW_SECONDS, MIN_LIVE_WINDOW_SECONDS, encodeWav } from '../../../lib/liveAudio';
import { deviceEndedMessage, watchVisibility } from '../../live';
import type { AppState } from '../../../store';
import { LIVE_CAPTURE_SECONDS, parseCaptureEvent, type CaptureEvent } from '../shared/liveCaptureProtocol';
import { currentAudioQuery } from './audioController';
import type { AudioBridge } from './audioBridge';
import type { LiveAudioContext, LiveAudioDevices, LiveCapturePort, LiveStream } from './liveAudioDevices';
import { liveCalibration, liveWindowProbabilities } from './liveWindowScores';

export { LIVE_CAPTURE_SECONDS };
/** Windows the timeline shows (older ones scroll out; nothing of them is kept). */
export const MAX_TIMELINE_WINDOWS = 40;
export const DEFAULT_LIVE_WINDOW_SECONDS = 1.5;
export const DEFAULT_LIVE_OVERLAP = 0.5;

/** Latencies kept for the median shown and the debug API. */
const LATENCIES_KEPT = 120;
/** The windows/s shown is counted over this long: windows come about one a second, so a shorter span would jump between 0, 0.5 and 1. */
const RATE_WINDOW_MS = 5000;

const LIVE_WORDING = { device: 'microphone', retry: 'press Listen', alternative: 'add audio files' } as const;

/** Why a window handed to the model was not scored: no model ready, no labels, or its reply came for an older session/label set. */
export type SkipReason = 'model' | 'labels' | 'stale';

export interface LiveTimelineWindow {
  /** Milliseconds from the start of listening to the window's first sample. */
  startMs: number;
  silent: boolean;
  /** The window's own top label and probability (not smoothed); null when silent. */
  label: string | null;
  score: number | null;
  /** The window's probability for each label (in the labels' order); null when silent. */
  probabilities: readonly number[] | null;
  transcript: string | null;
  levelDbfs: number;
}

export interface LiveSettings {
  windowSeconds: number;
  overlap: number;
  /** EMA strength over windows, 0 (off, the default for audio) … MAX_SMOOTHING_STRENGTH. */
  smoothing: number;
  /** Whisper: a greedy transcript of each window too. */
  transcribe: boolean;
}

export interface LiveMicrophoneView {
  state: 'idle' | 'starting' | 'live' | 'paused';
  /** What went wrong (denied, no microphone, unplugged, a scoring failure); null when all is well. */
  error: string | null;
  settings: LiveSettings;
  /** Peak input level 0…1 over the last meter interval. */
  level: number;
  windows: readonly LiveTimelineWindow[];
  /** The smoothed top label over the latest scored windows. */
  top: { label: string; score: number } | null;
  fps: number;
  /** Median and 95th-percentile latency (window complete → scores shown); null before the first. */
  medianMs: number | null;
  p95Ms: number | null;
  /** Calibration in effect for live windows ('prior' is not: it needs a whole batch). */
  calibration: 'none' | 'zero-input';
  captures: number;
  /** The browser's autoplay policy holds the AudioContext until the page gets a click (a link opened live mode). */
  waitingForClick: boolean;
  /** Listening, but windows cannot be scored yet: no model ready, or no labels. */
  waitingFor: 'model' | 'labels' | null;
}

/** What `window.zspDebug.liveMicrophone()` returns while live (see the live-mode contract). */
export interface LiveMicrophoneDebug {
  running: boolean;
  backend: 'wasm' | 'webgpu' | null;
  windowsOffered: number;
  /** Windows whose scores were shown on the timeline (and only those). */
  windowsScored: number;
  windowsSilent: number;
  /** Windows offered and never shown: replaced while waiting (latest wins), cleared, or skipped (below). */
  windowsDropped: number;
  /** The part of windowsDropped that reached the front of the queue and was let go, by reason. */
  windowsSkipped: Record<SkipReason, number>;
  capturedSeconds: number;
  latenciesMs: number[];
}

interface PendingWindow {
  samples: Float32Array;
  sampleRate: number;
  startMs: number;
  /** performance.now() when the window arrived from the worklet. */
  completedAt: number;
  levelDbfs: number;
  generation: number;
}

/** The parts of the audio bridge live mode uses (tests answer them without a worker). */
export type LiveAudioBridge = Pick<AudioBridge, 'scoreLiveWindow' | 'zeroInputScores'>;

export interface LiveMicrophoneCallbacks {
  /** A captured clip, handed to the workspace like a recording. */
  onCapture: (file: File) => void;
}

const NO_SKIPS: Record<SkipReason, number> = { model: 0, labels: 0, stale: 0 };

function waitingFor(state: AppState): LiveMicrophoneView['waitingFor'] {
  if (state.models.audio.status.state !== 'ready') return 'model';
  return currentAudioQuery(state).labels.length === 0 ? 'labels' : null;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Live microphone mode: getUserMedia → the capture AudioWorklet, which cuts the sound into windows
 * of the chosen length and overlap and marks silent ones (off the main thread) → the others sent to
 * the audio worker one at a time (latest wins) → calibrated, head-blended and smoothed here like
 * clips. A plain class; the live panel reads its view through subscribe/getView, so only that panel
 * re-renders per window. Nothing of the sound is kept beyond the worklet's capture ring buffer.
 */
export class LiveMicrophone {
  private view: LiveMicrophoneView = {
    state: 'idle',
    error: null,
    settings: { windowSeconds: DEFAULT_LIVE_WINDOW_SECONDS, overlap: DEFAULT_LIVE_OVERLAP, smoothing: 0, transcribe: true },
    level: 0,
    windows: [],
    top: null,
    fps: 0,
    medianMs: null,
    p95Ms: null,
    calibration: 'none',
    captures: 0,
    waitingForClick: false,
    waitingFor: null,
  };
  private readonly listeners = new Set<() => void>();
  private stream: LiveStream | null = null;
  private context: LiveAudioContext | null = null;
  private port: LiveCapturePort | null = null;
  /** Increments per start and per stop: a start() that finds it changed after an await was stopped meanwhile. */
  private session = 0;
  /** Increments per slicer (start, settings change, resume) and per stop: windows and replies of an older one are dropped. */
  private generation = 0;
  private startedAt = 0;
  /** Listening time before the current slicer began (pauses and setting changes start a new slicer). */
  private slicerOffsetMs = 0;
  private samplesSeen = 0;
  private windowsSilent = 0;
  private windowsScored = 0;
  private skipped = { ...NO_SKIPS };
  private nextCaptureId = 0;
  private readonly pendingCaptures = new Map<number, (event: Extract<CaptureEvent, { type: 'capture' }> | null) => void>();
  private readonly smoother = new ScoreSmoother();
  private readonly meters = new LiveMeters({ rateWindowMs: RATE_WINDOW_MS, latenciesKept: LATENCIES_KEPT });
  private stopWatching: (() => void) | null = null;
  private stopEndedWatch: (() => void) | null = null;
  /** The zero-input scores of the current prompts only (a label edit replaces them). */
  private zeroInput: { key: string; scores: Float32Array } | null = null;
  private readonly scheduler = new LatestWinsScheduler<PendingWindow>({
    run: (window) => this.scoreWindow(window),
    onError: (error) => {
      if (!this.isRunning) return;
      this.update({ error: `A window could not be scored: ${errorText(error)}` });
    },
  });

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: LiveAudioBridge,
    private readonly callbacks: LiveMicrophoneCallbacks,
    private readonly devices: LiveAudioDevices,
  ) {}

  /** Follows the store: a `?live=microphone` link starts listening once the model is ready; leaving the audio task stops it. */
  connect(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (state.task !== 'audio' && previous.task === 'audio') this.stop();
      this.takeLinkRequest(state);
      if (this.isRunning) {
        const waiting = waitingFor(state);
        if (waiting !== this.view.waitingFor) this.update({ waitingFor: waiting });
      }
    });
    this.takeLinkRequest(this.store.getState());
    return () => {
      unsubscribe();
      this.stop();
    };
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getView = (): LiveMicrophoneView => this.view;

  get isRunning(): boolean {
    return this.view.state === 'live' || this.view.state === 'paused';
  }

  setSettings(patch: Partial<LiveSettings>): void {
    const settings = { ...this.view.settings, ...patch };
    // A half-typed number field (empty: NaN) keeps the previous value.
    for (const key of ['windowSeconds', 'overlap', 'smoothing'] as const) if (!Number.isFinite(settings[key])) settings[key] = this.view.settings[key];
    settings.smoothing = Math.min(MAX_SMOOTHING_STRENGTH, Math.max(0, settings.smoothing));
    settings.windowSeconds = Math.min(MAX_LIVE_WINDOW_SECONDS, Math.max(MIN_LIVE_WINDOW_SECONDS, settings.windowSeconds));
    settings.overlap = Math.min(MAX_LIVE_OVERLAP, Math.max(0, settings.overlap));
    const geometryChanged = settings.windowSeconds !== this.view.settings.windowSeconds || settings.overlap !== this.view.settings.overlap;
    this.update({ settings });
    // New windows from now on: the half-filled one of the old length is dropped.
    if (geometryChanged && this.view.state === 'live') this.newSlicer();
  }

  async start(): Promise<void> {
    if (this.view.state !== 'idle') return;
    const session = ++this.session;
    this.update({ state: 'starting', error: null });
    if (!this.devices.supported()) {
      this.update({ state: 'idle', error: 'This browser offers no live microphone access here (it needs https or localhost, and AudioWorklet).' });
      return;
    }
    // Made before the permission prompt, while the click still counts as a user gesture (autoplay policy).
    const context = this.devices.createContext();
    this.context = context;
    let stream: LiveStream;
    try {
      stream = await this.devices.openMicrophone(LIVE_WORDING);
    } catch (error) {
      if (session !== this.session) return;
      this.context = null;
      void context.close();
      this.update({ state: 'idle', error: errorText(error) });
      return;
    }
    if (session !== this.session) {
      // Stopped while the prompt was open (stop() closed the context): this microphone goes straight off.
      stream.stop();
      return;
    }
    this.stream = stream;
    let port: LiveCapturePort;
    try {
      port = await this.devices.attach(context, stream);
    } catch (error) {
      if (session !== this.session) return;
      this.stop();
      this.update({ error: `The microphone could not be read: ${errorText(error)}` });
      return;
    }
    // Stopped while the worklet loaded: stop() released the stream and the context; the port goes too.
    if (session !== this.session) return port.close();
    this.port = port;
    port.listen((data) => this.onCaptureEvent(data));
    // Not awaited: without a user gesture (a `?live=microphone` link) the browser keeps the context
    // suspended until the page is clicked, and the promise waits that long. The view says so instead.
    context.onstatechange = () => this.update({ waitingForClick: this.view.state === 'live' && context.state === 'suspended' });
    void context.resume().catch(() => undefined);
    this.stopEndedWatch = stream.onEnded(() => this.onDeviceLost());
    this.scheduler.resetCounts();
    this.smoother.reset();
    this.meters.reset();
    this.windowsSilent = 0;
    this.windowsScored = 0;
    this.skipped = { ...NO_SKIPS };
    this.samplesSeen = 0;
    this.startedAt = performance.now();
    this.slicerOffsetMs = 0;
    this.newSlicer();
    this.stopWatching = watchVisibility(
      () => this.pause(),
      () => this.resume(),
    );
    this.update({
      state: 'live',
      windows: [],
      top: null,
      fps: 0,
      medianMs: null,
      p95Ms: null,
      waitingForClick: context.state === 'suspended',
      waitingFor: waitingFor(this.store.getState()),
    });
    this.store.getState().setLiveActive('microphone');
    if (document.hidden) this.pause();
  }

  /** Every track stopped (the browser's microphone indicator goes off), the AudioContext closed. */
  stop(): void {
    this.stopWatching?.();
    this.stopWatching = null;
    this.session++;
    this.generation++;
    this.scheduler.clear();
    if (this.context) this.context.onstatechange = null;
    this.port?.close();
    this.port = null;
    this.stopEndedWatch?.();
    this.stopEndedWatch = null;
    this.stream?.stop();
    this.stream = null;
    void this.context?.close();
    this.context = null;
    for (const resolve of this.pendingCaptures.values()) resolve(null);
    this.pendingCaptures.clear();
    this.zeroInput = null;
    if (this.store.getState().liveActive === 'microphone') this.store.getState().setLiveActive(null);
    this.update({ state: 'idle', level: 0, fps: 0, waitingForClick: false, waitingFor: null });
  }

  /** A click's user gesture lets the browser start the AudioContext it held (see waitingForClick). */
  startSound(): void {
    void this.context?.resume().catch(() => undefined);
  }

  /** The last LIVE_CAPTURE_SECONDS of sound (from the worklet's ring buffer) as a WAV clip in the workspace; false when there is nothing yet. */
  async capture(): Promise<boolean> {
    const port = this.port;
    if (!port || !this.isRunning) return false;
    const requestId = ++this.nextCaptureId;
    const snapshot = await new Promise<Extract<CaptureEvent, { type: 'capture' }> | null>((resolve) => {
      this.pendingCaptures.set(requestId, resolve);
      port.post({ type: 'capture', requestId });
    });
    if (!snapshot || snapshot.samples.length === 0) return false;
    const seconds = snapshot.samples.length / snapshot.sampleRate;
    const captures = this.view.captures + 1;
    const wav = encodeWav(snapshot.samples, snapshot.sampleRate, 'pcm16');
    this.callbacks.onCapture(new File([wav], `Live capture ${captures} (${seconds.toFixed(1)} s).wav`, { type: 'audio/wav' }));
    this.update({ captures });
    return true;
  }

  debugSnapshot(): LiveMicrophoneDebug | null {
    if (!this.isRunning) return null;
    const counts = this.scheduler.snapshot();
    const skipped = this.skipped.model + this.skipped.labels + this.skipped.stale;
    const status = this.store.getState().models.audio.status;
    return {
      running: this.view.state === 'live',
      backend: status.state === 'ready' ? status.info.backend : null,
      windowsOffered: counts.offered,
      windowsScored: this.windowsScored,
      windowsSilent: this.windowsSilent,
      windowsDropped: counts.dropped + skipped,
      windowsSkipped: { ...this.skipped },
      capturedSeconds: this.context ? this.samplesSeen / this.context.sampleRate : 0,
      latenciesMs: this.meters.snapshot(performance.now()).latenciesMs,
    };
  }

  private takeLinkRequest(state: AppState): void {
    if (state.liveRequest !== 'microphone' || state.task !== 'audio' || state.models.audio.status.state !== 'ready') return;
    state.requestLive(null);
    void this.start();
  }

  private pause(): void {
    if (this.view.state !== 'live') return;
    this.scheduler.clear();
    this.update({ state: 'paused', level: 0, waitingForClick: false });
    void this.context?.suspend();
  }

  private resume(): void {
    if (this.view.state !== 'paused') return;
    void this.context?.resume();
    // The paused time is not sound: windows start afresh, timed from the start of listening; nor is it a gap between results.
    this.meters.resetRate();
    this.newSlicer();
    this.update({ state: 'live' });
  }

  private newSlicer(): void {
    if (!this.port) return;
    const generation = ++this.generation;
    this.scheduler.clear();
    this.slicerOffsetMs = performance.now() - this.startedAt;
    const { windowSeconds, overlap } = this.view.settings;
    this.port.post({ type: 'configure', generation, windowSeconds, overlap });
  }

  private onDeviceLost(): void {
    this.stop();
    this.update({ error: deviceEndedMessage(LIVE_WORDING) });
  }

  private onCaptureEvent(data: unknown): void {
    const event = parseCaptureEvent(data);
    if (!event) return;
    switch (event.type) {
      case 'capture':
        this.pendingCaptures.get(event.requestId)?.(event);
        this.pendingCaptures.delete(event.requestId);
        return;
      case 'level':
        this.samplesSeen = event.samplesSeen;
        if (this.view.state === 'live') this.update({ level: event.peak, fps: this.meters.snapshot(performance.now()).fps });
        return;
      case 'silent':
      case 'window': {
        // A window of an older slicer (settings changed, paused) or one that crossed a stop.
        if (event.generation !== this.generation || this.view.state !== 'live' || !this.context) return;
        const startMs = Math.round(this.slicerOffsetMs + event.startMs);
        if (event.type === 'silent') {
          // Silent windows are shown, never sent.
          this.windowsSilent++;
          this.addToTimeline({ startMs, silent: true, label: null, score: null, probabilities: null, transcript: null, levelDbfs: event.levelDbfs });
          return;
        }
        this.scheduler.offer({
          samples: event.samples,
          sampleRate: this.context.sampleRate,
          startMs,
          completedAt: performance.now(),
          levelDbfs: event.levelDbfs,
          generation: event.generation,
        });
        return;
      }
    }
  }

  private skip(reason: SkipReason): void {
    this.skipped[reason]++;
  }

  private async scoreWindow(window: PendingWindow): Promise<void> {
    const state = this.store.getState();
    const status = state.models.audio.status;
    // No model yet (or it is switching): the window is let go; the next ones are scored once it is ready.
    if (status.state !== 'ready') return this.skip('model');
    const query = currentAudioQuery(state);
    if (query.labels.length === 0) return this.skip('labels');
    const calibration: 'none' | 'zero-input' = liveCalibration(state.calibration);
    const zero = calibration === 'zero-input' ? await this.zeroInputFor(query.promptsKey, query.classPrompts, state.aggregation) : null;
    const reply = await this.bridge.scoreLiveWindow({
      samples: window.samples,
      sampleRate: window.sampleRate,
      startMs: window.startMs,
      classPrompts: query.classPrompts,
      aggregation: state.aggregation,
      head: query.head ? { headId: query.head.headId, zeroShotWeight: query.head.zeroShotWeight } : null,
      transcribe: query.family === 'whisper' && this.view.settings.transcribe,
    });
    // Stopped, paused or re-sliced meanwhile, or the labels/model/head changed: these scores are for an old label set.
    if (window.generation !== this.generation || !this.isRunning || currentAudioQuery(this.store.getState()).key !== query.key) return this.skip('stale');
    const { head } = query;
    const probabilities = liveWindowProbabilities(reply.scores, calibration, zero, head ? { probabilities: reply.headProbabilities, zeroShotWeight: head.zeroShotWeight } : null);
    const own = topIndex(probabilities);
    const smoothed = this.smoother.update(query.key, probabilities, this.view.settings.smoothing);
    const best = topIndex(smoothed);
    const bestScore = smoothed[best];
    const now = performance.now();
    this.meters.record(now, window.completedAt);
    const meters = this.meters.snapshot(now);
    this.windowsScored++;
    this.addToTimeline(
      {
        startMs: window.startMs,
        silent: false,
        label: query.labels[own] ?? null,
        score: probabilities[own] ?? null,
        probabilities: Array.from(probabilities),
        transcript: reply.transcript,
        levelDbfs: window.levelDbfs,
      },
      {
        top: bestScore === undefined ? null : { label: query.labels[best] ?? '', score: bestScore },
        medianMs: meters.medianMs,
        p95Ms: meters.p95Ms,
        fps: meters.fps,
        calibration,
        error: null,
      },
    );
  }

  private async zeroInputFor(promptsKey: string, classPrompts: string[][], aggregation: AppState['aggregation']): Promise<Float32Array> {
    if (this.zeroInput?.key === promptsKey) return this.zeroInput.scores;
    const scores = await this.bridge.zeroInputScores(classPrompts, aggregation);
    this.zeroInput = { key: promptsKey, scores };
    return scores;
  }

  private addToTimeline(entry: LiveTimelineWindow, alongside: Partial<LiveMicrophoneView> = {}): void {
    // Silent windows are added when they end, scored ones when their scores come: keep start-time order.
    const windows = [...this.view.windows, entry].sort((a, b) => a.startMs - b.startMs).slice(-MAX_TIMELINE_WINDOWS);
    this.update({ ...alongside, windows });
  }

  private update(patch: Partial<LiveMicrophoneView>): void {
    this.view = { ...this.view, ...patch };
    for (const listener of this.listeners) listener();
  }
}
