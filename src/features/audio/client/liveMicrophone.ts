import type { StoreApi } from 'zustand';
import { LatestWinsScheduler } from '../../../lib/liveScheduler';
import { LatencyWindow, MAX_SMOOTHING_STRENGTH, RateMeter, ScoreSmoother, topIndex } from '../../../lib/liveSmoothing';
import {
  MAX_LIVE_OVERLAP,
  MAX_LIVE_WINDOW_SECONDS,
  MIN_LIVE_WINDOW_SECONDS,
  SILENCE_THRESHOLD_DBFS,
  SampleRingBuffer,
  WindowSlicer,
  encodeWav,
  levelDbfs,
  peak,
} from '../../../lib/liveAudio';
import { mediaDeviceErrorMessage } from '../../../lib/mediaDeviceErrors';
import type { AppState } from '../../../store';
import { currentAudioQuery } from './audioController';
import type { AudioBridge } from './audioBridge';
import workletUrl from './liveCapture.worklet.ts?worker&url';
import { liveCalibration, liveWindowProbabilities } from './liveWindowScores';

/** "Capture" keeps this much of the latest sound as a clip. */
export const LIVE_CAPTURE_SECONDS = 5;
/** Windows the timeline shows (older ones scroll out; nothing of them is kept). */
export const MAX_TIMELINE_WINDOWS = 40;
/** Level-meter and rate updates per second: smooth enough to watch, few enough re-renders of the live panel. */
const LEVEL_UPDATES_PER_SECOND = 15;
export const DEFAULT_LIVE_WINDOW_SECONDS = 1.5;
export const DEFAULT_LIVE_OVERLAP = 0.5;

/** Latencies kept for the median shown and the debug API. */
const MAX_DEBUG_LATENCIES = 120;

const LIVE_WORDING = { device: 'microphone', retry: 'press Listen', alternative: 'add audio files' } as const;

export interface LiveTimelineWindow {
  /** Milliseconds from the start of listening to the window's first sample. */
  startMs: number;
  silent: boolean;
  /** The window's own top label and probability (not smoothed); null when silent. */
  label: string | null;
  score: number | null;
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
  latencyMs: number | null;
  backend: 'wasm' | 'webgpu' | null;
  /** Calibration in effect for live windows ('prior' is not: it needs a whole batch). */
  calibration: 'none' | 'zero-input';
  captures: number;
  /** The browser's autoplay policy holds the AudioContext until the page gets a click (a link opened live mode). */
  waitingForClick: boolean;
}

/** What `window.zspDebug.liveMicrophone()` returns while live (see the live-mode contract). */
export interface LiveMicrophoneDebug {
  running: boolean;
  backend: 'wasm' | 'webgpu' | null;
  windowsOffered: number;
  windowsScored: number;
  windowsSilent: number;
  windowsDropped: number;
  capturedSeconds: number;
  latenciesMs: number[];
}

interface PendingWindow {
  samples: Float32Array;
  sampleRate: number;
  startMs: number;
  /** performance.now() when the window's last sample arrived. */
  completedAt: number;
  levelDbfs: number;
  session: number;
}

/** The parts of the audio bridge live mode uses (tests answer them without a worker). */
export type LiveAudioBridge = Pick<AudioBridge, 'scoreLiveWindow' | 'zeroInputScores'>;

export interface LiveMicrophoneCallbacks {
  /** A captured clip, handed to the workspace like a recording. */
  onCapture: (file: File) => void;
}

