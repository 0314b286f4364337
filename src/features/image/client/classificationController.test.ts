import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand';
import type { LoadedModelInfo } from '../../../lib/workerReports';
import { createUnpersistedStore, type AppState } from '../../../store';
import type { ActiveHead } from '../../../store/labSlice';
import { StoppedError, WorkerCrashedError, type LoadOptions } from '../../models';
import type { ClassifyItem } from '../shared/protocol';
import type { ClassifyOptions, ClassifyQuery } from './clipBridge';
import { CRASHING_ITEM_ERROR, ClassificationController, HEAD_LOST_NOTICE, currentQuery, type ClipClassifyBridge } from './classificationController';
import { newImageItem } from './prepareImages';

const SETTLE_MS = 5_000;

/** The worker's stand-in: records each classify request; answers with the head's kind only for heads it holds. */
class FakeClip implements ClipClassifyBridge {
  readonly requests: ClassifyQuery[] = [];
  readonly heldHeads = new Set<string>();

  load(options: LoadOptions): Promise<LoadedModelInfo> {
    return Promise.resolve({ modelId: options.modelId, backend: 'wasm', dtype: 'fp32', threads: 1, loadMs: 0, warmupMs: 0 });
  }

  classify(query: ClassifyQuery, items: ClassifyItem[], options: ClassifyOptions = {}): Promise<{ cancelled: boolean }> {
    this.requests.push(query);
    const classes = query.classPrompts.length;
    const kind = query.head && this.heldHeads.has(query.head.headId) ? 'knn' : 'zero-shot';
    for (const item of items)
      options.onItem?.(item.itemId, item.contentHash, {
        ok: true,
        scores: Float32Array.from({ length: classes }, (_, c) => (c === 0 ? 0.75 : 0.25 / (classes - 1))),
        similarities: Float32Array.from({ length: classes }, (_, c) => 0.3 - c / 10),
        classifier: kind,
        embeddedNow: false,
        width: 4,
        height: 4,
      });
    return Promise.resolve({ cancelled: false });
  }

  debugPixels(): Promise<null> {
    return Promise.resolve(null);
  }

  terminate(): void {}
}

function activeHead(state: AppState, patch: Partial<ActiveHead> = {}): ActiveHead {
  const status = state.models.image.status;
  return {
    headId: 'head-1', kind: 'knn', modelId: status.state === 'ready' ? status.info.modelId : '', labels: ['red', 'blue'], dim: 4,
    chosen: { k: 1 }, cvAccuracy: null, heldOutAccuracy: null, zeroShotHeldOutAccuracy: null, examples: 4, source: 'truth',
    inUse: true, zeroShotWeight: 0.25, ...patch,
  };
}

describe('ClassificationController with heads', () => {
  let store: StoreApi<AppState>;
  let clip: FakeClip;
  let stop: () => void;

  beforeEach(async () => {
    vi.useFakeTimers();
    store = createUnpersistedStore();
    store.setState({ task: 'image', labelsText: 'red: a red thing | crimson, blue', template: 'a photo of a {}.\na drawing of a {}.' });
    clip = new FakeClip();
    stop = new ClassificationController(store, clip, '/', false, false).start();
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(store.getState().models.image.status.state).toBe('ready');
    const item = { ...newImageItem(new File(['x'], 'one.png', { type: 'image/png' })), contentHash: 'hash-1' };
    store.getState().addItems([item]);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
  });

  afterEach(() => {
    stop();
    vi.useRealTimers();
  });

  const onlyItem = () => Object.values(store.getState().items)[0]!;

  it('sends every label\'s templates × prompts, and fills the raw cosines and the classifier in', () => {
    expect(clip.requests.at(-1)).toMatchObject({
      classPrompts: [
        ['a photo of a a red thing.', 'a photo of a crimson.', 'a drawing of a a red thing.', 'a drawing of a crimson.'],
        ['a photo of a blue.', 'a drawing of a blue.'],
      ],
      head: null,
    });
    expect(onlyItem().classifier).toBe('zero-shot');
    expect(onlyItem().predictions.map((p) => [p.label, p.similarity])).toEqual([['red', Math.fround(0.3)], ['blue', Math.fround(0.2)]]);
  });

  it('a head in use for this model and these labels re-ranks the items with it; a weight change re-ranks again', async () => {
    clip.heldHeads.add('head-1');
    store.getState().setHead('image', activeHead(store.getState()));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.requests.at(-1)!.head).toEqual({ headId: 'head-1', zeroShotWeight: 0.25 });
    expect(onlyItem().classifier).toBe('knn');

    store.getState().updateHead('image', { zeroShotWeight: 0.5 });
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.requests.at(-1)!.head).toEqual({ headId: 'head-1', zeroShotWeight: 0.5 });

    store.getState().updateHead('image', { inUse: false });
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.requests.at(-1)!.head).toBeNull();
    expect(onlyItem().classifier).toBe('zero-shot');
  });

  it('a switch of resize path re-ranks on the native embeddings; the exact key is the one it always was', async () => {
    const state = store.getState();
    const exactKey = currentQuery(state).key;
    expect(exactKey.split('\u0000', 1)[0]).toBe('builtin/clip-shapes@wasm');
    expect(currentQuery({ ...state, imageResizeMode: 'native' }).key).toBe(exactKey.replace('builtin/clip-shapes@wasm', 'builtin/clip-shapes@wasm|resize:native'));
    const before = clip.requests.length;
    store.getState().setImageResizeMode('native');
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.requests.length).toBe(before + 1);
    expect(clip.requests.at(-1)!.resizeMode).toBe('native');
  });

  it('a head for other labels or another model is not used', () => {
    const state = store.getState();
    expect(currentQuery({ ...state, heads: { ...state.heads, image: activeHead(state, { labels: ['red', 'green'] }) } }).head).toBeNull();
    expect(currentQuery({ ...state, heads: { ...state.heads, image: activeHead(state, { modelId: 'other/model' }) } }).head).toBeNull();
    expect(currentQuery({ ...state, heads: { ...state.heads, image: activeHead(state) } }).head).toEqual({ headId: 'head-1', zeroShotWeight: 0.25 });
  });

  it('a head the worker no longer holds is cleared, with a notice, and the items go back to zero-shot', async () => {
    store.getState().setHead('image', activeHead(store.getState()));
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.requests.some((request) => request.head?.headId === 'head-1')).toBe(true);
    expect(store.getState().heads.image).toBeNull();
    expect(store.getState().models.image.notice).toEqual({ text: HEAD_LOST_NOTICE });
    expect(clip.requests.at(-1)!.head).toBeNull();
    expect(onlyItem().classifier).toBe('zero-shot');
  });
});

