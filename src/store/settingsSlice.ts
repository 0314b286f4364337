import type { StateCreator } from 'zustand';
import { DEFAULT_WHISPER_TEMPLATE, type Calibration, type TokenAggregation } from '../lib/audioScoring';
import { DEFAULT_TEMPLATE } from '../lib/labels';
import type { BackendPreference } from '../lib/urlState';
import { DEFAULT_AUDIO_MODEL_ID, DEFAULT_MODEL_ID, type Task } from '../features/models/shared/catalog';
import type { AppState } from './index';

export const HUGGING_FACE_HUB = 'https://huggingface.co/';
export const DEFAULT_LABELS_TEXT = 'red circle\nblue square\ngreen triangle\nyellow star\npurple cross';
export const DEFAULT_AUDIO_LABELS_TEXT = 'yes\nno\nup\ndown\nleft\nright\non\noff\nstop\ngo';

/** What persists across visits (and nothing else: media and results are per session for now). */
export interface Settings {
  task: Task;
  /** The image model (the key predates audio, so remembered choices survive). */
  modelId: string;
  audioModelId: string;
  backendPreference: BackendPreference;
  hubHost: string;
  template: string;
  labelsText: string;
  audioTemplate: string;
  audioLabelsText: string;
  aggregation: TokenAggregation;
  calibration: Calibration;
}

export interface SettingsSlice extends Settings {
  setTask: (task: Task) => void;
  setTaskModelId: (task: Task, modelId: string) => void;
  setBackendPreference: (backend: BackendPreference) => void;
  setHubHost: (host: string) => void;
  setTaskTemplate: (task: Task, template: string) => void;
  setTaskLabelsText: (task: Task, text: string) => void;
  setAggregation: (aggregation: TokenAggregation) => void;
  setCalibration: (calibration: Calibration) => void;
  applySettings: (settings: Partial<Settings>) => void;
}

export const DEFAULT_SETTINGS: Settings = {
  task: 'image',
  modelId: DEFAULT_MODEL_ID,
  audioModelId: DEFAULT_AUDIO_MODEL_ID,
  backendPreference: 'auto',
  hubHost: HUGGING_FACE_HUB,
  template: DEFAULT_TEMPLATE,
  labelsText: DEFAULT_LABELS_TEXT,
  audioTemplate: DEFAULT_WHISPER_TEMPLATE,
  audioLabelsText: DEFAULT_AUDIO_LABELS_TEXT,
  aggregation: 'mean',
  calibration: 'none',
};

/** The settings fields that hold each task's model, labels and template. */
const TASK_FIELDS = {
  image: { modelId: 'modelId', labelsText: 'labelsText', template: 'template' },
  audio: { modelId: 'audioModelId', labelsText: 'audioLabelsText', template: 'audioTemplate' },
} as const satisfies Record<Task, Record<'modelId' | 'labelsText' | 'template', keyof Settings>>;

export function modelIdOf(state: Settings, task: Task): string {
  return state[TASK_FIELDS[task].modelId];
}
export function labelsTextOf(state: Settings, task: Task): string {
  return state[TASK_FIELDS[task].labelsText];
}
export function templateOf(state: Settings, task: Task): string {
  return state[TASK_FIELDS[task].template];
}

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  ...DEFAULT_SETTINGS,
  setTask: (task) => set({ task }),
  setTaskModelId: (task, modelId) => set({ [TASK_FIELDS[task].modelId]: modelId }),
  setBackendPreference: (backendPreference) => set({ backendPreference }),
  setHubHost: (hubHost) => set({ hubHost }),
  setTaskTemplate: (task, template) => set({ [TASK_FIELDS[task].template]: template }),
  setTaskLabelsText: (task, text) => set({ [TASK_FIELDS[task].labelsText]: text }),
  setAggregation: (aggregation) => set({ aggregation }),
  setCalibration: (calibration) => set({ calibration }),
  applySettings: (settings) => set(settings),
});
