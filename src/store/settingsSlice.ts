import * as v from 'valibot';
import type { StateCreator } from 'zustand';
import { DEFAULT_WHISPER_TEMPLATE, TOKEN_AGGREGATIONS, type Calibration, type TokenAggregation } from '../lib/audioScoring';
import { DEFAULT_TEMPLATE } from '../lib/labels';
import { calibrationSchema, isPlainObject, taskSchema } from '../lib/schemas';
import { BACKEND_PREFERENCES, normaliseHubHost, type BackendPreference } from '../lib/urlState';
import { DEFAULT_AUDIO_MODEL_ID, DEFAULT_MODEL_ID, type Task } from '../lib/tasks';
import { IMAGE_RESIZE_MODES, type ImageResizeMode } from '../lib/imagePreprocess';
import { DTYPE_PREFERENCES, type DtypePreference } from '../lib/workerReports';
import type { AppState } from './index';

export const HUGGING_FACE_HUB = 'https://huggingface.co/';
export const DEFAULT_LABELS_TEXT = 'red circle\nblue square\ngreen triangle\nyellow star\npurple cross';
export const DEFAULT_AUDIO_LABELS_TEXT = 'yes\nno\nup\ndown\nleft\nright\non\noff\nstop\ngo';

/** Saved templates kept at most (a library to pick from, not a corpus). */
export const MAX_SAVED_TEMPLATES = 500;
/** Characters per saved template: far beyond CLIP's 77 tokens, only a bound on what localStorage holds. */
export const MAX_SAVED_TEMPLATE_CHARS = 1_000;

/**
 * Each setting's schema: what may come back from localStorage. The types are inferred from
 * here; model ids are only required to be text, since a remembered local-folder model
 * (`local/<folder name>`) needn't look like a Hub id.
 */
const SETTING_SCHEMAS = {
  task: taskSchema,
  /** The image model (the key predates audio, so remembered choices survive). */
  modelId: v.pipe(v.string(), v.nonEmpty()),
  audioModelId: v.pipe(v.string(), v.nonEmpty()),
  backendPreference: v.picklist(BACKEND_PREFERENCES),
  /** Which weights to load (fp32, fp16, q8) or the loader's own rule. */
  dtypePreference: v.picklist(DTYPE_PREFERENCES),
  /** An http(s) address, normalised as setHubHost is given it (a hand-edited one may lack the final slash). */
  hubHost: v.pipe(v.string(), v.transform(normaliseHubHost), v.string()),
  template: v.string(),
  labelsText: v.string(),
  audioTemplate: v.string(),
  audioLabelsText: v.string(),
  aggregation: v.picklist(TOKEN_AGGREGATIONS),
  calibration: calibrationSchema,
  /** The user's own templates for the prompt lab's library (one device's collection, not a workspace's). */
  savedTemplates: v.pipe(v.array(v.pipe(v.string(), v.maxLength(MAX_SAVED_TEMPLATE_CHARS))), v.maxLength(MAX_SAVED_TEMPLATES)),
  /** How the CLIP worker brings a picture to the model's input size: the processor's exact path, or the browser's native resize. */
  imageResizeMode: v.picklist(IMAGE_RESIZE_MODES),
};

/** What persists across visits in localStorage (a workspace keeps its own copy of most of it, see below). */
export type Settings = v.InferOutput<v.ObjectSchema<typeof SETTING_SCHEMAS, undefined>>;

/** Choices about this device, not about the work: they stay global rather than per workspace. */
const DEVICE_SETTINGS = ['backendPreference', 'dtypePreference', 'hubHost', 'savedTemplates', 'imageResizeMode'] as const satisfies readonly (keyof Settings)[];

/** What a workspace remembers of the settings. */
export type WorkspaceSettings = Omit<Settings, (typeof DEVICE_SETTINGS)[number]>;

/** Every settings field, once: the schema lists them. */
const SETTINGS_KEYS = v.keyof(v.object(SETTING_SCHEMAS)).options;
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
  setDtypePreference: (dtype: DtypePreference) => void;
  setHubHost: (host: string) => void;
  setTaskTemplate: (task: Task, template: string) => void;
  setTaskLabelsText: (task: Task, text: string) => void;
  setAggregation: (aggregation: TokenAggregation) => void;
  setCalibration: (calibration: Calibration) => void;
  setSavedTemplates: (templates: readonly string[]) => void;
  setImageResizeMode: (mode: ImageResizeMode) => void;
  applySettings: (settings: Partial<Settings>) => void;
}