/** A worker that crashes: each classify answers the first `answers[call]` items it is given, then crashes (no entry: answers all). */
class CrashingClip extends FakeClip {
  readonly sentItems: string[][] = [];
  constructor(private readonly answers: number[]) {
    super();
  }

  override classify(query: ClassifyQuery, items: ClassifyItem[], options: ClassifyOptions = {}): Promise<{ cancelled: boolean }> {
    const call = this.sentItems.length;
    this.sentItems.push(items.map((item) => item.itemId));
    const answered = this.answers[call];
    if (answered === undefined) return super.classify(query, items, options);
    void super.classify(query, items.slice(0, answered), options);
    return Promise.reject(new WorkerCrashedError('Uncaught Error: boom'));
  }
}

describe('ClassificationController after a worker crash', () => {
  let store: StoreApi<AppState>;
  let stop: () => void;

  async function start(clip: CrashingClip): Promise<string[]> {
    vi.useFakeTimers();
    store = createUnpersistedStore();
    store.setState({ task: 'image', labelsText: 'red\nblue' });
    stop = new ClassificationController(store, clip, '/', false, false).start();
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    const items = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ ...newImageItem(new File([name], `${name}.png`, { type: 'image/png' })), contentHash: `hash-${name}` }));
    store.getState().addItems(items);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    return items.map((item) => item.id);
  }

  afterEach(() => {
    stop();
    vi.useRealTimers();
  });

  it('sends again exactly the items that had no result, once, and ends with every item ranked and no bar', async () => {
    const clip = new CrashingClip([2]);
    const ids = await start(clip);
    expect(clip.sentItems).toEqual([ids, ids.slice(2)]);
    expect(ids.map((id) => store.getState().items[id]!.state)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(store.getState().batch).toBeNull();
  });

  it('a run dropped because the worker was stopped (a cancelled load) leaves no notice of its own', async () => {
    const clip = new CrashingClip([]);
    clip.classify = () => Promise.reject(new StoppedError());
    await start(clip);
    expect(store.getState().models.image.notice).toBeNull();
    expect(store.getState().batch).toBeNull();
  });

  it('fails the items left after two restarts in a row that answered nothing, instead of crashing the worker for ever', async () => {
    const clip = new CrashingClip([1, 0, 0]);
    const ids = await start(clip);
    expect(clip.sentItems).toEqual([ids, ids.slice(1), ids.slice(1)]);
    const states = ids.map((id) => store.getState().items[id]!);
    expect(states[0]!.state).toBe('done');
    for (const item of states.slice(1)) expect(item).toMatchObject({ state: 'error', error: CRASHING_ITEM_ERROR });
    expect(store.getState().batch).toBeNull();
    // Failed items are not asked for again by later passes.
    store.getState().setModelNotice('image', null);
    await vi.advanceTimersByTimeAsync(SETTLE_MS);
    expect(clip.sentItems).toHaveLength(3);
  });
});
