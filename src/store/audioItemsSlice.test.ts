import { describe, expect, it } from 'vitest';
import { newAudioItem } from '../features/audio/client/newAudioItem';
import { createUnpersistedStore } from './index';

const testStore = createUnpersistedStore;

describe('updateAudioItems', () => {
  it('applies many patches and the batch fields in one update, and nothing at all when there is nothing to change', () => {
    const store = testStore();
    const [a, b] = [newAudioItem(new File(['a'], 'a.wav')), newAudioItem(new File(['b'], 'b.wav'))];
    store.getState().addAudioItems([a, b]);
    let updates = 0;
    store.subscribe(() => (updates += 1));

    store.getState().updateAudioItems(new Map());
    expect(updates).toBe(0);

    store.getState().updateAudioItems(
      new Map([
        [a.id, { state: 'pending', contentHash: 'ha' }],
        [b.id, { state: 'error', error: 'bad' }],
        ['removed-meanwhile', { state: 'done' }],
      ]),
      { audioBatch: { done: 1, total: 2 } },
    );
    expect(updates).toBe(1);
    const state = store.getState();
    expect(state.audioItems[a.id]).toMatchObject({ state: 'pending', contentHash: 'ha', name: 'a.wav' });
    expect(state.audioItems[b.id]).toMatchObject({ state: 'error', error: 'bad' });
    expect(state.audioItems['removed-meanwhile']).toBeUndefined();
    expect(state.audioBatch).toEqual({ done: 1, total: 2 });

    // Batch fields alone still land, without copying the clips record.
    const before = state.audioItems;
    store.getState().updateAudioItems(new Map(), { audioBatch: null, appliedCalibration: 'prior' });
    expect(updates).toBe(2);
    expect(store.getState().audioItems).toBe(before);
    expect(store.getState()).toMatchObject({ audioBatch: null, appliedCalibration: 'prior' });
  });
});
