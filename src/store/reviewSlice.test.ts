import { beforeEach, describe, expect, it } from 'vitest';
import { useAppStore } from './index';
import type { ImageItem } from './itemsSlice';

function imageItem(id: string, top: string): ImageItem {
  return {
    id,
    name: `${id}.png`,
    path: `${id}.png`,
    truth: null,
    decision: 'none',
    finalLabel: null,
    blob: new Blob(),
    contentHash: id,
    state: 'done',
    error: null,
    predictions: [
      { label: top, score: 0.8 },
      { label: 'other', score: 0.2 },
    ],
    rankedPromptsKey: 'k',
    classifier: 'zero-shot',
    width: 1,
    height: 1,
  };
}

const decisions = () => Object.fromEntries(useAppStore.getState().itemOrder.map((id) => [id, useAppStore.getState().items[id]?.decision]));

describe('review slice', () => {
  beforeEach(() => {
    useAppStore.setState({ items: {}, itemOrder: [] });
    useAppStore.getState().resetReview('image');
    useAppStore.getState().addItems([imageItem('a', 'cat'), imageItem('b', 'dog'), imageItem('c', 'cat')]);
  });

  it('applies a bulk decision as one undo step, and undoes it', () => {
    const state = useAppStore.getState();
    expect(state.review('image', ['a'], { kind: 'accept' })).toBe(1);
    expect(state.review('image', ['a', 'b', 'c'], { kind: 'pick', label: 'other' })).toBe(3);
    expect(decisions()).toEqual({ a: 'overridden', b: 'overridden', c: 'overridden' });
    state.undoReview('image');
    expect(decisions()).toEqual({ a: 'accepted', b: 'none', c: 'none' });
    expect(useAppStore.getState().items.a?.finalLabel).toBe('cat');
    state.undoReview('image');
    expect(decisions()).toEqual({ a: 'none', b: 'none', c: 'none' });
    state.undoReview('image'); // nothing left: no change, no error
    expect(useAppStore.getState().reviews.image.undo).toHaveLength(0);
  });

  it('records no undo step when nothing changes', () => {
    const state = useAppStore.getState();
    state.review('image', ['a'], { kind: 'accept' });
    expect(state.review('image', ['a', 'missing'], { kind: 'accept' })).toBe(0);
    expect(useAppStore.getState().reviews.image.undo).toHaveLength(1);
  });

  it('sets ground truth without touching decisions, and clearing items forgets the review', () => {
    const state = useAppStore.getState();
    state.review('image', ['b'], { kind: 'reject' });
    state.setTruths('image', new Map([['b', 'dog']]));
    expect(useAppStore.getState().items.b).toMatchObject({ truth: 'dog', decision: 'rejected' });
    state.focusItem('image', 'b');
    state.clearItems();
    expect(useAppStore.getState().reviews.image).toMatchObject({ focusedId: null, undo: [] });
  });
});

describe('settings storage', () => {
  it('skips a write identical to the last one', async () => {
    const { skippingUnchangedWrites } = await import('./index');
    const writes: string[] = [];
    const storage = skippingUnchangedWrites({ getItem: () => null, setItem: (_name, value) => void writes.push(value), removeItem: () => undefined });
    storage.setItem('k', 'a');
    storage.setItem('k', 'a');
    storage.setItem('k', 'b');
    storage.removeItem('k');
    storage.setItem('k', 'b');
    expect(writes).toEqual(['a', 'b', 'b']);
  });
});

describe('settings records', () => {
  it('localStorage keeps every setting; a workspace keeps all but the device choices (backend, host, saved templates, image resize path)', async () => {
    const { DEFAULT_SETTINGS, settingsOf, workspaceSettingsOf } = await import('./settingsSlice');
    const state = { ...DEFAULT_SETTINGS, items: {}, unrelated: 1 };
    expect(settingsOf(state)).toEqual(DEFAULT_SETTINGS);
    const { backendPreference: _backend, hubHost: _host, savedTemplates: _templates, imageResizeMode: _resize, dtypePreference: _dtype, ...workspace } = DEFAULT_SETTINGS;
    expect(workspaceSettingsOf(state)).toEqual(workspace);
  });
});
