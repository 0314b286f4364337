import type { StateCreator } from 'zustand';
import { EMPTY_AUDIO_STATS, type AudioWorkerStats } from '../lib/workerReports';
import { EMPTY_STATS, type WorkerStats } from '../lib/workerReports';
import type { Task } from '../lib/tasks';
import type { FileProgress, LoadErrorKind, LoadedModelInfo } from '../lib/workerReports';
import type { AppState } from './index';

export interface ModelNotice {
  text: string;
  /** When set, the notice offers to retry loading this (Hub) model. */
  retryModelId?: string;
}

export type ModelStatus =
  | { state: 'idle' }
  | { state: 'loading'; modelId: string }
  | { state: 'ready'; modelId: string; info: LoadedModelInfo }
  | { state: 'error'; modelId: string; kind: LoadErrorKind; message: string };

/** A model folder picked from disk, kept in memory only (Files can't be persisted as settings). */
export interface PickedFolder {
  name: string;
  files: Array<{ path: string; file: File }>;
}

/** Each task has its own worker, so its own model status, download progress and notices. */
export interface TaskModelState {
  status: ModelStatus;
  fileProgress: FileProgress[];
  /** A plain-language note about something the app decided for the user (fallbacks, restarts). */
  notice: ModelNotice | null;
  pickedFolder: PickedFolder | null;
}

const IDLE_TASK_MODEL: TaskModelState = { status: { state: 'idle' }, fileProgress: [], notice: null, pickedFolder: null };

export interface ModelSlice {
  models: Record<Task, TaskModelState>;
  workerStats: WorkerStats;
  audioStats: AudioWorkerStats;
  setModelStatus: (task: Task, status: ModelStatus) => void;
  setFileProgress: (task: Task, files: FileProgress[]) => void;
  setModelNotice: (task: Task, notice: ModelNotice | null) => void;
  setPickedFolder: (task: Task, folder: PickedFolder | null) => void;
  setWorkerStats: (stats: WorkerStats) => void;
  setAudioStats: (stats: AudioWorkerStats) => void;
}

export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set) => {
  const patchTask = (task: Task, patch: Partial<TaskModelState>) =>
    set((state) => ({ models: { ...state.models, [task]: { ...state.models[task], ...patch } } }));
  return {
    models: { image: IDLE_TASK_MODEL, audio: IDLE_TASK_MODEL },
    workerStats: EMPTY_STATS,
    audioStats: EMPTY_AUDIO_STATS,
    setModelStatus: (task, status) => patchTask(task, { status }),
    setFileProgress: (task, fileProgress) => patchTask(task, { fileProgress }),
    setModelNotice: (task, notice) => patchTask(task, { notice }),
    setPickedFolder: (task, pickedFolder) => patchTask(task, { pickedFolder }),
    setWorkerStats: (workerStats) => set({ workerStats }),
    setAudioStats: (audioStats) => set({ audioStats }),
  };
};
