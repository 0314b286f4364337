import type { StateCreator } from 'zustand';
import type { FileProgress, LoadErrorKind, LoadedModelInfo, WorkerStats } from '../features/clip/shared/protocol';
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

export const EMPTY_STATS: WorkerStats = {
  imagesEmbedded: 0,
  visionRuns: 0,
  textsEmbedded: 0,
  textRuns: 0,
  imageCacheSize: 0,
  textCacheSize: 0,
};

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
