import type { StoreApi } from 'zustand';
import { deviceEndedMessage, type MediaDeviceWording } from '../../../lib/mediaDeviceErrors';
import { LatestWinsScheduler } from '../../../lib/liveScheduler';
import { LiveMeters, MAX_SMOOTHING_STRENGTH, ScoreSmoother, topIndex } from '../../../lib/liveSmoothing';
import type { Backend } from '../../../lib/workerReports';
import type { AppState } from '../../../store';
import { onTracksEnded, watchVisibility } from '../../live';
import { SupersededError, StoppedError, WorkerCrashedError } from '../../models';
import { listCameras, type CameraChoice } from './cameraChoices';
import { currentQuery, type CurrentQuery } from './classificationController';
import type { ClipBridge } from './clipBridge';
import { newImageItem } from './prepareImages';
import { captureFrame, openCamera, stopCamera } from './webcam';

/** Camera smoothing by default: at ~10 frames/s the top label settles in two or three frames and no longer flickers. */
export const DEFAULT_CAMERA_SMOOTHING = 0.6;
/** Latencies kept for the debug API (and the median shown): about ten seconds at 12 frames/s. */
const LATENCIES_KEPT = 120;
/**
 * The frame-rate window: long enough that a slow backend (SwiftShader WebGPU, a frame every few
 * seconds) still shows its rate instead of 0, short enough to follow a change within seconds.
 */
const FPS_WINDOW_MS = 5000;
/** Labels drawn over the preview. */
export const LIVE_LABELS_SHOWN = 5;

const LIVE_WORDING: MediaDeviceWording = { device: 'camera', retry: 'press "Live"', alternative: 'add image files' };
/** The track ended without us stopping it: the camera was unplugged, or the system took it away. */
export const CAMERA_ENDED_MESSAGE = deviceEndedMessage(LIVE_WORDING);
/**
 * A worker crash or a lost GPU while live: the bridge restarts the worker and reloads the model
 * (on WASM after a lost GPU), and frames are scored again after it. A status, not an alert.
 */
export const MODEL_RESTARTED_NOTICE = 'The model restarted; live mode goes on.';

export interface LiveLabel {
  label: string;
  score: number;
}

export type LiveStatus = 'off' | 'starting' | 'live' | 'error';

/** What the live panel shows; a new object each time anything changes (useSyncExternalStore). */
export interface LiveCameraView {
  status: LiveStatus;
  /** Capture stopped by the user's Pause, or because the tab is hidden; null while running. */
  pausedBy: 'user' | 'hidden' | null;
  /** Why the camera is off (permission, no camera, unplugged); with status 'error'. */
  error: string | null;
  /** The last frame's failure in the worker, while the camera runs on (cleared by the next result). */
  frameError: string | null;
  /** Something the user should know that is no failure (the model restarted); cleared by the next result. */
  notice: string | null;
  /** What frames wait for before they are scored. */
  waitingFor: 'model' | 'labels' | null;
  cameras: CameraChoice[];
  deviceId: string | null;
  /** Smoothed scores, best first (all labels). */
  ranking: LiveLabel[];
  /** The latest frame's own top label, before smoothing. */
  rawTop: LiveLabel | null;
  /** That frame's position in the video (requestVideoFrameCallback's mediaTime, s): tests match the label to what the video showed. */
  mediaTime: number | null;
  fps: number;
  /** Median over the latest frames, captured → result shown. */
  latencyMs: number | null;
  latencyP95Ms: number | null;
  smoothing: number;
  framesScored: number;
}

/** `window.zspDebug.liveCamera()`: the contract the e2e tests and the bench read. */
export interface LiveCameraDebug {
  running: boolean;
  paused: boolean;
  backend: Backend | null;
  framesOffered: number;
  framesScored: number;
  framesDropped: number;
  fps: number;
  latenciesMs: number[];
}

interface LiveFrame {
  bitmap: ImageBitmap;
  /** performance.now() when the frame was taken from the video. */
  capturedAt: number;
  session: number;
  mediaTime: number | null;
}

