import type { StateCreator } from 'zustand';
import { EMPTY_STATS, type FileProgress, type LoadErrorKind, type LoadedModelInfo, type WorkerStats } from '../features/clip/shared/protocol';
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

export interface ModelSlice {
  modelStatus: ModelStatus;
  fileProgress: FileProgress[];
  /** A plain-language note about something the app decided for the user (fallbacks, restarts). */
  modelNotice: ModelNotice | null;
  workerStats: WorkerStats;
  /** A model folder picked from disk, kept in memory only (Files can't be persisted as settings). */
  pickedFolder: { name: string; files: Array<{ path: string; file: File }> } | null;
  setModelStatus: (status: ModelStatus) => void;
  setFileProgress: (files: FileProgress[]) => void;
  setModelNotice: (notice: ModelNotice | null) => void;
  setWorkerStats: (stats: WorkerStats) => void;
  setPickedFolder: (folder: ModelSlice['pickedFolder']) => void;
}


export const createModelSlice: StateCreator<AppState, [], [], ModelSlice> = (set) => ({
  modelStatus: { state: 'idle' },
  fileProgress: [],
  modelNotice: null,
  workerStats: EMPTY_STATS,
  pickedFolder: null,
  setModelStatus: (modelStatus) => set({ modelStatus }),
  setFileProgress: (fileProgress) => set({ fileProgress }),
  setModelNotice: (modelNotice) => set({ modelNotice }),
  setWorkerStats: (workerStats) => set({ workerStats }),
  setPickedFolder: (pickedFolder) => set({ pickedFolder }),
});
