import { create, createStore, type StateCreator, type StoreApi } from 'zustand';
import { createJSONStorage, persist, type StateStorage } from 'zustand/middleware';
import { createAudioItemsSlice, type AudioItemsSlice } from './audioItemsSlice';
import { createItemsSlice, type ItemsSlice } from './itemsSlice';
import { createLabSlice, type LabSlice } from './labSlice';
import { createLiveSlice, type LiveSlice } from './liveSlice';
import { createModelSlice, type ModelSlice } from './modelSlice';
import { createReviewSlice, type ReviewSlice } from './reviewSlice';
import { DEFAULT_SETTINGS, createSettingsSlice, settingsOf, storedSettings, type SettingsSlice } from './settingsSlice';
import { createWorkspaceSlice, type WorkspaceSlice } from './workspaceSlice';

export type AppState = SettingsSlice & ModelSlice & ItemsSlice & AudioItemsSlice & ReviewSlice & WorkspaceSlice & LabSlice & LiveSlice;

export const SETTINGS_STORAGE_KEY = 'zero-shot-playground/settings';
/**
 * 2 added the audio task's settings (a version-1 record keeps its image settings and gains audio
 * defaults); 3 added the saved templates (an older record gains an empty list); 4 added the image
 * resize mode (an older record gets the exact path).
 */
export const SETTINGS_VERSION = 4;

/**
 * persist writes on every store change (each batch of results, each progress tick), but the
 * settings rarely change: a write identical to the last one is skipped.
 */
export function skippingUnchangedWrites(storage: StateStorage): StateStorage {
  const lastWritten = new Map<string, string>();
  return {
    getItem: (name) => storage.getItem(name),
    setItem: (name, value) => {
      if (lastWritten.get(name) === value) return;
      lastWritten.set(name, value);
      return storage.setItem(name, value);
    },
    removeItem: (name) => {
      lastWritten.delete(name);
      return storage.removeItem(name);
    },
  };
}

/** Every slice, combined: the app's store wraps this in its middleware; tests make plain stores of it. */
const createAppState: StateCreator<AppState> = (...args) => ({
  ...createSettingsSlice(...args),
  ...createModelSlice(...args),
  ...createItemsSlice(...args),
  ...createAudioItemsSlice(...args),
  ...createReviewSlice(...args),
  ...createWorkspaceSlice(...args),
  ...createLabSlice(...args),
  ...createLiveSlice(...args),
});

/** A store of the app's state without the middleware (no localStorage): one per test, nothing shared. */
export function createUnpersistedStore(): StoreApi<AppState> {
  return createStore<AppState>()(createAppState);
}

/** Middleware sits on the combined store only; only the settings are persisted here (workspaces live in IndexedDB, see features/workspace). */
export const useAppStore = create<AppState>()(
  persist(
    (...args) => createAppState(...args),
    {
      name: SETTINGS_STORAGE_KEY,
      version: SETTINGS_VERSION,
      storage: createJSONStorage(() => skippingUnchangedWrites(localStorage)),
      partialize: (state) => settingsOf(state),
      // Version 1 had the image settings only, version 2 no saved templates, version 3 no resize mode: what they have is kept,
      // and the rest gets its defaults (storedSettings fills in what is missing). A newer version's record may mean anything else.
      migrate: (persisted, version) => (version <= SETTINGS_VERSION ? storedSettings(persisted) : { ...DEFAULT_SETTINGS }),
      // Every record is checked, the current version's too (persist only migrates other versions):
      // a hand-edited field of the wrong type gets its default instead of reaching the store.
      merge: (persisted, current) => (persisted === undefined ? current : { ...current, ...storedSettings(persisted) }),
    },
  ),
);