/**
 * Live microphone mode: getUserMedia → an AudioWorklet that forwards PCM chunks → windows of the
 * chosen length and overlap → silent windows marked and skipped, the others sent to the audio
 * worker one at a time (latest wins) → calibrated, head-blended and smoothed here like clips.
 * A plain class; the live panel reads its view through subscribe/getView, so only that panel
 * re-renders per window. Nothing of the sound is kept beyond the capture ring buffer.
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
    latencyMs: null,
    backend: null,
    calibration: 'none',
    captures: 0,
    waitingForClick: false,
  };
  private readonly listeners = new Set<() => void>();
  private stream: MediaStream | null = null;
  private context: AudioContext | null = null;
  private node: AudioWorkletNode | null = null;
  private slicer: WindowSlicer | null = null;
  private ring: SampleRingBuffer | null = null;
  /** Increments per start and per settings change: replies of an older session are dropped. */
  private session = 0;
  private startedAt = 0;
  /** Listening time before the current slicer began (pauses and setting changes start a new slicer). */
  private slicerOffsetMs = 0;
  private samplesSeen = 0;
  private peakSinceUpdate = 0;
  private meterTimer: ReturnType<typeof setInterval> | null = null;
  private windowsSilent = 0;
  private readonly smoother = new ScoreSmoother();
  private readonly rate = new RateMeter();
  private readonly latencies = new LatencyWindow(MAX_DEBUG_LATENCIES);
  /** The same latest latencies, for the debug API (the LatencyWindow only gives percentiles). */
  private readonly latestLatencies: number[] = [];
  private readonly zeroInput = new Map<string, Float32Array>();
  private readonly scheduler = new LatestWinsScheduler<PendingWindow>({
    run: (window) => this.scoreWindow(window),
    onError: (error) => {
      if (!this.isRunning) return;
      this.update({ error: `A window could not be scored: ${error instanceof Error ? error.message : String(error)}` });
    },
  });
  private readonly onVisibility = () => {
    if (document.hidden) this.pause();
    else this.resume();
  };

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: LiveAudioBridge,
    private readonly callbacks: LiveMicrophoneCallbacks,
  ) {}

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
    this.update({ state: 'starting', error: null });
    if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === 'undefined') {
      this.update({ state: 'idle', error: 'This browser offers no live microphone access here (it needs https or localhost, and AudioWorklet).' });
      return;
    }
    // Made before the permission prompt, while the click still counts as a user gesture (autoplay policy).
    const context = new AudioContext();
    this.context = context;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
      });
    } catch (error) {
      this.context = null;
      void context.close();
      this.update({ state: 'idle', error: mediaDeviceErrorMessage(error, LIVE_WORDING) });
      return;
    }
    if (this.context !== context) {
      // Stopped while the prompt was open.
      for (const track of stream.getTracks()) track.stop();
      return;
    }
    this.stream = stream;
    try {
      await context.audioWorklet.addModule(workletUrl);
      const node = new AudioWorkletNode(context, 'zsp-live-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
      context.createMediaStreamSource(stream).connect(node);
      node.port.onmessage = (event: MessageEvent<Float32Array>) => this.onChunk(event.data);
      this.node = node;
      // Not awaited: without a user gesture (a `?live=microphone` link) the browser keeps the context
      // suspended until the page is clicked, and the promise waits that long. The view says so instead.
      context.onstatechange = () => this.update({ waitingForClick: this.view.state === 'live' && context.state === 'suspended' });
      void context.resume().catch(() => undefined);
    } catch (error) {
      this.stop();
      this.update({ error: `The microphone could not be read: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    for (const track of stream.getAudioTracks()) track.onended = () => this.onDeviceLost();
    this.session++;
    this.scheduler.resetCounts();
    this.smoother.reset();
    this.rate.reset();
    this.latencies.reset();
    this.latestLatencies.length = 0;
    this.windowsSilent = 0;
    this.samplesSeen = 0;
    this.startedAt = performance.now();
    this.slicerOffsetMs = 0;
    this.ring = new SampleRingBuffer(Math.round(LIVE_CAPTURE_SECONDS * context.sampleRate));
    this.newSlicer();
    this.meterTimer = setInterval(() => this.onMeterTick(), 1000 / LEVEL_UPDATES_PER_SECOND);
    document.addEventListener('visibilitychange', this.onVisibility);
    const status = this.store.getState().models.audio.status;
    this.update({
      state: 'live',
      windows: [],
      top: null,
      fps: 0,
      latencyMs: null,
      backend: status.state === 'ready' ? status.info.backend : null,
      waitingForClick: context.state === 'suspended',
    });
    this.store.getState().setLiveActive('microphone');
    if (document.hidden) this.pause();
  }

  /** Every track stopped (the browser's microphone indicator goes off), the AudioContext closed. */
  stop(): void {
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.session++;
    this.scheduler.clear();
    if (this.meterTimer !== null) clearInterval(this.meterTimer);
    this.meterTimer = null;
    if (this.context) this.context.onstatechange = null;
    if (this.node) {
      this.node.port.onmessage = null;
      this.node.disconnect();
    }
    this.node = null;
    for (const track of this.stream?.getTracks() ?? []) {
      track.onended = null;
      track.stop();
    }
    this.stream = null;
    void this.context?.close();
    this.context = null;
    this.slicer = null;
    this.ring?.clear();
    this.ring = null;
    if (this.store.getState().liveActive === 'microphone') this.store.getState().setLiveActive(null);
    this.update({ state: 'idle', level: 0, fps: 0, waitingForClick: false });
  }

  /** A click's user gesture lets the browser start the AudioContext it held (see waitingForClick). */
  startSound(): void {
    void this.context?.resume().catch(() => undefined);
  }

  /** The last LIVE_CAPTURE_SECONDS of sound as a WAV clip in the workspace; false when there is nothing yet. */
  capture(): boolean {
    const ring = this.ring;
    const context = this.context;
    if (!ring || !context || ring.length === 0) return false;
    const samples = ring.snapshot();
    const seconds = samples.length / context.sampleRate;
    const captures = this.view.captures + 1;
    const wav = encodeWav(samples, context.sampleRate, 'pcm16');
    this.callbacks.onCapture(new File([wav], `Live capture ${captures} (${seconds.toFixed(1)} s).wav`, { type: 'audio/wav' }));
    this.update({ captures });
    return true;
  }

  debugSnapshot(): LiveMicrophoneDebug | null {
    if (!this.isRunning) return null;
    const counts = this.scheduler.snapshot();
    return {
      running: this.view.state === 'live',
      backend: this.view.backend,
      windowsOffered: counts.offered,
      windowsScored: counts.completed,
      windowsSilent: this.windowsSilent,
      windowsDropped: counts.dropped,
      capturedSeconds: this.context ? this.samplesSeen / this.context.sampleRate : 0,
      latenciesMs: [...this.latestLatencies],
    };
  }

  private pause(): void {
    if (this.view.state !== 'live') return;
    this.scheduler.clear();
    this.update({ state: 'paused', waitingForClick: false });
    void this.context?.suspend();
  }

  private resume(): void {
    if (this.view.state !== 'paused') return;
    void this.context?.resume();
    // The paused time is not sound: windows start afresh, timed from the start of listening.
    this.newSlicer();
    this.update({ state: 'live' });
  }

  private newSlicer(): void {
    if (!this.context) return;
    this.session++;
    this.scheduler.clear();
    this.slicerOffsetMs = performance.now() - this.startedAt;
    const { windowSeconds, overlap } = this.view.settings;
    this.slicer = new WindowSlicer({ sampleRate: this.context.sampleRate, windowSeconds, overlap });
  }

  private onDeviceLost(): void {
    this.stop();
    this.update({ error: 'The microphone was disconnected. Plug it back in and press Listen again; the clips in the workspace are unaffected.' });
  }

  private onChunk(chunk: Float32Array): void {
    if (this.view.state !== 'live' || !this.slicer || !this.context) return;
    this.samplesSeen += chunk.length;
    this.ring?.push(chunk);
    this.peakSinceUpdate = Math.max(this.peakSinceUpdate, peak(chunk));
    const now = performance.now();
    for (const window of this.slicer.push(chunk)) {
      const startMs = Math.round(this.slicerOffsetMs + window.startMs);
      const level = levelDbfs(window.samples);
      if (level < SILENCE_THRESHOLD_DBFS) {
        // Silent windows are shown, never sent.
        this.windowsSilent++;
        this.addToTimeline({ startMs, silent: true, label: null, score: null, transcript: null, levelDbfs: level });
        continue;
      }
      this.scheduler.offer({ samples: window.samples, sampleRate: this.context.sampleRate, startMs, completedAt: now, levelDbfs: level, session: this.session });
    }
  }

  private onMeterTick(): void {
    const level = this.peakSinceUpdate;
    this.peakSinceUpdate = 0;
    this.update({ level, fps: this.rate.rate(performance.now()) });
  }

  private async scoreWindow(window: PendingWindow): Promise<void> {
    const state = this.store.getState();
    const status = state.models.audio.status;
    // No model yet (or it is switching): the window is let go; the next ones are scored once it is ready.
    if (status.state !== 'ready') return;
    const query = currentAudioQuery(state);
    if (query.labels.length === 0) return;
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
    if (window.session !== this.session || !this.isRunning) return;
    const { head } = query;
    const probabilities = liveWindowProbabilities(reply.scores, calibration, zero, head ? { probabilities: reply.headProbabilities, zeroShotWeight: head.zeroShotWeight } : null);
    const own = topIndex(probabilities);
    const smoothed = this.smoother.update(query.key, probabilities, this.view.settings.smoothing);
    const best = topIndex(smoothed);
    const now = performance.now();
    this.rate.add(now);
    this.latencies.add(now - window.completedAt);
    this.latestLatencies.push(now - window.completedAt);
    if (this.latestLatencies.length > MAX_DEBUG_LATENCIES) this.latestLatencies.shift();
    this.addToTimeline(
      {
        startMs: window.startMs,
        silent: false,
        label: query.labels[own] ?? null,
        score: own >= 0 ? (probabilities[own] as number) : null,
        transcript: reply.transcript,
        levelDbfs: window.levelDbfs,
      },
      {
        top: best >= 0 ? { label: query.labels[best] ?? '', score: smoothed[best] as number } : null,
        latencyMs: this.latencies.median(),
        fps: this.rate.rate(now),
        backend: status.info.backend,
        calibration,
        error: null,
      },
    );
  }

  private async zeroInputFor(promptsKey: string, classPrompts: string[][], aggregation: AppState['aggregation']): Promise<Float32Array> {
    const known = this.zeroInput.get(promptsKey);
    if (known) return known;
    const scores = await this.bridge.zeroInputScores(classPrompts, aggregation);
    this.zeroInput.set(promptsKey, scores);
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
