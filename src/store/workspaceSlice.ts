import type { StateCreator } from 'zustand';
import type { AppState } from './index';

export interface WorkspaceSummary {
  id: string;
  name: string;
}

/** Whether the workspace is being saved, said plainly in the workspace panel. */
export type StorageStatus =
  | { state: 'starting' }
  | { state: 'saved' }
  /** IndexedDB is missing or refused (private mode): everything is kept in memory only. */
  | { state: 'unavailable'; message: string }
  /** The last save ran out of space; what was saved before it is intact. */
  | { state: 'quota-exceeded' }
  | { state: 'write-failed'; message: string };

export interface StorageUsage {
  /** What the browser says this site stores (navigator.storage.estimate), null where it can't say. */
  originBytes: number | null;
  quotaBytes: number | null;
  /** The saved media of the open workspace. */
  workspaceMediaBytes: number;
  savedItems: number;
}

export interface WorkspaceSlice {
  workspaces: WorkspaceSummary[];
  activeWorkspaceId: string | null;
  storageStatus: StorageStatus;
  storageUsage: StorageUsage | null;
  /** Changes not yet written (a save is scheduled or running). */
  savePending: boolean;
  setWorkspaces: (workspaces: WorkspaceSummary[], activeWorkspaceId: string | null) => void;
  setStorageStatus: (status: StorageStatus) => void;
  setStorageUsage: (usage: StorageUsage | null) => void;
  setSavePending: (pending: boolean) => void;
}

export const createWorkspaceSlice: StateCreator<AppState, [], [], WorkspaceSlice> = (set) => ({
  workspaces: [],
  activeWorkspaceId: null,
  storageStatus: { state: 'starting' },
  storageUsage: null,
  savePending: false,
  setWorkspaces: (workspaces, activeWorkspaceId) => set({ workspaces, activeWorkspaceId }),
  setStorageStatus: (storageStatus) => set({ storageStatus }),
  setStorageUsage: (storageUsage) => set({ storageUsage }),
  setSavePending: (savePending) => set({ savePending }),
});
