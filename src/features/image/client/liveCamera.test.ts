import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand';
import type { LoadedModelInfo } from '../../../lib/workerReports';
import { createUnpersistedStore, type AppState } from '../../../store';
import { WorkerCrashedError } from '../../models';
import type { FrameScores } from '../shared/protocol';
import type { ClassifyQuery } from './clipBridge';
import { LiveCamera, type LiveFrameBridge } from './liveCamera';

/*
 * The controller against a fake camera (getUserMedia, a <video> whose frames the test presents)
 * and a fake CLIP bridge whose answers the test releases: the races of a live session, in order.
 */

const info: LoadedModelInfo = { modelId: 'builtin/clip-shapes', backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 0, warmupMs: 0 };

class FakeTrack extends EventTarget {
  readyState: 'live' | 'ended' = 'live';
  constructor(private readonly deviceId: string) {
    super();
  }
  stop(): void {
    this.readyState = 'ended';
  }
  getSettings(): MediaTrackSettings {
    return { deviceId: this.deviceId };
  }
}

class FakeStream {
  readonly tracks: FakeTrack[];
  constructor(deviceId: string) {
    this.tracks = [new FakeTrack(deviceId)];
  }
  getTracks(): FakeTrack[] {
    return this.tracks;
  }
  getVideoTracks(): FakeTrack[] {
    return this.tracks;
  }
}

/** The <video> the controller owns: the test presents frames by calling the callbacks it registered. */
class FakeVideo {
  muted = false;
  playsInline = false;
  srcObject: unknown = null;
  readyState = 4;
  videoWidth = 4;
  videoHeight = 4;
  playFails = false;
  private callbacks: Array<(now: number, metadata?: VideoFrameCallbackMetadata) => void> = [];
  setAttribute(): void {}
  play(): Promise<void> {
    return this.playFails ? Promise.reject(new Error('no picture')) : Promise.resolve();
  }
  pause(): void {}
  requestVideoFrameCallback(callback: (now: number) => void): number {
    this.callbacks.push(callback);
    return this.callbacks.length;
  }
  present(): void {
    const callbacks = this.callbacks;
    this.callbacks = [];
    for (const callback of callbacks) callback(performance.now());
  }
}

class FakeBitmap {
  closed = false;
  readonly width = 4;
  readonly height = 4;
  close(): void {
    this.closed = true;
  }
}

interface PendingFrame {
  query: ClassifyQuery;
  frame: FakeBitmap;
  signal: AbortSignal | undefined;
  resolve: (result: FrameScores | null) => void;
  reject: (error: Error) => void;
}

class FakeBridge implements LiveFrameBridge {
  readonly pending: PendingFrame[] = [];
  classifyFrame(query: ClassifyQuery, frame: ImageBitmap, signal?: AbortSignal): Promise<FrameScores | null> {
    return new Promise((resolve, reject) => this.pending.push({ query, frame: frame as unknown as FakeBitmap, signal, resolve, reject }));
  }
}

