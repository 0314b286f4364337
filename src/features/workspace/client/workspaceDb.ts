/**
 * The workspaces' IndexedDB schema and its reads and writes, typed. Three stores:
 * - `workspaces`: one record per named workspace (settings, item order, when last opened);
 * - `items`: every item's metadata (scores, predictions, decisions, truth, path…), by item id;
 * - `media`: every item's original file as a Blob, by item id, written once when the item is
 *   added, so a decision or a re-ranking never rewrites the picture or the sound.
 * Every write is one transaction: if it fails (quota), nothing of it is kept and nothing stored
 * before is touched.
 */
import { openDatabase, requestResult, transactionDone } from '../../../lib/idb';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ImageItem } from '../../../store/itemsSlice';

export const WORKSPACE_DB_NAME = 'zero-shot-playground-workspaces';
const WORKSPACE_DB_VERSION = 1;
const WORKSPACES = 'workspaces';
const ITEMS = 'items';
const MEDIA = 'media';
const BY_WORKSPACE = 'byWorkspace';

import type { WorkspaceSettings } from '../../../store/settingsSlice';

export type { WorkspaceSettings };

export interface WorkspaceRecord {
  id: string;
  name: string;
  createdAt: number;
  /** The most recently opened workspace is the one restored at start-up. */
  openedAt: number;
  settings: WorkspaceSettings;
  imageOrder: string[];
  audioOrder: string[];
}

/** An image item without its Blob (in `media`) or its object URL (recreated on restore). */
export type StoredImageItem = Omit<ImageItem, 'blob'> & { kind: 'image'; workspaceId: string; mediaBytes: number };
export type StoredAudioItem = Omit<AudioItem, 'blob' | 'url'> & { kind: 'audio'; workspaceId: string; mediaBytes: number };
export type StoredItem = StoredImageItem | StoredAudioItem;

export interface StoredMedia {
  id: string;
  workspaceId: string;
  blob: Blob;
}

export interface WorkspaceWrite {
  workspace?: WorkspaceRecord;
  putItems: readonly StoredItem[];
  putMedia: readonly StoredMedia[];
  deleteItemIds: readonly string[];
}

export interface LoadedWorkspace {
  items: StoredItem[];
  media: Map<string, Blob>;
}

export class WorkspaceDb {
  private constructor(private readonly db: IDBDatabase) {}

  /** Rejects where IndexedDB is missing or refused (private modes, blocked storage). */
  static async open(factory: IDBFactory | undefined = globalThis.indexedDB): Promise<WorkspaceDb> {
    const db = await openDatabase(factory, WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION, (upgrading) => {
      if (!upgrading.objectStoreNames.contains(WORKSPACES)) upgrading.createObjectStore(WORKSPACES, { keyPath: 'id' });
      if (!upgrading.objectStoreNames.contains(ITEMS))
        upgrading.createObjectStore(ITEMS, { keyPath: 'id' }).createIndex(BY_WORKSPACE, 'workspaceId');
      if (!upgrading.objectStoreNames.contains(MEDIA))
        upgrading.createObjectStore(MEDIA, { keyPath: 'id' }).createIndex(BY_WORKSPACE, 'workspaceId');
    });
    return new WorkspaceDb(db);
  }

  async listWorkspaces(): Promise<WorkspaceRecord[]> {
    const transaction = this.db.transaction(WORKSPACES, 'readonly');
    return requestResult<WorkspaceRecord[]>(transaction.objectStore(WORKSPACES).getAll());
  }

  async loadWorkspace(workspaceId: string): Promise<LoadedWorkspace> {
    const transaction = this.db.transaction([ITEMS, MEDIA], 'readonly');
    const [items, media] = await Promise.all([
      requestResult<StoredItem[]>(transaction.objectStore(ITEMS).index(BY_WORKSPACE).getAll(workspaceId)),
      requestResult<StoredMedia[]>(transaction.objectStore(MEDIA).index(BY_WORKSPACE).getAll(workspaceId)),
    ]);
    return { items, media: new Map(media.map((entry) => [entry.id, entry.blob])) };
  }

  /** One transaction: all of it is stored, or (on failure, e.g. quota) none of it. */
  async write(change: WorkspaceWrite): Promise<void> {
    const transaction = this.db.transaction([WORKSPACES, ITEMS, MEDIA], 'readwrite');
    const done = transactionDone(transaction);
    try {
      if (change.workspace) transaction.objectStore(WORKSPACES).put(change.workspace);
      const items = transaction.objectStore(ITEMS);
      const media = transaction.objectStore(MEDIA);
      for (const entry of change.putMedia) media.put(entry);
      for (const item of change.putItems) items.put(item);
      for (const id of change.deleteItemIds) {
        items.delete(id);
        media.delete(id);
      }
    } catch (error) {
      // A put can throw synchronously (e.g. QuotaExceededError, DataCloneError): keep nothing of this write.
      abortQuietly(transaction);
      await done.catch(() => undefined);
      throw error;
    }
    await done;
  }

  async putWorkspace(record: WorkspaceRecord): Promise<void> {
    await this.write({ workspace: record, putItems: [], putMedia: [], deleteItemIds: [] });
  }

  async deleteWorkspace(workspaceId: string): Promise<void> {
    const transaction = this.db.transaction([WORKSPACES, ITEMS, MEDIA], 'readwrite');
    const done = transactionDone(transaction);
    transaction.objectStore(WORKSPACES).delete(workspaceId);
    for (const name of [ITEMS, MEDIA]) {
      const store = transaction.objectStore(name);
      const keys = store.index(BY_WORKSPACE).getAllKeys(workspaceId);
      // Deleted from the success callback, while the transaction is still active.
      keys.onsuccess = () => {
        for (const key of keys.result) store.delete(key);
      };
    }
    await done;
  }

  async clearAll(): Promise<void> {
    const transaction = this.db.transaction([WORKSPACES, ITEMS, MEDIA], 'readwrite');
    const done = transactionDone(transaction);
    for (const name of [WORKSPACES, ITEMS, MEDIA]) transaction.objectStore(name).clear();
    await done;
  }
}

function abortQuietly(transaction: IDBTransaction): void {
  try {
    transaction.abort();
  } catch {
    // Already finished or aborted by the failure itself.
  }
}
