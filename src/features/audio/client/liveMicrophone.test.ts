import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand/vanilla';
import { createUnpersistedStore, type AppState } from '../../../store';
import type { CaptureCommand, CaptureEvent } from '../shared/liveCaptureProtocol';
import type { LiveWindowReply } from './audioBridge';
import type { LiveAudioContext, LiveAudioDevices, LiveCapturePort, LiveStream } from './liveAudioDevices';
import { LiveMicrophone, type LiveAudioBridge } from './liveMicrophone';

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Lets every pending promise callback run. */
const flush = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

class FakeContext implements LiveAudioContext {
  sampleRate = 16_000;
  state: AudioContextState = 'suspended';
  onstatechange: LiveAudioContext['onstatechange'] = null;
  resume = vi.fn(async () => {
    if (this.state !== 'closed') this.state = 'running';
  });
  suspend = vi.fn(async () => {
    if (this.state !== 'closed') this.state = 'suspended';
  });
  close = vi.fn(async () => {
    this.state = 'closed';
  });
}

class FakeStream implements LiveStream {
  readyState: MediaStreamTrackState = 'live';
  endedListeners = new Set<() => void>();
  stop = vi.fn(() => {
    this.readyState = 'ended';
  });
  onEnded(listener: () => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }
  /** The device goes away on its own. */
  unplug(): void {
    this.readyState = 'ended';
    for (const listener of this.endedListeners) listener();
  }
}

class FakePort implements LiveCapturePort {
  readonly posted: CaptureCommand[] = [];
  closed = false;
  private listener: ((data: unknown) => void) | null = null;
  post(command: CaptureCommand): void {
    this.posted.push(command);
  }
  listen(listener: (data: unknown) => void): void {
    this.listener = listener;
  }
  close(): void {
    this.closed = true;
    this.listener = null;
  }
  /** The worklet posts an event (the page's listener parses it, as it would a real port's). */
  emit(event: CaptureEvent): void {
    this.emitRaw(event);
  }
  emitRaw(data: unknown): void {
    this.listener?.(data);
  }
  get generation(): number {
    const configure = this.posted.filter((c) => c.type === 'configure').at(-1);
    return configure?.type === 'configure' ? configure.generation : -1;
  }
}

class FakeDevices implements LiveAudioDevices {
  readonly context = new FakeContext();
  readonly stream = new FakeStream();
  readonly port = new FakePort();
  microphone: Deferred<LiveStream> | null = null;
  attached: Deferred<LiveCapturePort> | null = null;
  readonly attach = vi.fn((_context: LiveAudioContext, _stream: LiveStream) => (this.attached ? this.attached.promise : Promise.resolve<LiveCapturePort>(this.port)));
  readonly openMicrophone = vi.fn(() => (this.microphone ? this.microphone.promise : Promise.resolve(this.stream)));
  supported = () => true;
  createContext = () => this.context;
}

class FakeBridge implements LiveAudioBridge {
  readonly replies: Deferred<LiveWindowReply>[] = [];
  readonly requests: Parameters<LiveAudioBridge['scoreLiveWindow']>[0][] = [];
  scoreLiveWindow = vi.fn((request: Parameters<LiveAudioBridge['scoreLiveWindow']>[0]) => {
    this.requests.push(request);
    const reply = deferred<LiveWindowReply>();
    this.replies.push(reply);
    return reply.promise;
  });
  zeroInputScores = vi.fn(async (classPrompts: string[][]) => new Float32Array(classPrompts.length));
}

function reply(scores: number[]): LiveWindowReply {
  return { startMs: 0, scores: new Float32Array(scores), headProbabilities: null, transcript: null, inferenceMs: 1, missingHeadId: null };
}

function modelReady(store: StoreApi<AppState>): void {
  store.getState().setModelStatus('audio', {
    state: 'ready',
    modelId: 'test/clap',
    info: { modelId: 'test/clap', backend: 'wasm', dtype: 'fp32', family: 'clap', threads: 1, loadMs: 0, warmupMs: 0 },
  });
}