/** The worker's answer for `labels` with the first label on top. */
function firstOnTop(labels: number): FrameScores {
  const scores = Float32Array.from({ length: labels }, (_, i) => (i === 0 ? 0.8 : 0.2 / (labels - 1)));
  return { scores, similarities: scores, classifier: 'zero-shot', width: 4, height: 4, inferenceMs: 1 };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LiveCamera', () => {
  let store: StoreApi<AppState>;
  let bridge: FakeBridge;
  let video: FakeVideo;
  let streams: FakeStream[];
  let bitmaps: FakeBitmap[];
  let camera: LiveCamera;
  let disconnect: () => void;

  beforeEach(() => {
    video = new FakeVideo();
    streams = [];
    bitmaps = [];
    vi.stubGlobal('document', {
      hidden: false,
      createElement: () => video,
      addEventListener: () => {},
      removeEventListener: () => {},
    });
    vi.stubGlobal('HTMLMediaElement', { HAVE_CURRENT_DATA: 2 });
    vi.stubGlobal('navigator', {
      mediaDevices: {
        getUserMedia: (constraints: MediaStreamConstraints) => {
          const video = constraints.video;
          const wanted = typeof video === 'object' && typeof video.deviceId === 'object' && !Array.isArray(video.deviceId) ? video.deviceId.exact : undefined;
          const stream = new FakeStream(typeof wanted === 'string' ? wanted : 'cam-1');
          streams.push(stream);
          return Promise.resolve(stream);
        },
        enumerateDevices: () => Promise.resolve([]),
      },
    });
    vi.stubGlobal('createImageBitmap', () => {
      const bitmap = new FakeBitmap();
      bitmaps.push(bitmap);
      return Promise.resolve(bitmap);
    });
    store = createUnpersistedStore();
    store.setState({ task: 'image', labelsText: 'red\nblue\ngreen', template: 'a photo of a {}.' });
    store.getState().setModelStatus('image', { state: 'ready', modelId: info.modelId, info });
    bridge = new FakeBridge();
    camera = new LiveCamera(store, bridge);
    disconnect = camera.connect();
  });

  afterEach(() => disconnect());

  async function goLive(): Promise<void> {
    await camera.start();
    expect(camera.getSnapshot().status).toBe('live');
  }

  /** One video frame presented, taken as a bitmap and handed to the bridge. */
  async function presentFrame(): Promise<void> {
    video.present();
    await flush();
  }

  it('scores a frame and shows its ranking against the labels it was sent with', async () => {
    await goLive();
    await presentFrame();
    expect(bridge.pending).toHaveLength(1);
    expect(bridge.pending[0]!.query.classPrompts).toEqual([['a photo of a red.'], ['a photo of a blue.'], ['a photo of a green.']]);
    bridge.pending[0]!.resolve(firstOnTop(3));
    await flush();
    expect(camera.getSnapshot().ranking[0]).toMatchObject({ label: 'red' });
    expect(camera.debugSnapshot()).toMatchObject({ framesScored: 1, framesDropped: 0 });
    expect(bitmaps[0]!.closed).toBe(true);
  });

  it('stop while a frame is in flight: the camera goes off, the result is ignored and the bitmap closed', async () => {
    await goLive();
    await presentFrame();
    const inFlight = bridge.pending[0]!;
    camera.stop();
    expect(streams[0]!.tracks.every((track) => track.readyState === 'ended')).toBe(true);
    // The session's signal is aborted: a frame parked in the bridge (a worker restart) would not be sent.
    expect(inFlight.signal?.aborted).toBe(true);
    inFlight.resolve(firstOnTop(3));
    await flush();
    expect(camera.getSnapshot()).toMatchObject({ status: 'off', ranking: [], framesScored: 0 });
    expect(inFlight.frame.closed).toBe(true);
    expect(store.getState().liveActive).toBeNull();
  });

  it('a label edit while a frame is in flight: its stale ranking is never shown, the next frame ranks the new labels', async () => {
    await goLive();
    await presentFrame();
    const stale = bridge.pending[0]!;
    store.setState({ labelsText: 'cat\ndog' });
    stale.resolve(firstOnTop(3));
    await flush();
    expect(camera.getSnapshot().ranking.map((entry) => entry.label)).not.toContain('red');
    expect(camera.getSnapshot().framesScored).toBe(0);
    expect(camera.debugSnapshot()?.framesDropped).toBe(1);
    await presentFrame();
    const next = bridge.pending[1]!;
    expect(next.query.classPrompts).toEqual([['a photo of a cat.'], ['a photo of a dog.']]);
    next.resolve(firstOnTop(2));
    await flush();
    expect(camera.getSnapshot().ranking.map((entry) => entry.label)).toEqual(['cat', 'dog']);
  });

  it('the ranking is cleared while waiting for the model or for labels', async () => {
    await goLive();
    await presentFrame();
    bridge.pending[0]!.resolve(firstOnTop(3));
    await flush();
    expect(camera.getSnapshot().ranking).toHaveLength(3);
    store.getState().setModelStatus('image', { state: 'loading', modelId: info.modelId });
    expect(camera.getSnapshot()).toMatchObject({ waitingFor: 'model', ranking: [], rawTop: null });
    store.getState().setModelStatus('image', { state: 'ready', modelId: info.modelId, info });
    expect(camera.getSnapshot().waitingFor).toBeNull();
    store.setState({ labelsText: '' });
    expect(camera.getSnapshot()).toMatchObject({ waitingFor: 'labels', ranking: [] });
  });

  it('leaving the image task stops every track', async () => {
    await goLive();
    store.getState().setTask('audio');
    expect(streams[0]!.tracks.every((track) => track.readyState === 'ended')).toBe(true);
    expect(camera.getSnapshot().status).toBe('off');
    expect(store.getState().liveActive).toBeNull();
  });

  it('a worker crash while live is a notice, not a frame error, and the next frame is scored', async () => {
    await goLive();
    await presentFrame();
    // The bridge rejects what the crashed worker held.
    bridge.pending[0]!.reject(new WorkerCrashedError('test'));
    await flush();
    expect(camera.getSnapshot()).toMatchObject({ frameError: null, notice: 'The model restarted; live mode goes on.', status: 'live' });
    await presentFrame();
    bridge.pending[1]!.resolve(firstOnTop(3));
    await flush();
    expect(camera.getSnapshot()).toMatchObject({ notice: null, framesScored: 1 });
  });

  it('a camera picked while another is starting is opened once that start settles', async () => {
    const starting = camera.start();
    camera.chooseCamera('cam-2');
    await starting;
    expect(camera.getSnapshot()).toMatchObject({ status: 'live', deviceId: 'cam-2' });
    expect(streams).toHaveLength(2);
    expect(streams[0]!.tracks[0]!.readyState).toBe('ended');
  });

  it('a camera switch whose picture cannot be shown ends live mode (liveActive cleared) with a message', async () => {
    await goLive();
    expect(store.getState().liveActive).toBe('camera');
    video.playFails = true;
    camera.chooseCamera('cam-2');
    await flush();
    expect(camera.getSnapshot()).toMatchObject({ status: 'error' });
    expect(camera.getSnapshot().error).toContain('could not be shown');
    expect(store.getState().liveActive).toBeNull();
    expect(streams.every((stream) => stream.tracks.every((track) => track.readyState === 'ended'))).toBe(true);
  });
});
