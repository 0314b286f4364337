import { CALIBRATIONS, TOKEN_AGGREGATIONS, type Calibration, type TokenAggregation } from './audioScoring';
import { MAX_LABELS, MAX_LABEL_CHARS } from './labels';
import { TASKS, type Task } from './tasks';

/** What live mode classifies: the camera's frames (image task) or the microphone's windows (audio task). */
export type LiveSource = 'camera' | 'microphone';
export const LIVE_SOURCES: readonly LiveSource[] = ['camera', 'microphone'];

/** The task a live source belongs to. */
export function taskOfLiveSource(source: LiveSource): Task {
  return source === 'camera' ? 'image' : 'audio';
}


function oneOf<T extends string>(values: readonly T[], value: string): value is T {
  return (values as readonly string[]).includes(value);
}

export type BackendPreference = 'auto' | 'webgpu' | 'wasm';
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm'];

export function isBackendPreference(value: string): value is BackendPreference {
  return (BACKEND_PREFERENCES as readonly string[]).includes(value);
}

/** Hub ids are `owner/name`; the Hub limits each part to 96 characters of [A-Za-z0-9_.-]. */
const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
export const MAX_TEMPLATE_CHARS = 500;
export const MAX_LABELS_PARAM_CHARS = MAX_LABELS * 64;

/** What a link can set. Absent fields leave the app's own settings alone. */
export interface UrlState {
  task?: Task;
  model?: string;
  labels?: string[];
  template?: string;
  backend?: BackendPreference;
  hubHost?: string;
  calibration?: Calibration;
  aggregation?: TokenAggregation;
  /** Open straight into live mode (after the browser's permission prompt); implies its task. */
  live?: LiveSource;
  debug: boolean;
  /** Parameters that were present but rejected, with the reason, to show the user. */
  rejected: string[];
}

export function isValidModelId(id: string): boolean {
  return MODEL_ID_PATTERN.test(id) && !id.includes('..');
}

/** A mirror host must be http(s); it is normalised to end with a slash, as transformers.js joins paths onto it. */
export function normaliseHubHost(value: string): string | undefined {
  try {
    const url = new URL(value.trim());
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.username || url.password) return undefined;
    const text = url.toString();
    return text.endsWith('/') ? text : `${text}/`;
  } catch {
    return undefined;
  }
}

export function parseUrlState(search: string): UrlState {
  const params = new URLSearchParams(search);
  const state: UrlState = { debug: params.get('debug') === '1', rejected: [] };

  const task = params.get('task');
  if (task !== null) {
    if (oneOf(TASKS, task)) state.task = task;
    else state.rejected.push('task: must be image or audio');
  }

  const live = params.get('live');
  if (live !== null) {
    if (oneOf(LIVE_SOURCES, live)) {
      const liveTask = taskOfLiveSource(live);
      if (state.task && state.task !== liveTask) state.rejected.push(`live: ${live} belongs to the ${liveTask} task, not ${state.task}`);
      else {
        state.live = live;
        state.task = liveTask;
      }
    } else state.rejected.push(`live: must be one of ${LIVE_SOURCES.join(', ')}`);
  }

  const calibration = params.get('calibration');
  if (calibration !== null) {
    if (oneOf(CALIBRATIONS, calibration)) state.calibration = calibration;
    else state.rejected.push(`calibration: must be one of ${CALIBRATIONS.join(', ')}`);
  }

  const aggregation = params.get('score');
  if (aggregation !== null) {
    if (oneOf(TOKEN_AGGREGATIONS, aggregation)) state.aggregation = aggregation;
    else state.rejected.push(`score: must be one of ${TOKEN_AGGREGATIONS.join(', ')}`);
  }

  const model = params.get('model');
  if (model !== null) {
    if (isValidModelId(model)) state.model = model;
    else state.rejected.push('model: not a model id of the form owner/name');
  }

  const labels = params.get('labels');
  if (labels !== null) {
    if (labels.length > MAX_LABELS_PARAM_CHARS) state.rejected.push(`labels: longer than ${MAX_LABELS_PARAM_CHARS} characters`);
    else
      state.labels = labels
        .split(',')
        .map((label) => label.trim().slice(0, MAX_LABEL_CHARS))
        .filter((label) => label.length > 0)
        .slice(0, MAX_LABELS);
  }

  const template = params.get('template');
  if (template !== null) {
    if (template.length > MAX_TEMPLATE_CHARS) state.rejected.push(`template: longer than ${MAX_TEMPLATE_CHARS} characters`);
    else state.template = template;
  }

  const backend = params.get('backend');
  if (backend !== null) {
    if (isBackendPreference(backend)) state.backend = backend;
    else state.rejected.push('backend: must be wasm or webgpu');
  }

  const hub = params.get('hub');
  if (hub !== null) {
    const host = normaliseHubHost(hub);
    if (host) state.hubHost = host;
    else state.rejected.push('hub: must be an http(s) address');
  }
  return state;
}

export interface ShareableState {
  task: Task;
  model: string;
  labels: readonly string[];
  template: string;
  calibration?: Calibration;
  aggregation?: TokenAggregation;
  live?: LiveSource;
}

/** The query string that reopens the app in this state (labels joined by commas, as `parseUrlState` reads them). */
export function buildShareQuery(state: ShareableState): string {
  const params = new URLSearchParams();
  if (state.task !== 'image') params.set('task', state.task);
  params.set('model', state.model);
  params.set('labels', state.labels.map((label) => label.replace(/,/g, ' ')).join(','));
  params.set('template', state.template);
  if (state.calibration) params.set('calibration', state.calibration);
  if (state.aggregation) params.set('score', state.aggregation);
  if (state.live) params.set('live', state.live);
  return `?${params.toString()}`;
}