function soundWindow(port: FakePort, startMs = 0): void {
  port.emit({ type: 'window', generation: port.generation, startMs, levelDbfs: -20, samples: new Float32Array(16) });
}

describe('LiveMicrophone', () => {
  let store: StoreApi<AppState>;
  let devices: FakeDevices;
  let bridge: FakeBridge;
  let captured: File[];
  let live: LiveMicrophone;
  const documentListeners = new Set<string>();

  beforeEach(() => {
    documentListeners.clear();
    vi.stubGlobal('document', {
      hidden: false,
      addEventListener: (type: string) => documentListeners.add(type),
      removeEventListener: (type: string) => documentListeners.delete(type),
    });
    store = createUnpersistedStore();
    store.setState({ task: 'audio', audioLabelsText: 'dog, rain' });
    devices = new FakeDevices();
    bridge = new FakeBridge();
    captured = [];
    live = new LiveMicrophone(store, bridge, { onCapture: (file) => captured.push(file) }, devices);
  });

  afterEach(() => live.stop());

  it('stopped while the worklet loads: the late worklet is closed and nothing is left live (no error, no listener, microphone off)', async () => {
    devices.attached = deferred<LiveCapturePort>();
    const starting = live.start();
    await flush();
    expect(devices.attach).toHaveBeenCalledTimes(1);
    live.stop();
    devices.attached.resolve(devices.port);
    await starting;
    expect(live.getView().state).toBe('idle');
    expect(live.getView().error).toBeNull();
    expect(devices.port.closed).toBe(true);
    expect(devices.port.posted).toEqual([]);
    expect(devices.stream.readyState).toBe('ended');
    expect(devices.context.state).toBe('closed');
    expect(documentListeners.has('visibilitychange')).toBe(false);
    expect(store.getState().liveActive).toBeNull();
    expect(live.debugSnapshot()).toBeNull();
  });

  it('stopped while the permission prompt is open: the microphone it then gives is switched straight off, no worklet loaded', async () => {
    devices.microphone = deferred<LiveStream>();
    const starting = live.start();
    live.stop();
    devices.microphone.resolve(devices.stream);
    await starting;
    expect(devices.stream.stop).toHaveBeenCalled();
    expect(devices.attach).not.toHaveBeenCalled();
    expect(live.getView().state).toBe('idle');
  });

  it('leaving the audio task stops listening: tracks stopped, context closed, worklet disconnected', async () => {
    const disconnect = live.connect();
    await live.start();
    expect(live.getView().state).toBe('live');
    expect(store.getState().liveActive).toBe('microphone');
    store.setState({ task: 'image' });
    expect(devices.stream.endedListeners.size).toBe(0);
    expect(live.getView().state).toBe('idle');
    expect(devices.stream.readyState).toBe('ended');
    expect(devices.context.state).toBe('closed');
    expect(devices.port.closed).toBe(true);
    expect(store.getState().liveActive).toBeNull();
    disconnect();
  });

  it('an unplugged microphone: live mode stops and says so', async () => {
    await live.start();
    devices.stream.unplug();
    expect(live.getView().state).toBe('idle');
    expect(live.getView().error).toMatch(/microphone was disconnected/);
    expect(devices.context.state).toBe('closed');
    expect(devices.port.closed).toBe(true);
  });

  it('a link asking for live mode starts listening only once the model is ready, and takes the request', async () => {
    store.getState().requestLive('microphone');
    const disconnect = live.connect();
    expect(devices.openMicrophone).not.toHaveBeenCalled();
    modelReady(store);
    await flush();
    expect(devices.openMicrophone).toHaveBeenCalledTimes(1);
    expect(store.getState().liveRequest).toBeNull();
    expect(live.getView().state).toBe('live');
    disconnect();
  });

  it('a reply for an old label set is not shown and counts as skipped (stale); the next window is scored and shown', async () => {
    modelReady(store);
    await live.start();
    soundWindow(devices.port, 0);
    expect(bridge.scoreLiveWindow).toHaveBeenCalledTimes(1);
    store.setState({ audioLabelsText: 'speech, music, wind' });
    bridge.replies[0]!.resolve(reply([1, 0]));
    await flush();
    expect(live.getView().windows).toEqual([]);
    expect(live.debugSnapshot()).toMatchObject({ windowsOffered: 1, windowsScored: 0, windowsDropped: 1, windowsSkipped: { model: 0, labels: 0, stale: 1 } });

    soundWindow(devices.port, 750);
    expect(bridge.requests[1]!.classPrompts).toHaveLength(3);
    bridge.replies[1]!.resolve(reply([0, 3, 1]));
    await flush();
    const [shown] = live.getView().windows;
    expect(shown).toMatchObject({ silent: false, label: 'music' });
    expect(shown!.score).toBeGreaterThan(0.5);
    expect(live.debugSnapshot()).toMatchObject({ windowsScored: 1, windowsDropped: 1 });
  });

  it('windows that reach the model before it is ready, or with no labels, are counted as skipped, not scored; the view says what it waits for', async () => {
    const disconnect = live.connect();
    await live.start();
    expect(live.getView().waitingFor).toBe('model');
    soundWindow(devices.port);
    await flush();
    modelReady(store);
    store.setState({ audioLabelsText: '' });
    expect(live.getView().waitingFor).toBe('labels');
    soundWindow(devices.port, 750);
    await flush();
    expect(bridge.scoreLiveWindow).not.toHaveBeenCalled();
    expect(live.debugSnapshot()).toMatchObject({ windowsScored: 0, windowsDropped: 2, windowsSkipped: { model: 1, labels: 1, stale: 0 } });
    store.setState({ audioLabelsText: 'dog, rain' });
    expect(live.getView().waitingFor).toBeNull();
    disconnect();
  });

  it('silent windows are shown and never sent; windows of an older slicer (a settings change) are ignored', async () => {
    modelReady(store);
    await live.start();
    const old = devices.port.generation;
    devices.port.emit({ type: 'silent', generation: old, startMs: 0, levelDbfs: -90 });
    live.setSettings({ windowSeconds: 2 });
    expect(devices.port.generation).toBeGreaterThan(old);
    expect(devices.port.posted.at(-1)).toMatchObject({ type: 'configure', windowSeconds: 2 });
    devices.port.emit({ type: 'window', generation: old, startMs: 750, levelDbfs: -20, samples: new Float32Array(16) });
    expect(bridge.scoreLiveWindow).not.toHaveBeenCalled();
    expect(live.getView().windows).toMatchObject([{ silent: true, score: null, label: null }]);
    expect(live.debugSnapshot()).toMatchObject({ windowsSilent: 1, windowsOffered: 0 });
  });

  it('capture asks the worklet for its ring buffer and adds it as a WAV clip; malformed port messages are ignored', async () => {
    await live.start();
    const capturing = live.capture();
    const request = devices.port.posted.at(-1);
    expect(request?.type).toBe('capture');
    devices.port.emit({ type: 'level', peak: 0.5, samplesSeen: 32_000 });
    // Not a CaptureEvent (samples as a plain array): dropped by the page's parser.
    devices.port.emitRaw({ type: 'capture', requestId: 1, samples: [0, 0], sampleRate: 16_000 });
    if (request?.type === 'capture') devices.port.emit({ type: 'capture', requestId: request.requestId, samples: new Float32Array(32_000), sampleRate: 16_000 });
    await expect(capturing).resolves.toBe(true);
    expect(captured).toHaveLength(1);
    expect(captured[0]!.name).toBe('Live capture 1 (2.0 s).wav');
    expect(captured[0]!.size).toBe(44 + 32_000 * 2);
    expect(live.getView().level).toBe(0.5);
    expect(live.debugSnapshot()?.capturedSeconds).toBe(2);
  });
});