/** What the camera needs of the CLIP worker's bridge (the grid's: the model is loaded once). */
export type LiveFrameBridge = Pick<ClipBridge, 'classifyFrame'>;

/** What a live frame is scored with, memoized on the store slices it is built from. */
type QueryInputs = Pick<AppState, 'labelsText' | 'template' | 'heads' | 'imageResizeMode'> & { status: AppState['models']['image']['status'] };

const OFF_VIEW: LiveCameraView = {
  status: 'off',
  pausedBy: null,
  error: null,
  frameError: null,
  notice: null,
  waitingFor: null,
  cameras: [],
  deviceId: null,
  ranking: [],
  rawTop: null,
  mediaTime: null,
  fps: 0,
  latencyMs: null,
  latencyP95Ms: null,
  smoothing: DEFAULT_CAMERA_SMOOTHING,
  framesScored: 0,
};

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Live camera mode: owns the getUserMedia stream and the <video> it plays in, takes each new video
 * frame as an ImageBitmap (requestVideoFrameCallback) and hands it to the latest-wins scheduler:
 * one frame in the CLIP worker, one waiting, older ones closed and counted as dropped, so latency
 * stays bounded by about two runs however slow the model. The worker scores against the labels
 * and head the grid uses (currentQuery); results are smoothed here and published to the live panel
 * only (subscribe/getSnapshot), never through the store, which changes just when live starts/stops.
 * Pauses while the tab is hidden; every track is stopped on Stop, on leaving the image task, and
 * when the camera is unplugged.
 */