export const DEFAULT_SETTINGS: Settings = {
  task: 'image',
  modelId: DEFAULT_MODEL_ID,
  audioModelId: DEFAULT_AUDIO_MODEL_ID,
  backendPreference: 'auto',
  dtypePreference: 'auto',
  hubHost: HUGGING_FACE_HUB,
  template: DEFAULT_TEMPLATE,
  labelsText: DEFAULT_LABELS_TEXT,
  audioTemplate: DEFAULT_WHISPER_TEMPLATE,
  audioLabelsText: DEFAULT_AUDIO_LABELS_TEXT,
  aggregation: 'mean',
  calibration: 'none',
  savedTemplates: [],
  imageResizeMode: 'exact',
};

/**
 * The settings as localStorage keeps them, checked field by field: a field that is missing (a
 * version-1 record has no audio settings), of the wrong type or out of range gets its default,
 * and the others are kept. Not an object at all: every default. Unknown fields are dropped.
 */
const storedSettingsSchema = v.fallback(
  v.object({
    task: v.fallback(SETTING_SCHEMAS.task, DEFAULT_SETTINGS.task),
    modelId: v.fallback(SETTING_SCHEMAS.modelId, DEFAULT_SETTINGS.modelId),
    audioModelId: v.fallback(SETTING_SCHEMAS.audioModelId, DEFAULT_SETTINGS.audioModelId),
    backendPreference: v.fallback(SETTING_SCHEMAS.backendPreference, DEFAULT_SETTINGS.backendPreference),
    dtypePreference: v.fallback(SETTING_SCHEMAS.dtypePreference, DEFAULT_SETTINGS.dtypePreference),
    hubHost: v.fallback(SETTING_SCHEMAS.hubHost, DEFAULT_SETTINGS.hubHost),
    template: v.fallback(SETTING_SCHEMAS.template, DEFAULT_SETTINGS.template),
    labelsText: v.fallback(SETTING_SCHEMAS.labelsText, DEFAULT_SETTINGS.labelsText),
    audioTemplate: v.fallback(SETTING_SCHEMAS.audioTemplate, DEFAULT_SETTINGS.audioTemplate),
    audioLabelsText: v.fallback(SETTING_SCHEMAS.audioLabelsText, DEFAULT_SETTINGS.audioLabelsText),
    aggregation: v.fallback(SETTING_SCHEMAS.aggregation, DEFAULT_SETTINGS.aggregation),
    calibration: v.fallback(SETTING_SCHEMAS.calibration, DEFAULT_SETTINGS.calibration),
    savedTemplates: v.fallback(SETTING_SCHEMAS.savedTemplates, () => [...DEFAULT_SETTINGS.savedTemplates]),
    imageResizeMode: v.fallback(SETTING_SCHEMAS.imageResizeMode, DEFAULT_SETTINGS.imageResizeMode),
  } satisfies Record<keyof Settings, v.GenericSchema>),
  () => ({ ...DEFAULT_SETTINGS }),
);

/** Whatever localStorage held, as settings; never throws (the outer fallback catches what the fields don't). */
export function storedSettings(stored: unknown): Settings {
  // valibot's object accepts lists and other objects too; only a plain record carries settings.
  return v.parse(storedSettingsSchema, isPlainObject(stored) ? stored : undefined);
}

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
  setDtypePreference: (dtypePreference) => set({ dtypePreference }),
  setHubHost: (hubHost) => set({ hubHost }),
  setTaskTemplate: (task, template) => set({ [TASK_FIELDS[task].template]: template }),
  setTaskLabelsText: (task, text) => set({ [TASK_FIELDS[task].labelsText]: text }),
  setAggregation: (aggregation) => set({ aggregation }),
  setCalibration: (calibration) => set({ calibration }),
  setSavedTemplates: (templates) => set({ savedTemplates: [...new Set(templates)].slice(0, MAX_SAVED_TEMPLATES) }),
  setImageResizeMode: (imageResizeMode) => set({ imageResizeMode }),
  applySettings: (settings) => set(settings),
});
