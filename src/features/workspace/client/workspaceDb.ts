/**
 * The workspaces' IndexedDB schema and its reads and writes, typed. Three stores:
 * - `workspaces`: one record per named workspace (settings, item order, when last opened);
 * - `items`: every item's metadata (scores, predictions, decisions, truth, path…), by item id;
 * - `media`: every item's original file as a Blob, by item id, written once when the item is
 *   added, so a decision or a re-ranking never rewrites the picture or the sound.
 * Every write is one transaction: if it fails (quota), nothing of it is kept and nothing stored
 * before is touched. Every record read is checked against its schema (../shared/storedRecords.ts);
 * one that does not match is left out and counted.
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import { ReopeningDb } from '../../../lib/reopeningDb';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ImageItem } from '../../../store/itemsSlice';
import type { WorkspaceSettings } from '../../../store/settingsSlice';
import {
  STORED_RECORD_VERSION,
  parseStored,
  storedItemSchema,
  storedMediaSchema,
  workspaceRecordSchema,
  workspaceSettingsSchema,
  type StoredAudioItem,
  type StoredImageItem,
  type StoredItem,
  type StoredMedia,
  type WorkspaceRecord,
} from '../shared/storedRecords';
import type * as v from 'valibot';

export { STORED_RECORD_VERSION };
export type { StoredAudioItem, StoredImageItem, StoredItem, StoredMedia, WorkspaceRecord, WorkspaceSettings };

export const WORKSPACE_DB_NAME = 'zero-shot-playground-workspaces';
export const WORKSPACE_DB_VERSION = 1;
const BY_WORKSPACE = 'byWorkspace';

/**
 * Values are `unknown` on purpose: what comes back may have been written by another app version
 * (or be corrupted), so every read goes through a schema. Writes are typed by this class's methods.
 */
interface WorkspaceSchema extends DBSchema {
  workspaces: { key: string; value: unknown };
  items: { key: string; value: unknown; indexes: { byWorkspace: string } };
  media: { key: string; value: unknown; indexes: { byWorkspace: string } };
}

// The stored records are the store's items minus what is not stored (Blob, object URL): if an
// item gains a field, these stop compiling until the schema stores it too.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type StoredOnly = 'schemaVersion' | 'kind' | 'workspaceId' | 'mediaBytes';
const imageFieldsMatch: Same<Omit<StoredImageItem, StoredOnly>, Omit<ImageItem, 'blob'>> = true;
/** Session-only: a head's output (heads live in the worker and don't survive a reload). */
type AudioSessionOnly = 'headProbabilities' | 'classifier';
const audioFieldsMatch: Same<Omit<StoredAudioItem, StoredOnly>, Omit<AudioItem, 'blob' | 'url' | AudioSessionOnly>> = true;
const settingsMatch: Same<v.InferOutput<typeof workspaceSettingsSchema>, WorkspaceSettings> = true;
void [imageFieldsMatch, audioFieldsMatch, settingsMatch];

export interface WorkspaceWrite {
  workspace?: WorkspaceRecord;
  putItems: readonly StoredItem[];
  putMedia: readonly StoredMedia[];
  deleteItemIds: readonly string[];
}

export interface LoadedWorkspace {
  items: StoredItem[];
  media: Map<string, Blob>;
  /** Item and media records of this workspace that did not match their schema (left out). */
  skipped: number;
}

export interface WorkspaceList {
  records: WorkspaceRecord[];
  /** Workspace records that did not match their schema (left out). */
  skipped: number;
}

export interface WorkspaceDbOptions {
  /** This tab's upgrade waits for another tab holding an older version open. */
  onBlocked?: () => void;
  /** Another tab runs a newer app and is upgrading the database: this tab's connection is closed and can't be reopened. */
  onNewerVersion?: () => void;
}

function upgrade(db: IDBPDatabase<WorkspaceSchema>): void {
  if (!db.objectStoreNames.contains('workspaces')) db.createObjectStore('workspaces', { keyPath: 'id' });
  if (!db.objectStoreNames.contains('items')) db.createObjectStore('items', { keyPath: 'id' }).createIndex(BY_WORKSPACE, 'workspaceId');
  if (!db.objectStoreNames.contains('media')) db.createObjectStore('media', { keyPath: 'id' }).createIndex(BY_WORKSPACE, 'workspaceId');
}

export class WorkspaceDb {
  private constructor(private readonly db: ReopeningDb<WorkspaceSchema>) {}

