import { describe, expect, it } from 'vitest';
import { createUnpersistedStore } from '../../../store';
import { modelIdOf } from '../../../store/settingsSlice';
import type { LoadedModelInfo } from '../../../lib/workerReports';
import { StoppedError, WebGpuLostError, WorkerCrashedError, type LoadOptions } from './modelWorkerBridge';
import { TaskModelLoader, WORKER_RESTARTED_DURING_LOAD_NOTICE, WORKER_RESTARTED_NOTICE, bridgeListenersFor, type LoadingBridge } from './taskModelLoader';

const info = (modelId: string): LoadedModelInfo => ({ modelId, backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 1, warmupMs: 1 });

/** A bridge whose loads wait until the test settles them; terminate rejects the one under way, as the real one does. */
class FakeBridge implements LoadingBridge {
  readonly loads: Array<{ options: LoadOptions; resolve: (info: LoadedModelInfo) => void; reject: (error: Error) => void }> = [];
  terminated = 0;
  load(options: LoadOptions): Promise<LoadedModelInfo> {
    return new Promise((resolve, reject) => this.loads.push({ options, resolve, reject }));
  }
  terminate(): void {
    this.terminated++;
    for (const load of this.loads.splice(0)) load.reject(new StoppedError());
  }
}

function setUp() {
  const store = createUnpersistedStore();
  const bridge = new FakeBridge();
  const loader = new TaskModelLoader('image', store, bridge, 'http://app.test/', false, true, () => undefined);
  // What the controllers do: a changed model id means a load.
  store.subscribe((state, previous) => {
    if (loader.needsReload(state, previous)) void loader.load();
  });
  return { store, bridge, loader };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('TaskModelLoader.cancelModelLoad', () => {
  it('with no model ready before: stops the worker and says the load was cancelled, with the model to retry', async () => {
    const { store, bridge, loader } = setUp();
    store.getState().setTaskModelId('image', 'org/slow-model');
    await settle();
    expect(store.getState().models.image.status).toMatchObject({ state: 'loading', modelId: 'org/slow-model' });
    loader.cancelModelLoad();
    await settle();
    expect(bridge.terminated).toBe(1);
    expect(store.getState().models.image.status).toMatchObject({ state: 'error', kind: 'cancelled', modelId: 'org/slow-model' });
  });

  it('goes back to the model that was ready before, and offers to retry the cancelled one', async () => {
    const { store, bridge, loader } = setUp();
    void loader.load();
    bridge.loads[0]!.resolve(info('builtin/clip-shapes'));
    await settle();
    expect(store.getState().models.image.status.state).toBe('ready');

    store.getState().setTaskModelId('image', 'org/slow-model');
    await settle();
    loader.cancelModelLoad();
    await settle();
    expect(modelIdOf(store.getState(), 'image')).toBe('builtin/clip-shapes');
    expect(store.getState().models.image.notice).toMatchObject({ retryModelId: 'org/slow-model' });
    // The previous model loads again (from the cache); the cancelled load's late failure changes nothing.
    expect(bridge.loads.map((l) => l.options.modelId)).toEqual(['builtin/clip-shapes']);
    bridge.loads[0]!.resolve(info('builtin/clip-shapes'));
    await settle();
    expect(store.getState().models.image.status).toMatchObject({ state: 'ready', modelId: 'builtin/clip-shapes' });
  });

  it('does nothing when no load is under way', async () => {
    const { store, bridge, loader } = setUp();
    void loader.load();
    bridge.loads[0]!.resolve(info('builtin/clip-shapes'));
    await settle();
    loader.cancelModelLoad();
    expect(bridge.terminated).toBe(0);
    expect(store.getState().models.image.status.state).toBe('ready');
  });
});

describe('TaskModelLoader after a crash restart', () => {
  it('a cancel goes back to the model a crash restart brought back, not to the one ready before it', async () => {
    const { store, bridge, loader } = setUp();
    const listeners = bridgeListenersFor(store, 'image', () => undefined);
    void loader.load();
    bridge.loads.shift()!.resolve(info('builtin/clip-shapes'));
    await settle();
    // B's first load crashes; the bridge's restart brings B back (the loader's own load gave up).
    store.getState().setTaskModelId('image', 'org/model-b');
    await settle();
    const crash = new WorkerCrashedError('boom');
    listeners.onCrash(crash);
    bridge.loads.shift()!.reject(crash);
    listeners.onRestarted(info('org/model-b'), crash, true);
    await settle();
    expect(store.getState().models.image.status).toMatchObject({ state: 'ready', modelId: 'org/model-b' });

    store.getState().setTaskModelId('image', 'org/model-c');
    await settle();
    loader.cancelModelLoad();
    await settle();
    expect(modelIdOf(store.getState(), 'image')).toBe('org/model-b');
    expect(store.getState().models.image.notice).toMatchObject({ text: 'Stopped loading org/model-c; back to org/model-b.', retryModelId: 'org/model-c' });
  });
});

describe('bridgeListenersFor', () => {
  it('after a restart: says whether the crash came during the load, and appends a fall-back reason rather than dropping it', () => {
    const store = createUnpersistedStore();
    const listeners = bridgeListenersFor(store, 'image', () => undefined);
    const crash = new WorkerCrashedError('boom');
    listeners.onRestarted(info('org/m'), crash, true);
    expect(store.getState().models.image.notice?.text).toBe(WORKER_RESTARTED_DURING_LOAD_NOTICE);
    listeners.onRestarted({ ...info('org/m'), fallbackReason: 'WebGPU is not available here; WebAssembly is used.' }, crash, false);
    expect(store.getState().models.image.notice?.text).toBe(`${WORKER_RESTARTED_NOTICE} WebGPU is not available here; WebAssembly is used.`);
    // A lost GPU: its reason alone.
    listeners.onRestarted({ ...info('org/m'), fallbackReason: 'WebGPU stopped working.' }, new WebGpuLostError('WebGPU stopped working.'), false);
    expect(store.getState().models.image.notice?.text).toBe('WebGPU stopped working.');
  });
});
