import { describe, expect, it, vi } from 'vitest';
import type { BaseWorkerEvent, CancelRequest, DebugFaultRequest, LoadModelRequest } from '../shared/loadProtocol';
import { ModelWorkerBridge, StoppedError, SupersededError, WebGpuLostError, WorkerCrashedError, WorkerRestartFailedError, type BridgeListeners } from './modelWorkerBridge';

/** A task protocol of its own: one request that a cancel can stop, one that it cannot. */
type RunRequest = { type: 'run'; requestId: number; items: string[] } | { type: 'train'; requestId: number };
type RunEvent = { type: 'item'; requestId: number; item: string } | { type: 'ran'; requestId: number; cancelled: boolean } | { type: 'trained'; requestId: number };
type Stats = { runs: number };
type Sent = LoadModelRequest | CancelRequest | DebugFaultRequest | RunRequest;

class TestBridge extends ModelWorkerBridge<RunRequest, RunEvent, Stats> {
  run(items: string[], signal?: AbortSignal, onItem?: (item: string) => void): Promise<{ cancelled: boolean }> {
    return this.call<{ cancelled: boolean }>(
      (requestId) => ({ type: 'run', requestId, items }),
      (event, settle) => {
        if (event.type === 'item') onItem?.(event.item);
        if (event.type !== 'ran') return false;
        settle.resolve({ cancelled: event.cancelled });
        return true;
      },
      signal,
      () => ({ cancelled: true }),
    );
  }

  /** No cancelled value: the worker decides what a cancel does to it. */
  train(signal?: AbortSignal): Promise<'trained'> {
    return this.call<'trained'>(
      (requestId) => ({ type: 'train', requestId }),
      (event, settle) => {
        if (event.type !== 'trained') return false;
        settle.resolve('trained');
        return true;
      },
      signal,
    );
  }
}

