import { create } from 'zustand';
import { createJSONStorage, persist } from 'zustand/middleware';
import { createItemsSlice, type ItemsSlice } from './itemsSlice';
import { createModelSlice, type ModelSlice } from './modelSlice';
import { createSettingsSlice, type Settings, type SettingsSlice } from './settingsSlice';

export type AppState = SettingsSlice & ModelSlice & ItemsSlice;

export const SETTINGS_STORAGE_KEY = 'zero-shot-playground/settings';
export const SETTINGS_VERSION = 1;

/** Middleware sits on the combined store only; only the settings are persisted. */
export const useAppStore = create<AppState>()(
  persist(
    (...args) => ({
      ...createSettingsSlice(...args),
      ...createModelSlice(...args),
      ...createItemsSlice(...args),
    }),
    {
      name: SETTINGS_STORAGE_KEY,
      version: SETTINGS_VERSION,
      storage: createJSONStorage(() => localStorage),
      partialize: (state): Settings => ({
        modelId: state.modelId,
        backendPreference: state.backendPreference,
        hubHost: state.hubHost,
        template: state.template,
        labelsText: state.labelsText,
      }),
    },
  ),
);
