import { describe, expect, it, vi } from 'vitest';
import type { WorkerEvent, WorkerRequest } from '../shared/protocol';
import { ClipBridge, ModelLoadFailure, SupersededError, WorkerCrashedError } from './clipBridge';

class FakeWorker {
  readonly sent: WorkerRequest[] = [];
  readonly transfers: Transferable[][] = [];
  onmessage: ((message: MessageEvent<WorkerEvent>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  onmessageerror: (() => void) | null = null;
  terminated = false;
  postMessage(request: WorkerRequest, transfer: Transferable[] = []) {
    this.sent.push(request);
    this.transfers.push(transfer);
  }
  terminate() {
    this.terminated = true;
  }
  emit(event: WorkerEvent) {
    this.onmessage?.({ data: event } as MessageEvent<WorkerEvent>);
  }
  crash() {
    this.onerror?.({ preventDefault: () => undefined } as ErrorEvent);
  }
  last<T extends WorkerRequest['type']>(type: T): Extract<WorkerRequest, { type: T }> {
    const found = [...this.sent].reverse().find((r) => r.type === type);
    if (!found) throw new Error(`no ${type} sent`);
    return found as Extract<WorkerRequest, { type: T }>;
  }
}

function setup() {
  const workers: FakeWorker[] = [];
  const onCrash = vi.fn();
  const bridge = new ClipBridge(
    () => {
      const worker = new FakeWorker();
      workers.push(worker);
      return worker as unknown as Worker;
    },
    { onCrash },
  );
  return { bridge, workers, onCrash };
}

const loadOptions = { modelId: 'builtin/clip-shapes', source: { kind: 'builtin', baseUrl: '/' }, backend: 'wasm', keepInputsForDebug: false } as const;
const info = { modelId: 'builtin/clip-shapes', backend: 'wasm', dtype: 'fp32', threads: 2, loadMs: 1, warmupMs: 1 } as const;

async function flush() {
  await new Promise((resolve) => setTimeout(resolve, 0));
}

describe('ClipBridge', () => {
  it('starts the worker lazily, forwards progress and resolves the load', async () => {
    const { bridge, workers } = setup();
    expect(workers).toHaveLength(0);
    const onProgress = vi.fn();
    const loading = bridge.load({ ...loadOptions, onProgress });
    expect(workers).toHaveLength(1);
    const { requestId } = workers[0]!.last('load');
    workers[0]!.emit({ type: 'loadProgress', requestId, files: [{ file: 'config.json', loaded: 1, total: 2, done: false }] });
    workers[0]!.emit({ type: 'loaded', requestId, info });
    await expect(loading).resolves.toEqual(info);
    expect(onProgress).toHaveBeenCalledOnce();
  });

  it('gives each model load a fresh worker and drops what the old one was doing', async () => {
    const { bridge, workers } = setup();
    const first = bridge.load(loadOptions);
    const second = bridge.load({ ...loadOptions, modelId: 'test-org/clip-shapes' });
    expect(workers).toHaveLength(2);
    expect(workers[0]!.terminated).toBe(true);
    await expect(first).rejects.toBeInstanceOf(SupersededError);
    workers[1]!.emit({ type: 'loaded', requestId: workers[1]!.last('load').requestId, info });
    await expect(second).resolves.toEqual(info);
  });

  it('rejects a failed load with its kind', async () => {
    const { bridge, workers } = setup();
    const loading = bridge.load(loadOptions);
    workers[0]!.emit({ type: 'loadFailed', requestId: workers[0]!.last('load').requestId, kind: 'not-found', message: '404' });
    await expect(loading).rejects.toBeInstanceOf(ModelLoadFailure);
    await expect(loading).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('streams item results and sends a cancel for the right request when aborted', async () => {
    const { bridge, workers } = setup();
    const abort = new AbortController();
    const onItem = vi.fn();
    const running = bridge.classify({ classPrompts: [['a photo of a cat.']], head: null, resizeMode: 'exact' }, [{ itemId: 'i1', contentHash: 'h1', image: new Blob(['x']) }], {
      signal: abort.signal,
      onItem,
    });
    await flush();
    const worker = workers[0]!;
    const { requestId } = worker.last('classify');
    worker.emit({ type: 'itemResult', requestId, itemId: 'i1', contentHash: 'h1', outcome: { ok: true, scores: new Float32Array([1]), similarities: new Float32Array([0.3]), classifier: 'zero-shot', embeddedNow: true, width: 1, height: 1 } });
    abort.abort();
    expect(worker.last('cancel')).toEqual({ type: 'cancel', targetRequestId: requestId });
    worker.emit({ type: 'classified', requestId, cancelled: true });
    await expect(running).resolves.toEqual({ cancelled: true });
    expect(onItem).toHaveBeenCalledWith('i1', 'h1', expect.objectContaining({ ok: true }));
  });

  it('after a crash rejects what was pending, restarts the worker and reloads the last model first', async () => {
    const { bridge, workers, onCrash } = setup();
    const loading = bridge.load(loadOptions);
    workers[0]!.emit({ type: 'loaded', requestId: workers[0]!.last('load').requestId, info });
    await loading;
    const running = bridge.classify({ classPrompts: [['p']], head: null, resizeMode: 'exact' }, []);
    await flush();
    workers[0]!.crash();
    await expect(running).rejects.toBeInstanceOf(WorkerCrashedError);
    expect(onCrash).toHaveBeenCalledOnce();
    expect(workers[0]!.terminated).toBe(true);

    // A fresh worker reloads the same model, and the next classify waits for it.
    expect(workers).toHaveLength(2);
    const reload = workers[1]!.last('load');
    expect(reload.modelId).toBe('builtin/clip-shapes');
    const next = bridge.classify({ classPrompts: [['p']], head: null, resizeMode: 'exact' }, []);
    await flush();
    expect(workers[1]!.sent.map((r) => r.type)).toEqual(['load']);
    workers[1]!.emit({ type: 'loaded', requestId: reload.requestId, info });
    await flush();
    const classify = workers[1]!.last('classify');
    workers[1]!.emit({ type: 'classified', requestId: classify.requestId, cancelled: false });
    await expect(next).resolves.toEqual({ cancelled: false });
  });

  it('sends a lab request, forwards its progress, cancels it on abort and resolves with its terminal reply', async () => {
    const { bridge, workers } = setup();
    const abort = new AbortController();
    const onProgress = vi.fn();
    const request = { labels: ['a', 'b'], alternatives: [['a'], ['b']], templates: ['{}'], items: [], maxFolds: 5, seed: 1, audio: null, imageEmbedding: { resizeMode: 'native' as const } };
    const running = bridge.gridSearch(request, { signal: abort.signal, onProgress });
    await flush();
    const worker = workers[0]!;
    const sent = worker.last('labGridSearch');
    expect(sent).toMatchObject({ ...request, type: 'labGridSearch' });
    worker.emit({ type: 'labProgress', requestId: sent.requestId, stage: 'Embedding prompts', done: 1, total: 2 });
    expect(onProgress).toHaveBeenCalledWith({ stage: 'Embedding prompts', done: 1, total: 2 });
    abort.abort();
    expect(worker.last('cancel')).toEqual({ type: 'cancel', targetRequestId: sent.requestId });
    worker.emit({ type: 'labGridResult', requestId: sent.requestId, result: null });
    await expect(running).resolves.toBeNull();
  });

  it('moves an imported head\'s buffers to the worker and rejects with the worker\'s message when it refuses it', async () => {
    const { bridge, workers } = setup();
    const head = { kind: 'knn', classes: 2, dim: 3, k: 1, keys: new Float32Array(6), keyLabels: new Int32Array([0, 1]) } as const;
    const importing = bridge.importHead('h1', head, 'image');
    await flush();
    const worker = workers[0]!;
    const sent = worker.last('labImportHead');
    expect(sent.head).toBe(head);
    expect(worker.transfers[worker.sent.indexOf(sent)]).toEqual([head.keys.buffer, head.keyLabels.buffer]);
    worker.emit({ type: 'failed', requestId: sent.requestId, message: 'This head reads 3-dimensional embeddings' });
    await expect(importing).rejects.toThrow('3-dimensional');
  });

  it('answers a failed request instead of leaving it hanging', async () => {
    const { bridge, workers } = setup();
    const pixels = bridge.debugPixels('h');
    workers[0]!.emit({ type: 'failed', requestId: workers[0]!.last('debugPixels').requestId, message: 'boom' });
    await expect(pixels).rejects.toThrow('boom');
  });
});

describe('ClipBridge live frames', () => {
  it('moves the frame to the worker and settles on its frameResult', async () => {
    const { bridge, workers } = setup();
    void bridge.load(loadOptions);
    const worker = workers[0]!;
    worker.emit({ type: 'loaded', requestId: worker.last('load').requestId, info });
    await flush();
    const frame = { width: 4, height: 3, close: () => undefined };
    const scoring = bridge.classifyFrame({ classPrompts: [['a photo of a red.']], head: null, resizeMode: 'exact' }, frame);
    const request = worker.last('classifyFrame');
    expect(request.frame).toBe(frame);
    expect(worker.transfers.at(-1)).toEqual([frame]);
    const scores = Float32Array.of(1);
    worker.emit({ type: 'frameResult', requestId: request.requestId, scores, similarities: Float32Array.of(0.3), classifier: 'zero-shot', width: 4, height: 3, inferenceMs: 5 });
    await expect(scoring).resolves.toMatchObject({ scores, width: 4, height: 3, inferenceMs: 5 });
  });

  it('a frame parked while the worker restarts resolves to null on abort and is never sent, so a stopped live session scores nothing', async () => {
    const { bridge, workers } = setup();
    const loading = bridge.load(loadOptions);
    workers[0]!.emit({ type: 'loaded', requestId: workers[0]!.last('load').requestId, info });
    await loading;
    workers[0]!.crash();
    expect(workers).toHaveLength(2);
    const abort = new AbortController();
    const frame = { width: 4, height: 3, close: () => undefined };
    const scoring = bridge.classifyFrame({ classPrompts: [['a photo of a red.']], head: null, resizeMode: 'exact' }, frame, abort.signal);
    abort.abort();
    await expect(scoring).resolves.toBeNull();
    // The reload finishes: nothing was waiting any more, so no frame reaches the new worker.
    workers[1]!.emit({ type: 'loaded', requestId: workers[1]!.last('load').requestId, info });
    await flush();
    expect(workers[1]!.sent.map((r) => r.type)).not.toContain('classifyFrame');
    // Already aborted: not even queued.
    await expect(bridge.classifyFrame({ classPrompts: [['p']], head: null, resizeMode: 'exact' }, frame, abort.signal)).resolves.toBeNull();
    expect(workers[1]!.sent.map((r) => r.type)).not.toContain('classifyFrame');
  });

  it('gives the debug slow-model delay to the worker, and again to the one a model load starts', async () => {
    const { bridge, workers } = setup();
    // The second load supersedes the first.
    bridge.load(loadOptions).catch(() => undefined);
    bridge.debugSlowModel(400);
    expect(workers[0]!.sent).toContainEqual({ type: 'debugSlowModel', delayMs: 400 });
    void bridge.load(loadOptions);
    expect(workers[1]!.sent[0]).toEqual({ type: 'debugSlowModel', delayMs: 400 });
  });
});
