import type { StateCreator } from 'zustand';
import { DEFAULT_TEMPLATE } from '../lib/labels';
import type { BackendPreference } from '../lib/urlState';
import { DEFAULT_MODEL_ID } from '../features/models/shared/catalog';
import type { AppState } from './index';

export const HUGGING_FACE_HUB = 'https://huggingface.co/';
export const DEFAULT_LABELS_TEXT = 'red circle\nblue square\ngreen triangle\nyellow star\npurple cross';

/** What persists across visits (and nothing else: media and results are per session for now). */
export interface Settings {
  modelId: string;
  backendPreference: BackendPreference;
  hubHost: string;
  template: string;
  labelsText: string;
}

export interface SettingsSlice extends Settings {
  setModelId: (modelId: string) => void;
  setBackendPreference: (backend: BackendPreference) => void;
  setHubHost: (host: string) => void;
  setTemplate: (template: string) => void;
  setLabelsText: (text: string) => void;
  applySettings: (settings: Partial<Settings>) => void;
}

export const DEFAULT_SETTINGS: Settings = {
  modelId: DEFAULT_MODEL_ID,
  backendPreference: 'auto',
  hubHost: HUGGING_FACE_HUB,
  template: DEFAULT_TEMPLATE,
  labelsText: DEFAULT_LABELS_TEXT,
};

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  ...DEFAULT_SETTINGS,
  setModelId: (modelId) => set({ modelId }),
  setBackendPreference: (backendPreference) => set({ backendPreference }),
  setHubHost: (hubHost) => set({ hubHost }),
  setTemplate: (template) => set({ template }),
  setLabelsText: (labelsText) => set({ labelsText }),
  applySettings: (settings) => set(settings),
});