export class LiveCamera {
  /** Owned here, shown by the panel (it mounts this element): capture never depends on the UI. */
  readonly video: HTMLVideoElement;
  private view: LiveCameraView = OFF_VIEW;
  private readonly listeners = new Set<() => void>();
  private stream: MediaStream | null = null;
  /** Bumped by every start/stop: results and frames of an earlier session are ignored. */
  private session = 0;
  /** Bumped whenever capture stops: the frame callbacks of an earlier loop end. */
  private captureLoop = 0;
  private readonly smoother = new ScoreSmoother();
  private readonly meters = new LiveMeters({ rateWindowMs: FPS_WINDOW_MS, latenciesKept: LATENCIES_KEPT });
  /** Aborted by stop/restart: a frame parked in the bridge (a worker restart) is never sent. */
  private sessionAbort = new AbortController();
  /** Results that came back for labels edited meanwhile: never shown, counted as dropped. */
  private staleResults = 0;
  private unwatchTracks: () => void = () => {};
  /** A camera chosen while another was starting: opened once that start settles. */
  private wantedDeviceId: string | null = null;
  private memo: { inputs: QueryInputs; query: CurrentQuery } | null = null;
  private captures = 0;
  private readonly scheduler: LatestWinsScheduler<LiveFrame>;

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: LiveFrameBridge,
  ) {
    this.video = document.createElement('video');
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.setAttribute('data-testid', 'live-video');
    this.scheduler = new LatestWinsScheduler<LiveFrame>({
      run: (frame) => this.score(frame),
      discard: (frame) => frame.bitmap.close(),
      onError: (error, frame) => this.frameFailed(error, frame),
    });
  }

  /** Follows the store: a link's `?live=camera` starts live mode, leaving the image task stops it. */
  connect(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (state.liveRequest === 'camera' && previous.liveRequest !== 'camera') this.takeLinkRequest();
      if (state.task !== 'image' && previous.task === 'image') this.stop();
      // The model became ready (or the labels came): the hint goes.
      if (this.view.status === 'live' && (state.models.image.status !== previous.models.image.status || state.labelsText !== previous.labelsText))
        this.followWaiting();
    });
    if (this.store.getState().liveRequest === 'camera') this.takeLinkRequest();
    const unwatch = watchVisibility(this.onHidden, this.onVisible);
    return () => {
      unsubscribe();
      unwatch();
      this.stop();
    };
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): LiveCameraView => this.view;

  /** Opens the camera (the permission prompt, the first time) and starts scoring its frames. */
  async start(deviceId: string | null = this.view.deviceId): Promise<void> {
    if (this.view.status === 'starting') return;
    await this.open(deviceId);
    const wanted = this.wantedDeviceId;
    this.wantedDeviceId = null;
    // Another camera was picked while this one started; a Stop meanwhile (status off) forgets it.
    if (wanted !== null && this.view.status !== 'off' && wanted !== this.view.deviceId) await this.start(wanted);
  }

  private async open(deviceId: string | null): Promise<void> {
    this.closeStream();
    const session = this.newSession();
    this.scheduler.resetCounts();
    this.staleResults = 0;
    this.resetMeters();
    this.publish({ ...OFF_VIEW, status: 'starting', smoothing: this.view.smoothing, cameras: this.view.cameras, deviceId });
    let stream: MediaStream;
    try {
      stream = await openCamera(deviceId ? { deviceId: { exact: deviceId } } : true, LIVE_WORDING);
    } catch (error) {
      if (session !== this.session) return;
      this.publish({ status: 'error', error: errorText(error) });
      this.store.getState().setLiveActive(null);
      return;
    }
    // Stopped (or restarted) while the permission prompt was open: this camera goes straight off.
    if (session !== this.session) return stopCamera(stream);
    this.stream = stream;
    this.unwatchTracks = onTracksEnded(stream, () => this.cameraLost(session));
    this.video.srcObject = stream;
    try {
      await this.video.play();
    } catch (error) {
      if (session !== this.session) return;
      this.closeStream();
      this.publish({ status: 'error', error: `The camera's picture could not be shown: ${errorText(error)}` });
      // A camera switch while live fails here too: live mode is over, whatever it was before.
      if (this.store.getState().liveActive === 'camera') this.store.getState().setLiveActive(null);
      return;
    }
    if (session !== this.session) return;
    const activeId = stream.getVideoTracks()[0]?.getSettings().deviceId ?? deviceId;
    this.publish({ status: 'live', deviceId: activeId ?? null, waitingFor: this.waitingFor(), pausedBy: document.hidden ? 'hidden' : null });
    this.store.getState().setLiveActive('camera');
    if (!document.hidden) this.startCapture();
    // Labels are only readable once permission was given, so the list is read now.
    void listCameras(navigator.mediaDevices).then(
      (cameras) => {
        if (session === this.session) this.publish({ cameras });
      },
      () => {},
    );
  }

  /** Switches to another camera (front/back): the old one's tracks stop before the new one opens. */
  chooseCamera(deviceId: string): void {
    if (deviceId === this.view.deviceId && this.view.status === 'live') return;
    if (this.view.status === 'starting') {
      this.wantedDeviceId = deviceId;
      return;
    }
    const pausedByUser = this.view.pausedBy === 'user';
    void this.start(deviceId).then(() => {
      if (pausedByUser && this.view.status === 'live') this.pause();
    });
  }

  /** Every track stopped (the camera light goes off), nothing waiting, later results ignored. */
  stop(): void {
    this.newSession();
    this.wantedDeviceId = null;
    this.stopCapture();
    this.closeStream();
    this.resetMeters();
    if (this.view.status !== 'off') this.publish({ ...OFF_VIEW, smoothing: this.view.smoothing, cameras: this.view.cameras, deviceId: this.view.deviceId });
    if (this.store.getState().liveActive === 'camera') this.store.getState().setLiveActive(null);
  }

  pause(): void {
    if (this.view.status !== 'live' || this.view.pausedBy === 'user') return;
    this.stopCapture();
    this.video.pause();
    this.publish({ pausedBy: 'user', fps: 0 });
  }

  resume(): void {
    if (this.view.status !== 'live' || this.view.pausedBy === null) return;
    if (document.hidden) {
      this.publish({ pausedBy: 'hidden' });
      return;
    }
    // The rate restarts: the time paused is no gap between results.
    this.meters.resetRate();
    this.publish({ pausedBy: null });
    void this.video.play().catch(() => {});
    this.startCapture();
  }

  setSmoothing(strength: number): void {
    const clamped = Math.min(Math.max(strength, 0), MAX_SMOOTHING_STRENGTH);
    this.publish({ smoothing: clamped });
  }

  /** The frame on screen as a PNG item in the workspace, ranked like any other picture. */
  async capture(): Promise<void> {
    if (this.view.status !== 'live') return;
    this.captures++;
    try {
      const file = await captureFrame(this.video, `Live capture ${this.captures}.png`);
      this.store.getState().addItems([newImageItem(file, file.name)]);
    } catch (error) {
      this.publish({ frameError: errorText(error) });
    }
  }

  debugSnapshot(): LiveCameraDebug | null {
    if (this.view.status !== 'live') return null;
    const counts = this.scheduler.snapshot();
    const status = this.store.getState().models.image.status;
    return {
      running: true,
      paused: this.view.pausedBy !== null,
      backend: status.state === 'ready' ? status.info.backend : null,
      framesOffered: counts.offered,
      framesScored: this.view.framesScored,
      framesDropped: counts.dropped + this.staleResults,
      fps: this.view.fps,
      latenciesMs: this.meters.snapshot(performance.now()).latenciesMs,
    };
  }

  private readonly onHidden = (): void => {
    if (this.view.status !== 'live' || this.view.pausedBy !== null) return;
    // Hidden: no capture and no inference until the tab is back (the frame in the worker finishes, unseen).
    this.stopCapture();
    this.publish({ pausedBy: 'hidden', fps: 0 });
  };

  private readonly onVisible = (): void => {
    if (this.view.status === 'live' && this.view.pausedBy === 'hidden') this.resume();
  };

  /** A new session: what the previous one sent or parked is cancelled and its results ignored. */
  private newSession(): number {
    this.sessionAbort.abort();
    this.sessionAbort = new AbortController();
    return ++this.session;
  }

  /**
   * The model or the labels are missing now (a model switch, a restart, the labels emptied): the
   * previous ranking is another model's or other labels', so it goes and the hint shows instead.
   */
  private followWaiting(): void {
    const waitingFor = this.waitingFor();
    if (waitingFor === this.view.waitingFor) return;
    if (waitingFor === null) {
      this.publish({ waitingFor });
      return;
    }
    this.smoother.reset();
    this.publish({ waitingFor, ranking: [], rawTop: null, mediaTime: null });
  }

  /** currentQuery (parsing labels and templates, building prompts) once per change, not twice per video frame. */
  private query(): CurrentQuery {
    const state = this.store.getState();
    const inputs: QueryInputs = {
      labelsText: state.labelsText,
      template: state.template,
      heads: state.heads,
      imageResizeMode: state.imageResizeMode,
      status: state.models.image.status,
    };
    const memo = this.memo;
    const same = memo !== null && (Object.keys(inputs) as Array<keyof QueryInputs>).every((key) => memo.inputs[key] === inputs[key]);
    if (same) return memo.query;
    const query = currentQuery(state);
    this.memo = { inputs, query };
    return query;
  }

  private takeLinkRequest(): void {
    this.store.getState().requestLive(null);
    if (this.store.getState().task === 'image') void this.start();
  }

  private waitingFor(): LiveCameraView['waitingFor'] {
    const state = this.store.getState();
    if (state.models.image.status.state !== 'ready') return 'model';
    return this.query().labels.length === 0 ? 'labels' : null;
  }

  private startCapture(): void {
    const loop = ++this.captureLoop;
    const video = this.video;
    const onFrame = (now: number, metadata?: VideoFrameCallbackMetadata): void => {
      if (loop !== this.captureLoop) return;
      nextVideoFrame(video, onFrame);
      // The camera's own capture time when the browser gives one on our clock, else when the frame was presented.
      const captured = metadata?.captureTime;
      const capturedAt = captured !== undefined && captured <= now && captured > now - 1000 ? captured : now;
      void this.takeFrame(loop, capturedAt, metadata?.mediaTime ?? null);
    };
    nextVideoFrame(video, onFrame);
  }

  private stopCapture(): void {
    this.captureLoop++;
    // A waiting frame is stale once capture stops; the one in the worker finishes, its result unseen.
    this.scheduler.clear();
  }

  private async takeFrame(loop: number, capturedAt: number, mediaTime: number | null): Promise<void> {
    if (this.waitingFor() !== null || this.video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return;
    let bitmap: ImageBitmap;
    try {
      // A copy of the frame, made by the browser off the main thread's JS: the worker draws and reads it.
      bitmap = await createImageBitmap(this.video);
    } catch {
      return;
    }
    if (loop !== this.captureLoop) return bitmap.close();
    this.scheduler.offer({ bitmap, capturedAt, session: this.session, mediaTime });
  }

  private async score(frame: LiveFrame): Promise<void> {
    try {
      if (frame.session !== this.session) return;
      const query = this.query();
      if (query.labels.length === 0) return;
      const result = await this.bridge.classifyFrame(
        { classPrompts: query.classPrompts, head: query.head, resizeMode: query.resizeMode },
        frame.bitmap,
        this.sessionAbort.signal,
      );
      // Cancelled while parked in the bridge (Stop during a worker restart): never sent.
      if (result === null) return;
      if (frame.session !== this.session || this.view.status !== 'live' || this.view.pausedBy !== null) return;
      // The labels, template, head or model changed while this frame was in the worker: its ranking may name deleted labels.
      if (this.query().key !== query.key) {
        this.staleResults++;
        return;
      }
      const now = performance.now();
      const smoothed = this.smoother.update(query.key, result.scores, this.view.smoothing);
      this.meters.record(now, frame.capturedAt);
      const meters = this.meters.snapshot(now);
      const ranking = query.labels.map((label, index) => ({ label, score: smoothed[index] ?? 0 })).sort((a, b) => b.score - a.score);
      const raw = topIndex(result.scores);
      this.publish({
        ranking,
        rawTop: raw >= 0 ? { label: query.labels[raw]!, score: result.scores[raw]! } : null,
        mediaTime: frame.mediaTime,
        fps: meters.fps,
        latencyMs: meters.medianMs,
        latencyP95Ms: meters.p95Ms,
        frameError: null,
        notice: null,
        framesScored: this.view.framesScored + 1,
      });
    } finally {
      // Already moved to the worker when it was sent (then this does nothing); else freed here.
      frame.bitmap.close();
    }
  }

  private frameFailed(error: unknown, frame: LiveFrame): void {
    // A newer model load or a stop dropped the request: nothing went wrong with the frame.
    if (frame.session !== this.session || error instanceof SupersededError || error instanceof StoppedError) return;
    // WorkerCrashedError covers WebGpuLostError: the bridge restarts the worker (on WASM for a lost GPU) and frames follow.
    if (error instanceof WorkerCrashedError) {
      this.publish({ notice: MODEL_RESTARTED_NOTICE, frameError: null });
      return;
    }
    this.publish({ frameError: `This frame could not be classified: ${errorText(error)}` });
  }

  private cameraLost(session: number): void {
    if (session !== this.session) return;
    this.stop();
    this.publish({ status: 'error', error: CAMERA_ENDED_MESSAGE });
  }

  private closeStream(): void {
    this.unwatchTracks();
    this.unwatchTracks = () => {};
    stopCamera(this.stream);
    this.stream = null;
    this.video.pause();
    this.video.srcObject = null;
  }

  private resetMeters(): void {
    this.smoother.reset();
    this.meters.reset();
  }

  private publish(patch: Partial<LiveCameraView>): void {
    this.view = { ...this.view, ...patch };
    for (const listener of this.listeners) listener();
  }
}

/** The next frame the video presents (requestVideoFrameCallback), or the next paint where a browser lacks it. */
function nextVideoFrame(video: HTMLVideoElement, callback: (now: number, metadata?: VideoFrameCallbackMetadata) => void): void {
  if (typeof video.requestVideoFrameCallback === 'function') video.requestVideoFrameCallback(callback);
  else requestAnimationFrame((now) => callback(now));
}