  /**
   * Rejects where IndexedDB is missing or refused (private modes, blocked storage). The connection
   * then reopens by itself whenever another tab's upgrade or the browser closed it.
   */
  static async open(options: WorkspaceDbOptions = {}): Promise<WorkspaceDb> {
    const db = new ReopeningDb<WorkspaceSchema>({
      name: WORKSPACE_DB_NAME,
      version: WORKSPACE_DB_VERSION,
      upgrade,
      ...(options.onBlocked ? { onBlocked: options.onBlocked } : {}),
      onVersionChange: (newVersion) => {
        // A delete (null) or the same version is reopened on the next use; only a newer schema locks this page out.
        if (newVersion !== null && newVersion > WORKSPACE_DB_VERSION) options.onNewerVersion?.();
      },
    });
    await db.get();
    return new WorkspaceDb(db);
  }

  /** Connections opened so far (more than one: it was closed by a version change and reopened). */
  get connectionsOpened(): number {
    return this.db.opens;
  }

  async listWorkspaces(): Promise<WorkspaceList> {
    const raw = await this.db.run((db) => db.getAll('workspaces'));
    return parseStored(workspaceRecordSchema, raw);
  }

  async loadWorkspace(workspaceId: string): Promise<LoadedWorkspace> {
    const [rawItems, rawMedia] = await this.db.run((db) => {
      const transaction = db.transaction(['items', 'media'], 'readonly');
      return Promise.all([
        transaction.objectStore('items').index(BY_WORKSPACE).getAll(workspaceId),
        transaction.objectStore('media').index(BY_WORKSPACE).getAll(workspaceId),
      ]);
    });
    const items = parseStored(storedItemSchema, rawItems);
    const media = parseStored(storedMediaSchema, rawMedia);
    return {
      items: items.records,
      media: new Map(media.records.map((entry) => [entry.id, entry.blob])),
      skipped: items.skipped + media.skipped,
    };
  }

  /** One transaction: all of it is stored, or (on failure, e.g. quota) none of it. */
  async write(change: WorkspaceWrite): Promise<void> {
    await this.db.run(async (db) => {
      const transaction = db.transaction(['workspaces', 'items', 'media'], 'readwrite');
      try {
        const items = transaction.objectStore('items');
        const media = transaction.objectStore('media');
        // The requests' own promises are not awaited: `done` settles for all of them. An abort
        // rejects each one, so each is caught as soon as it exists (a later put may throw).
        const quiet = (request: Promise<unknown>) => void request.catch(() => undefined);
        if (change.workspace) quiet(transaction.objectStore('workspaces').put(change.workspace));
        for (const entry of change.putMedia) quiet(media.put(entry));
        for (const item of change.putItems) quiet(items.put(item));
        for (const id of change.deleteItemIds) {
          quiet(items.delete(id));
          quiet(media.delete(id));
        }
      } catch (error) {
        // A put can throw synchronously (e.g. QuotaExceededError, DataCloneError): keep nothing of this write.
        abortQuietly(transaction);
        await transaction.done.catch(() => undefined);
        throw error;
      }
      await transaction.done;
    });
  }

  async putWorkspace(record: WorkspaceRecord): Promise<void> {
    await this.write({ workspace: record, putItems: [], putMedia: [], deleteItemIds: [] });
  }

  async deleteWorkspace(workspaceId: string): Promise<void> {
    await this.db.run(async (db) => {
      const transaction = db.transaction(['workspaces', 'items', 'media'], 'readwrite');
      const deletions = [
        transaction.objectStore('workspaces').delete(workspaceId),
        ...(['items', 'media'] as const).map(async (name) => {
          const store = transaction.objectStore(name);
          // Deleted as soon as the keys arrive, while the transaction is still active.
          const keys = await store.index(BY_WORKSPACE).getAllKeys(workspaceId);
          await Promise.all(keys.map((key) => store.delete(key)));
        }),
      ];
      await Promise.all([...deletions, transaction.done]);
    });
  }

  async clearAll(): Promise<void> {
    await this.db.run(async (db) => {
      const transaction = db.transaction(['workspaces', 'items', 'media'], 'readwrite');
      await Promise.all([
        transaction.objectStore('workspaces').clear(),
        transaction.objectStore('items').clear(),
        transaction.objectStore('media').clear(),
        transaction.done,
      ]);
    });
  }
}

function abortQuietly(transaction: { abort(): void }): void {
  try {
    transaction.abort();
  } catch {
    // Already finished or aborted by the failure itself.
  }
}
