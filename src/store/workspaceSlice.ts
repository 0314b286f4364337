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
  /**
   * The last save ran out of space; what was saved before it is intact. `savedItems` of
   * `totalItems` are stored (with their latest changes or an earlier state); `unsavedItems` have
   * changes (or are new) that live in memory only.
   */
  | { state: 'quota-exceeded'; savedItems: number; totalItems: number; unsavedItems: number }
  | { state: 'write-failed'; message: string }
  /** Opening waits for another tab that holds an older version of the storage open (and won't let go). */
  | { state: 'blocked' }
  /**
   * Another tab runs a newer version of the app and upgraded the storage: this page must be
   * reloaded to use it. `unsavedItems` items have changes made here that were not stored.
   */
  | { state: 'outdated'; unsavedItems: number };

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
  /** Stored records (workspaces, items, media) that did not match what this app can read, left out of the open workspace. */
  unreadableRecords: number;
  setWorkspaces: (workspaces: WorkspaceSummary[], activeWorkspaceId: string | null) => void;
  setStorageStatus: (status: StorageStatus) => void;
  setStorageUsage: (usage: StorageUsage | null) => void;
  setSavePending: (pending: boolean) => void;
  setUnreadableRecords: (count: number) => void;
}

export const createWorkspaceSlice: StateCreator<AppState, [], [], WorkspaceSlice> = (set) => ({
  workspaces: [],
  activeWorkspaceId: null,
  storageStatus: { state: 'starting' },
  storageUsage: null,
  savePending: false,
  unreadableRecords: 0,
  setWorkspaces: (workspaces, activeWorkspaceId) => set({ workspaces, activeWorkspaceId }),
  setStorageStatus: (storageStatus) => set({ storageStatus }),
  setStorageUsage: (storageUsage) => set({ storageUsage }),
  setSavePending: (savePending) => set({ savePending }),
  setUnreadableRecords: (unreadableRecords) => set({ unreadableRecords }),
});