class FakeWorker {
  readonly sent: Sent[] = [];
  onmessage: ((message: MessageEvent<BaseWorkerEvent<Stats> | RunEvent>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;
  postMessage(request: Sent) {
    this.sent.push(request);
  }
  terminate() {
    this.terminated = true;
  }
  emit(event: BaseWorkerEvent<Stats> | RunEvent) {
    this.onmessage?.({ data: event } as MessageEvent<BaseWorkerEvent<Stats> | RunEvent>);
  }
  /** What the browser does on an uncaught error in the worker. */
  crash(message = 'Uncaught Error: boom') {
    this.onerror?.({ message, preventDefault: () => undefined } as ErrorEvent);
  }
  types(): string[] {
    return this.sent.map((request) => request.type);
  }
  last<T extends Sent['type']>(type: T): Extract<Sent, { type: T }> {
    const found = [...this.sent].reverse().find((r) => r.type === type);
    if (!found) throw new Error(`no ${type} sent`);
    return found as Extract<Sent, { type: T }>;
  }
  loaded() {
    this.emit({ type: 'loaded', requestId: this.last('load').requestId, info });
  }
}

const loadOptions = { modelId: 'builtin/clip-shapes', source: { kind: 'builtin', baseUrl: '/' }, backend: 'wasm', keepInputsForDebug: false } as const;
const info = { modelId: 'builtin/clip-shapes', backend: 'wasm', dtype: 'fp32', threads: 2, loadMs: 1, warmupMs: 1 } as const;

async function flush() {
  await new Promise((resolve) => setTimeout(resolve, 0));
}

async function setup() {
  const workers: FakeWorker[] = [];
  const listeners = {
    onStats: vi.fn<(stats: Stats) => void>(),
    onCrash: vi.fn<NonNullable<BridgeListeners<Stats>['onCrash']>>(),
    onRestarted: vi.fn<NonNullable<BridgeListeners<Stats>['onRestarted']>>(),
    onRestartFailed: vi.fn<NonNullable<BridgeListeners<Stats>['onRestartFailed']>>(),
  };
  const bridge = new TestBridge(() => {
    const worker = new FakeWorker();
    workers.push(worker);
    return worker as unknown as Worker;
  }, listeners);
  const loading = bridge.load(loadOptions);
  workers[0]!.loaded();
  await loading;
  return { bridge, workers, listeners };
}

/** A batch running on the first worker, that worker crashed, and the second one reloading the model. */
async function crashedMidRun() {
  const context = await setup();
  const { bridge, workers } = context;
  const seen: string[] = [];
  const running = bridge.run(['a', 'b', 'c'], undefined, (item) => seen.push(item));
  const { requestId } = workers[0]!.last('run');
  workers[0]!.emit({ type: 'item', requestId, item: 'a' });
  workers[0]!.crash();
  await expect(running).rejects.toBeInstanceOf(WorkerCrashedError);
  return { ...context, seen };
}

describe('ModelWorkerBridge after a crash', () => {
  it('rejects the running request with the crash, says so once, and reloads the same model in a fresh worker', async () => {
    const { bridge, workers, listeners, seen } = await crashedMidRun();
    expect(seen).toEqual(['a']);
    expect(workers[0]!.terminated).toBe(true);
    expect(listeners.onCrash).toHaveBeenCalledOnce();
    expect(listeners.onCrash.mock.calls[0]![0].message).toContain('Uncaught Error: boom');
    expect(workers).toHaveLength(2);
    expect(workers[1]!.types()).toEqual(['load']);
    expect(workers[1]!.last('load')).toMatchObject({ modelId: loadOptions.modelId, source: loadOptions.source, backend: 'wasm' });
    expect(bridge.restarting).toBe(true);
    workers[1]!.loaded();
    await flush();
    expect(bridge.restarting).toBe(false);
    expect(listeners.onRestarted).toHaveBeenCalledExactlyOnceWith(info, expect.any(WorkerCrashedError), false);
    expect(listeners.onRestartFailed).not.toHaveBeenCalled();
  });

  it('holds a request made while the model reloads and sends it, unchanged, once the model is back', async () => {
    const { bridge, workers } = await crashedMidRun();
    const next = bridge.run(['b', 'c']);
    await flush();
    expect(workers[1]!.types()).toEqual(['load']);
    workers[1]!.loaded();
    await flush();
    expect(workers[1]!.types()).toEqual(['load', 'run']);
    const sent = workers[1]!.last('run');
    expect(sent.items).toEqual(['b', 'c']);
    workers[1]!.emit({ type: 'ran', requestId: sent.requestId, cancelled: false });
    await expect(next).resolves.toEqual({ cancelled: false });
  });

  it('answers a request aborted while the model reloads at once, and never sends it', async () => {
    const { bridge, workers, listeners } = await crashedMidRun();
    const abort = new AbortController();
    const next = bridge.run(['b', 'c'], abort.signal);
    abort.abort();
    // Settled before the reload is done: the caller isn't held up by the model coming back.
    await expect(next).resolves.toEqual({ cancelled: true });
    workers[1]!.loaded();
    await flush();
    expect(listeners.onRestarted).toHaveBeenCalledOnce();
    expect(workers[1]!.types()).toEqual(['load']);
    expect(workers).toHaveLength(2);
  });

  it('sends a waiting request with no cancelled reply of its own, then its cancel right behind it', async () => {
    const { bridge, workers } = await crashedMidRun();
    const abort = new AbortController();
    const training = bridge.train(abort.signal);
    abort.abort();
    workers[1]!.loaded();
    await flush();
    const sent = workers[1]!.last('train');
    expect(workers[1]!.sent.slice(1)).toEqual([sent, { type: 'cancel', targetRequestId: sent.requestId }]);
    workers[1]!.emit({ type: 'trained', requestId: sent.requestId });
    await expect(training).resolves.toBe('trained');
  });

  it('forwards an abort that comes after the reload to the new worker as a cancel of the request it sent', async () => {
    const { bridge, workers } = await crashedMidRun();
    const abort = new AbortController();
    const next = bridge.run(['b'], abort.signal);
    workers[1]!.loaded();
    await flush();
    const sent = workers[1]!.last('run');
    abort.abort();
    expect(workers[1]!.last('cancel')).toEqual({ type: 'cancel', targetRequestId: sent.requestId });
    workers[1]!.emit({ type: 'ran', requestId: sent.requestId, cancelled: true });
    await expect(next).resolves.toEqual({ cancelled: true });
    // Settled: a later abort of the same signal sends nothing more.
    const count = workers[1]!.sent.length;
    abort.abort();
    expect(workers[1]!.sent).toHaveLength(count);
  });

  it('does not restart a worker that crashes again while it reloads: what waits fails, and the listener is told', async () => {
    const { bridge, workers, listeners } = await crashedMidRun();
    const waiting = bridge.run(['b']);
    workers[1]!.crash('Uncaught RangeError: Out of memory');
    await expect(waiting).rejects.toBeInstanceOf(WorkerRestartFailedError);
    await expect(waiting).rejects.toThrow('Out of memory');
    expect(workers).toHaveLength(2);
    expect(workers[1]!.terminated).toBe(true);
    expect(listeners.onCrash).toHaveBeenCalledOnce();
    expect(listeners.onRestartFailed).toHaveBeenCalledOnce();
    expect(listeners.onRestarted).not.toHaveBeenCalled();
    expect(bridge.restarting).toBe(false);
  });

  it('reports a reload that fails to load the model, and fails what waited for it', async () => {
    const { bridge, workers, listeners } = await crashedMidRun();
    const waiting = bridge.run(['b']);
    workers[1]!.emit({ type: 'loadFailed', requestId: workers[1]!.last('load').requestId, kind: 'unreachable', message: 'host down' });
    await expect(waiting).rejects.toBeInstanceOf(WorkerRestartFailedError);
    expect(listeners.onRestartFailed.mock.calls[0]![0].message).toContain('host down');
    // A later request goes to the worker as usual (it answers that no model is loaded).
    const later = bridge.run(['c']);
    expect(workers[1]!.last('run').items).toEqual(['c']);
    workers[1]!.emit({ type: 'failed', requestId: workers[1]!.last('run').requestId, message: 'No model is loaded yet.' });
    await expect(later).rejects.toThrow('No model is loaded yet.');
  });

  it('drops what waited for the old model when another model is loaded meanwhile', async () => {
    const { bridge, workers, listeners } = await crashedMidRun();
    const waiting = bridge.run(['b']);
    const other = bridge.load({ ...loadOptions, modelId: 'test-org/clip-shapes' });
    await expect(waiting).rejects.toBeInstanceOf(SupersededError);
    expect(workers[1]!.terminated).toBe(true);
    workers[2]!.emit({ type: 'loaded', requestId: workers[2]!.last('load').requestId, info: { ...info, modelId: 'test-org/clip-shapes' } });
    await other;
    await flush();
    expect(workers[2]!.types()).toEqual(['load']);
    expect(listeners.onRestarted).not.toHaveBeenCalled();
    expect(listeners.onRestartFailed).not.toHaveBeenCalled();
  });

  it('fails what waits when the bridge is terminated during the reload, with a StoppedError (nothing went wrong)', async () => {
    const { bridge, workers, listeners } = await crashedMidRun();
    const waiting = bridge.run(['b']);
    bridge.terminate();
    await expect(waiting).rejects.toBeInstanceOf(StoppedError);
    await expect(waiting).rejects.not.toBeInstanceOf(WorkerCrashedError);
    expect(workers[1]!.terminated).toBe(true);
    expect(listeners.onRestartFailed).not.toHaveBeenCalled();
  });

  it('ignores what a crashed worker still had queued for this side', async () => {
    const { workers, listeners } = await crashedMidRun();
    listeners.onStats.mockClear();
    workers[0]!.emit({ type: 'stats', stats: { runs: 99 } });
    workers[0]!.crash();
    expect(listeners.onStats).not.toHaveBeenCalled();
    expect(listeners.onCrash).toHaveBeenCalledOnce();
    workers[1]!.emit({ type: 'stats', stats: { runs: 0 } });
    expect(listeners.onStats).toHaveBeenCalledExactlyOnceWith({ runs: 0 });
  });

  it('sends at once, without a reload, when nothing crashed; an already aborted signal is answered without a request', async () => {
    const { bridge, workers } = await setup();
    const abort = new AbortController();
    abort.abort();
    await expect(bridge.run(['a'], abort.signal)).resolves.toEqual({ cancelled: true });
    expect(workers[0]!.types()).toEqual(['load']);
    const running = bridge.run(['a']);
    expect(workers[0]!.types()).toEqual(['load', 'run']);
    workers[0]!.emit({ type: 'ran', requestId: workers[0]!.last('run').requestId, cancelled: false });
    await expect(running).resolves.toEqual({ cancelled: false });
  });

  it('replaces a worker whose WebGPU was lost with one that loads the model on WASM, and keeps WASM after a later crash', async () => {
    const { bridge, workers, listeners } = await setup();
    const loading = bridge.load({ ...loadOptions, backend: 'webgpu' });
    workers[1]!.emit({ type: 'loaded', requestId: workers[1]!.last('load').requestId, info: { ...info, backend: 'webgpu' } });
    await loading;
    const running = bridge.run(['a', 'b']);
    const reason = 'WebGPU stopped working (the WebGPU device was lost: Device was destroyed.); switched to WebAssembly.';
    workers[1]!.emit({ type: 'webgpuLost', message: reason });
    await expect(running).rejects.toBeInstanceOf(WebGpuLostError);
    await expect(running).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(workers[1]!.terminated).toBe(true);
    expect(listeners.onCrash.mock.calls[0]![0].message).toBe(reason);
    expect(workers[2]!.last('load').backend).toBe('wasm');
    const next = bridge.run(['b']);
    workers[2]!.loaded();
    await flush();
    expect(listeners.onRestarted).toHaveBeenCalledExactlyOnceWith({ ...info, fallbackReason: reason }, expect.any(WebGpuLostError), false);
    expect(workers[2]!.last('run').items).toEqual(['b']);
    workers[2]!.emit({ type: 'ran', requestId: workers[2]!.last('run').requestId, cancelled: false });
    await next;
    workers[2]!.crash();
    expect(workers[3]!.last('load').backend).toBe('wasm');
  });

  it('restarts once more, on WASM, when WebGPU is lost while a crash restart reloads on it', async () => {
    const { bridge, workers, listeners } = await setup();
    const loading = bridge.load({ ...loadOptions, backend: 'webgpu' });
    workers[1]!.emit({ type: 'loaded', requestId: workers[1]!.last('load').requestId, info: { ...info, backend: 'webgpu' } });
    await loading;
    workers[1]!.crash();
    // A plain crash keeps the backend: the reload runs on WebGPU, and loses it.
    expect(workers[2]!.last('load').backend).toBe('webgpu');
    const waiting = bridge.run(['a']);
    const reason = 'WebGPU stopped working (the WebGPU device was lost); switched to WebAssembly.';
    workers[2]!.emit({ type: 'webgpuLost', message: reason });
    expect(workers[2]!.terminated).toBe(true);
    expect(workers).toHaveLength(4);
    expect(workers[3]!.last('load').backend).toBe('wasm');
    expect(bridge.restarting).toBe(true);
    workers[3]!.loaded();
    await flush();
    expect(listeners.onRestartFailed).not.toHaveBeenCalled();
    expect(listeners.onRestarted).toHaveBeenCalledExactlyOnceWith({ ...info, fallbackReason: reason }, expect.any(WebGpuLostError), false);
    expect(listeners.onCrash.mock.calls.map(([error]) => error.message)).toEqual([expect.stringContaining('boom'), reason]);
    // What waited goes to the WASM worker.
    workers[3]!.emit({ type: 'ran', requestId: workers[3]!.last('run').requestId, cancelled: false });
    await expect(waiting).resolves.toEqual({ cancelled: false });
    // On WASM a crash during the reload is not retried again.
    workers[3]!.crash();
    workers[4]!.crash();
    await flush();
    expect(workers).toHaveLength(5);
    expect(listeners.onRestartFailed).toHaveBeenCalledOnce();
  });

  it('a crash during the first load restarts it with its progress callback, and says the crash came during the load', async () => {
    const { bridge, workers, listeners } = await setup();
    const progress: number[] = [];
    const loading = bridge.load({ ...loadOptions, modelId: 'org/big', onProgress: (files) => progress.push(files.length) });
    workers[1]!.emit({ type: 'loadProgress', requestId: workers[1]!.last('load').requestId, files: [] });
    workers[1]!.crash();
    await expect(loading).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(workers[2]!.last('load').modelId).toBe('org/big');
    const file = { file: 'onnx/model.onnx', loaded: 1, total: 2, done: false };
    workers[2]!.emit({ type: 'loadProgress', requestId: workers[2]!.last('load').requestId, files: [file] });
    expect(progress).toEqual([0, 1]);
    workers[2]!.emit({ type: 'loaded', requestId: workers[2]!.last('load').requestId, info: { ...info, modelId: 'org/big' } });
    await flush();
    expect(listeners.onRestarted).toHaveBeenCalledExactlyOnceWith({ ...info, modelId: 'org/big' }, expect.any(WorkerCrashedError), true);
  });

  it('posts a debug fault to the running worker, with no reply expected', async () => {
    const { bridge, workers } = await setup();
    bridge.debugFault('crash');
    bridge.debugFault('loseGpuDevice');
    expect(workers[0]!.sent.slice(1)).toEqual([
      { type: 'debugFault', fault: 'crash' },
      { type: 'debugFault', fault: 'loseGpuDevice' },
    ]);
  });
});
