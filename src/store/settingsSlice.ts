import type { StateCreator } from 'zustand';
import { DEFAULT_WHISPER_TEMPLATE, type Calibration, type TokenAggregation } from '../lib/audioScoring';
import { DEFAULT_TEMPLATE } from '../lib/labels';
import type { BackendPreference } from '../lib/urlState';
import { DEFAULT_AUDIO_MODEL_ID, DEFAULT_MODEL_ID, type Task } from '../lib/tasks';
import type { AppState } from './index';

export const HUGGING_FACE_HUB = 'https://huggingface.co/';
export const DEFAULT_LABELS_TEXT = 'red circle\nblue square\ngreen triangle\nyellow star\npurple cross';
export const DEFAULT_AUDIO_LABELS_TEXT = 'yes\nno\nup\ndown\nleft\nright\non\noff\nstop\ngo';

/** What persists across visits in localStorage (a workspace keeps its own copy of most of it, see below). */
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

/** Every settings field, once: the compiler insists a new field is listed here. */
const SETTINGS_FIELDS: Record<keyof Settings, true> = {
  task: true,
  modelId: true,
  audioModelId: true,
  backendPreference: true,
  hubHost: true,
  template: true,
  labelsText: true,
  audioTemplate: true,
  audioLabelsText: true,
  aggregation: true,
  calibration: true,
};

/** Choices about this device, not about the work: they stay global rather than per workspace. */
const DEVICE_SETTINGS = ['backendPreference', 'hubHost'] as const satisfies readonly (keyof Settings)[];

/** What a workspace remembers of the settings. */
export type WorkspaceSettings = Omit<Settings, (typeof DEVICE_SETTINGS)[number]>;

const SETTINGS_KEYS = Object.keys(SETTINGS_FIELDS) as (keyof Settings)[];
const WORKSPACE_SETTINGS_KEYS = SETTINGS_KEYS.filter(
  (key): key is keyof WorkspaceSettings => !(DEVICE_SETTINGS as readonly string[]).includes(key),
);

function pick<K extends keyof Settings>(state: Settings, keys: readonly K[]): Pick<Settings, K> {
  return Object.fromEntries(keys.map((key) => [key, state[key]])) as Pick<Settings, K>;
}

/** The settings part of the store (what localStorage keeps). */
export function settingsOf(state: Settings): Settings {
  return pick(state, SETTINGS_KEYS);
}

export function workspaceSettingsOf(state: Settings): WorkspaceSettings {
  return pick(state, WORKSPACE_SETTINGS_KEYS);
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
