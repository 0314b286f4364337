/**
 * Keeps the open workspace in IndexedDB: restores the most recently opened one at start-up,
 * then, subscribed once to the store, saves what changed (debounced) — new items with their
 * media, changed items' metadata only, removals, order and settings. Also creates, switches,
 * renames and deletes named workspaces, and clears everything stored.
 *
 * Storage is never required: where IndexedDB is refused the app works in memory and says so;
 * where a save fails (quota) the change stays in memory, the notice says so, and nothing stored
 * before is touched (each save is one transaction). Out of space, a save is split in halves until
 * single items fail, so as much as fits is stored; the notice says how much, and a retry (or the
 * next change) tries the rest. When another tab's newer app upgrades the database, this tab stops
 * saving at once and says to reload.
 */
import type { StoreApi } from 'zustand';
import { newestExperiments, parseStoredExperiments, type Experiment } from '../../../lib/experiments';
import { errorMessage, storageFailureOf } from '../../../lib/storageErrors';
import { TASKS } from '../../../lib/tasks';
import {
  isEmptyPlan,
  limitPlan,
  planWorkspaceWrite,
  sameSettings,
  snapshotAfter,
  type WorkspaceSnapshot,
  type WorkspaceWritePlan,
} from '../../../lib/workspaceDiff';
import type { AppState } from '../../../store';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ImageItem } from '../../../store/itemsSlice';
import { workspaceSettingsOf } from '../../../store/settingsSlice';
import type { WorkspaceSummary } from '../../../store/workspaceSlice';
import { clearStoredEmbeddings } from '../../image';
import { isSvg } from '../../image';
import {
  STORED_RECORD_VERSION,
  WorkspaceDb,
  type StoredAudioItem,
  type StoredImageItem,
  type StoredItem,
  type StoredMedia,
  type WorkspaceRecord,
  type WorkspaceSettings,
  type WorkspaceWrite,
} from './workspaceDb';

/** Edits closer together than this are saved together (a burst of results is one transaction). */
export const SAVE_DEBOUNCE_MS = 400;
/**
 * Items written per save transaction. IndexedDB clones each record inside put(), on the main
 * thread: 1,000 items in one go took about 300 ms; 100 keep each save's task short.
 */
export const MAX_ITEMS_PER_SAVE = 100;
/** Changes that never pause (a running batch) are still saved at least this often. */
export const MAX_SAVE_DELAY_MS = 2_000;
export const MAX_WORKSPACE_NAME_LENGTH = 80;
/** The one workspace there is when nothing can be stored. */
const IN_MEMORY_WORKSPACE: WorkspaceSummary = { id: 'in-memory', name: 'This session (not saved)' };

type Snapshot = WorkspaceSnapshot<ImageItem, AudioItem, WorkspaceSettings>;

function snapshotOf(state: AppState): Snapshot {
  return {
    images: state.items,
    imageOrder: state.itemOrder,
    audio: state.audioItems,
    audioOrder: state.audioOrder,
    settings: workspaceSettingsOf(state),
  };
}

function emptySnapshot(settings: WorkspaceSettings): Snapshot {
  return { images: {}, imageOrder: [], audio: {}, audioOrder: [], settings };
}

function touchesWorkspace(state: AppState, previous: AppState): boolean {
  return (
    state.items !== previous.items ||
    state.itemOrder !== previous.itemOrder ||
    state.audioItems !== previous.audioItems ||
    state.audioOrder !== previous.audioOrder ||
    state.experiments !== previous.experiments ||
    !sameSettings(workspaceSettingsOf(state), workspaceSettingsOf(previous))
  );
}

function storedImage(item: ImageItem, workspaceId: string): StoredImageItem {
  const { blob, ...fields } = item;
  return { ...fields, schemaVersion: STORED_RECORD_VERSION, kind: 'image', workspaceId, mediaBytes: blob.size };
}

function storedAudio(item: AudioItem, workspaceId: string): StoredAudioItem {
  // A head lives in the worker and doesn't survive a reload: what it produced isn't stored either.
  const { blob, url: _url, headProbabilities: _head, classifier: _classifier, ...fields } = item;
  return { ...fields, schemaVersion: STORED_RECORD_VERSION, kind: 'audio', workspaceId, mediaBytes: blob.size };
}

function storedMedia(id: string, workspaceId: string, blob: Blob): StoredMedia {
  return { schemaVersion: STORED_RECORD_VERSION, id, workspaceId, blob };
}

function restoredImage(stored: StoredImageItem, blob: Blob): ImageItem {
  const { schemaVersion: _version, kind: _kind, workspaceId: _workspaceId, mediaBytes: _mediaBytes, ...fields } = stored;
  return {
    ...fields,
    blob,
    // An SVG original is rasterised again before the worker sees it (same hash: it hashes the original bytes).
    ...(isSvg(blob) ? { contentHash: null } : {}),
  };
}

function restoredAudio(stored: StoredAudioItem, blob: Blob): AudioItem {
  const { schemaVersion: _version, kind: _kind, workspaceId: _workspaceId, mediaBytes: _mediaBytes, ...fields } = stored;
  return { ...fields, blob, url: URL.createObjectURL(blob), headProbabilities: null, classifier: 'zero-shot' };
}

/** Items a plan writes (added or changed, images and audio). */
function plannedItems(plan: WorkspaceWritePlan): number {
  const count = (diff: WorkspaceWritePlan['images']) => diff.added.length + diff.changed.length;
  return count(plan.images) + count(plan.audio);
}

/** Items in the saved order (any the order misses go last); an item whose media is gone can't be shown, so it is left out. */
function inOrder<T extends StoredItem>(items: readonly T[], order: readonly string[]): T[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  const ordered = order.flatMap((id) => byId.get(id) ?? []);
  const listed = new Set(order);
  return [...ordered, ...items.filter((item) => !listed.has(item.id))];
}

function nextWorkspaceName(existing: readonly WorkspaceRecord[]): string {
  const names = new Set(existing.map((record) => record.name));
  for (let n = existing.length + 1; ; n++) if (!names.has(`Workspace ${n}`)) return `Workspace ${n}`;
}

function uniqueName(name: string, existing: readonly WorkspaceRecord[]): string {
  const names = new Set(existing.map((record) => record.name));
  if (!names.has(name)) return name;
  for (let n = 2; ; n++) if (!names.has(`${name} ${n}`)) return `${name} ${n}`;
}

function newWorkspaceRecord(name: string, settings: WorkspaceSettings): WorkspaceRecord {
  const now = Date.now();
  return {
    schemaVersion: STORED_RECORD_VERSION,
    id: `workspace-${crypto.randomUUID()}`,
    name,
    createdAt: now,
    openedAt: now,
    settings,
    imageOrder: [],
    audioOrder: [],
    experiments: [],
  };
}

export class WorkspaceManager {
  private db: WorkspaceDb | null = null;
  /** The open workspace's record as last written (or to be written when `recordDirty`). */
  private active: WorkspaceRecord | null = null;
  /** What IndexedDB holds for the open workspace: the base the next save diffs against. */
  private saved: Snapshot | null = null;
  /** The experiments list IndexedDB holds for the open workspace (the store replaces the list on every change). */
  private savedExperiments: readonly Experiment[] | null = null;
  private recordDirty = false;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the oldest unsaved change happened (ms since epoch), for the maximum delay. */
  private pendingSince: number | null = null;
  private saving: Promise<void> = Promise.resolve();
  /** While a workspace is being swapped in, store changes are not edits to save. */
  private swapping = false;
  /**
   * Items per save transaction: MAX_ITEMS_PER_SAVE, halved after each save that ran out of space
   * (so what fits is stored) and doubled again after each one that fitted.
   */
  private itemsPerSave = MAX_ITEMS_PER_SAVE;
  /** Another tab's newer app upgraded the database: nothing can be saved until this page is reloaded. */
  private outdated = false;

  /** Workspace records left out of the last listing because they did not match their schema. */
  private skippedWorkspaces = 0;
  /** The open workspace's item and media records left out when it was loaded, for the same reason. */
  private skippedItems = 0;

  constructor(private readonly store: StoreApi<AppState>) {}

  /**
   * Restores the most recently opened workspace (creating the first one if there is none), then
   * saves every change. `overrides` are the settings a link asked for: they win over the saved ones.
   * With `freshWorkspaceName` (a shared demo), a new workspace of that name is opened instead, with the current settings.
   */
  async start(overrides: Partial<WorkspaceSettings> = {}, options: { freshWorkspaceName?: string } = {}): Promise<void> {
    try {
      // Until the other tab lets go, this tab works in memory and says why.
      this.db = await WorkspaceDb.open({
        onBlocked: () => this.store.getState().setStorageStatus({ state: 'blocked' }),
        onNewerVersion: () => this.lockOut(),
      });
      const records = await this.listWorkspaces(this.db);
      const latest = [...records].sort((a, b) => b.openedAt - a.openedAt)[0];
      const settings = workspaceSettingsOf(this.store.getState());
      if (options.freshWorkspaceName !== undefined)
        this.beginWorkspace(newWorkspaceRecord(uniqueName(options.freshWorkspaceName, records), settings), false);
      else if (latest) await this.openWorkspace(latest, overrides, false);
      else this.beginWorkspace(newWorkspaceRecord(nextWorkspaceName(records), settings), false);
      await this.publishList();
    } catch (error) {
      this.db = null;
      this.workInMemory(error);
      return;
    }
    this.store.subscribe((state, previous) => {
      if (!this.swapping && touchesWorkspace(state, previous)) this.scheduleSave();
    });
    // The page may go away before the debounce fires.
    addEventListener('pagehide', () => void this.flush());
    // Items dropped while restoring, a link's settings, the new opening time.
    this.scheduleSave();
    void this.refreshUsage();
  }

  /** Writes pending changes now; resolves when they are stored (or failed). */
  flush(): Promise<void> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.pendingSince = null;
    this.saving = this.saving.then(() => this.writeChanges());
    return this.saving;
  }

  /**
   * Tries the saves that failed (out of space, or another error) again. Out of space, it starts as
   * small as the last attempt and grows with each save that fits: a big write that fails still
   * takes its size from the quota until the browser cleans it up.
   */
  retrySave(): Promise<void> {
    this.setPending(true);
    return this.flush();
  }

  async createWorkspace(): Promise<void> {
    const db = this.db;
    if (!db) return;
    await this.flush();
    const record = newWorkspaceRecord(nextWorkspaceName(await this.listWorkspaces(db)), workspaceSettingsOf(this.store.getState()));
    try {
      await db.putWorkspace(record);
    } catch (error) {
      this.reportWriteFailure(error);
      return;
    }
    this.swap(() => {
      this.clearMemory();
      this.beginWorkspace(record, false);
    });
    await this.publishList();
    void this.refreshUsage();
  }

  async switchWorkspace(id: string): Promise<void> {
    const db = this.db;
    if (!db || id === this.active?.id) return;
    await this.flush();
    const record = (await this.listWorkspaces(db)).find((candidate) => candidate.id === id);
    if (!record) return;
    await this.openWorkspace(record, {}, true);
    await this.publishList();
    this.scheduleSave();
    void this.refreshUsage();
  }

  async renameWorkspace(id: string, name: string): Promise<void> {
    const db = this.db;
    const trimmed = name.trim().slice(0, MAX_WORKSPACE_NAME_LENGTH);
    if (!db || trimmed === '') return;
    if (id === this.active?.id) {
      this.active = { ...this.active, name: trimmed };
      this.recordDirty = true;
      await this.flush();
    } else {
      const record = (await this.listWorkspaces(db)).find((candidate) => candidate.id === id);
      if (!record) return;
      try {
        await db.putWorkspace({ ...record, name: trimmed });
      } catch (error) {
        this.reportWriteFailure(error);
        return;
      }
    }
    await this.publishList();
  }

  /** Deletes a workspace and everything stored with it; deleting the open one opens the next (or a new one). */
  async deleteWorkspace(id: string): Promise<void> {
    const db = this.db;
    if (!db) return;
    const deletingActive = id === this.active?.id;
    if (deletingActive) await this.stopSaving();
    try {
      await db.deleteWorkspace(id);
    } catch (error) {
      if (deletingActive) this.saved = null;
      this.reportWriteFailure(error);
      return;
    }
    if (deletingActive) {
      const next = (await this.listWorkspaces(db)).sort((a, b) => b.openedAt - a.openedAt)[0];
      if (next) await this.openWorkspace(next, {}, true);
      else this.swap(() => {
        this.clearMemory();
        this.beginWorkspace(newWorkspaceRecord(nextWorkspaceName([]), workspaceSettingsOf(this.store.getState())), false);
      });
      this.scheduleSave();
    }
    await this.publishList();
    void this.refreshUsage();
  }

  /** Deletes every stored workspace and embedding and starts afresh with one empty workspace. */
  async clearStorage(): Promise<void> {
    const db = this.db;
    await this.stopSaving();
    this.swap(() => this.clearMemory());
    try {
      await Promise.all([db?.clearAll(), clearStoredEmbeddings().catch(() => undefined)]);
    } catch (error) {
      this.reportWriteFailure(error);
    }
    if (db) {
      this.beginWorkspace(newWorkspaceRecord(nextWorkspaceName([]), workspaceSettingsOf(this.store.getState())), false);
      await this.publishList();
      this.scheduleSave();
    }
    void this.refreshUsage();
  }

  async refreshUsage(): Promise<void> {
    const estimate = await navigator.storage?.estimate?.().catch(() => null);
    const saved = this.saved;
    const items: Array<{ blob: Blob }> = saved ? [...Object.values(saved.images), ...Object.values(saved.audio)] : [];
    this.store.getState().setStorageUsage({
      originBytes: estimate?.usage ?? null,
      quotaBytes: estimate?.quota ?? null,
      workspaceMediaBytes: items.reduce((sum, item) => sum + item.blob.size, 0),
      savedItems: items.length,
    });
  }

  // ---- internals ---------------------------------------------------------------------------

  private scheduleSave(): void {
    if (!this.db) return;
    const now = Date.now();
    this.pendingSince ??= now;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    const delay = Math.max(0, Math.min(SAVE_DEBOUNCE_MS, this.pendingSince + MAX_SAVE_DELAY_MS - now));
    this.saveTimer = setTimeout(() => void this.flush(), delay);
    this.setPending(true);
  }

  /** Waits for a running save, drops a scheduled one, and forgets the open workspace (it is about to go). */
  private async stopSaving(): Promise<void> {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.pendingSince = null;
    await this.saving;
    this.active = null;
    this.saved = null;
    this.savedExperiments = null;
  }

  private async writeChanges(): Promise<void> {
    const { db, active, saved } = this;
    if (!db || !active || !saved) return this.setPending(false);
    const state = this.store.getState();
    const current = snapshotOf(state);
    const experiments = state.experiments;
    const experimentsChanged = experiments !== this.savedExperiments;
    const whole = planWorkspaceWrite(saved, current);
    if (this.outdated) return this.reportOutdated(whole);
    if (isEmptyPlan(whole) && !this.recordDirty && !experimentsChanged) return this.setPending(false);
    const { plan, complete } = limitPlan(whole, this.itemsPerSave);
    const record: WorkspaceRecord = {
      ...active,
      settings: current.settings,
      imageOrder: [...current.imageOrder],
      audioOrder: [...current.audioOrder],
      experiments: newestExperiments(experiments),
    };
    const write: WorkspaceWrite = {
      workspace: plan.workspaceChanged || this.recordDirty || experimentsChanged ? record : undefined,
      putMedia: [
        ...plan.images.added.map((id) => storedMedia(id, active.id, current.images[id]!.blob)),
        ...plan.audio.added.map((id) => storedMedia(id, active.id, current.audio[id]!.blob)),
      ],
      putItems: [
        ...[...plan.images.changed, ...plan.images.added].map((id) => storedImage(current.images[id]!, active.id)),
        ...[...plan.audio.changed, ...plan.audio.added].map((id) => storedAudio(current.audio[id]!, active.id)),
      ],
      deleteItemIds: [...plan.images.removed, ...plan.audio.removed],
    };
    try {
      await db.write(write);
    } catch (error) {
      // Nothing of this write was kept; `saved` still describes what is stored, so the next save retries it all.
      const items = plannedItems(plan);
      if (storageFailureOf(error) === 'quota' && items > 1) {
        // Out of space with several items: try half as many, so whatever still fits is stored.
        this.itemsPerSave = Math.max(1, Math.floor(items / 2));
        this.saveTimer = setTimeout(() => void this.flush(), 0);
        return this.setPending(true);
      }
      this.reportWriteFailure(error, whole);
      return;
    }
    this.itemsPerSave = Math.min(MAX_ITEMS_PER_SAVE, this.itemsPerSave * 2);
    // A switch or delete may have replaced the workspace meanwhile: only then is this base stale.
    if (this.active?.id === active.id) {
      this.saved = snapshotAfter(saved, current, plan);
      this.savedExperiments = experiments;
      this.active = { ...record, name: this.active.name };
      this.recordDirty = this.active.name !== record.name;
    }
    if (!complete) {
      // The rest in the next task, so the page stays responsive while a big drop is stored.
      this.saveTimer = setTimeout(() => void this.flush(), 0);
      return this.setPending(true);
    }
    this.store.getState().setStorageStatus({ state: 'saved' });
    this.setPending(this.saveTimer !== null);
    void this.refreshUsage();
  }

  /** Another tab's newer app is upgrading the database (this connection is closed already): stop saving, and say so now. */
  private lockOut(): void {
    this.outdated = true;
    const saved = this.saved;
    this.reportOutdated(saved ? planWorkspaceWrite(saved, snapshotOf(this.store.getState())) : null);
  }

  private reportOutdated(unsaved: WorkspaceWritePlan | null): void {
    this.outdated = true;
    this.store.getState().setStorageStatus({ state: 'outdated', unsavedItems: unsaved ? plannedItems(unsaved) : 0 });
    this.setPending(false);
  }

  private async openWorkspace(record: WorkspaceRecord, overrides: Partial<WorkspaceSettings>, replace: boolean): Promise<void> {
    const db = this.db!;
    const loaded = await db.loadWorkspace(record.id);
    const withMedia = <T extends StoredItem>(items: T[]) => items.filter((item) => loaded.media.has(item.id));
    const images = inOrder(withMedia(loaded.items.filter((item): item is StoredImageItem => item.kind === 'image')), record.imageOrder).map(
      (item) => restoredImage(item, loaded.media.get(item.id)!),
    );
    const audio = inOrder(withMedia(loaded.items.filter((item): item is StoredAudioItem => item.kind === 'audio')), record.audioOrder).map(
      (item) => restoredAudio(item, loaded.media.get(item.id)!),
    );
    const experiments = parseStoredExperiments(record.experiments);
    this.swap(() => {
      if (replace) this.clearMemory();
      const state = this.store.getState();
      state.applySettings({ ...record.settings, ...overrides });
      if (images.length > 0) state.addItems(images);
      if (audio.length > 0) state.addAudioItems(audio);
      state.setExperiments(experiments.experiments);
      this.skippedItems = loaded.skipped + experiments.skipped;
      this.beginWorkspace(record, true, {
        images: Object.fromEntries(images.map((item) => [item.id, item])),
        imageOrder: images.map((item) => item.id),
        audio: Object.fromEntries(audio.map((item) => [item.id, item])),
        audioOrder: audio.map((item) => item.id),
        settings: record.settings,
      });
    });
  }

  /** Makes `record` the open workspace; `saved` is what storage holds of it (nothing for a new one). */
  private beginWorkspace(record: WorkspaceRecord, alreadyStored: boolean, saved?: Snapshot): void {
    this.active = { ...record, openedAt: Date.now() };
    if (!alreadyStored) this.skippedItems = 0;
    this.saved = saved ?? emptySnapshot(alreadyStored ? record.settings : workspaceSettingsOf(this.store.getState()));
    // A stored workspace's experiments were just restored as they are stored; a new one's are written with the record.
    this.savedExperiments = this.store.getState().experiments;
    // Its opening time (and, for a new one, the record itself) is written with the next save.
    this.recordDirty = true;
    this.store.getState().setStorageStatus({ state: 'saved' });
  }

  private swap(change: () => void): void {
    this.swapping = true;
    try {
      change();
    } finally {
      this.swapping = false;
    }
  }

  private clearMemory(): void {
    // Clearing also forgets each task's focus, selection and undo history (they refer to these items).
    const state = this.store.getState();
    state.clearItems();
    state.clearAudioItems();
    // The lab's experiments belong to the workspace; the grid run "apply best" picks from goes with them.
    state.setExperiments([]);
    for (const task of TASKS) state.setLastGridRun(task, null);
  }

  private async publishList(): Promise<void> {
    const db = this.db;
    const records = db ? await this.listWorkspaces(db).catch(() => []) : [];
    const active = this.active;
    // The open workspace is listed even before its record is first written.
    const all = active && !records.some((record) => record.id === active.id) ? [...records, active] : records;
    const list = all
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((record) => ({ id: record.id, name: record.id === active?.id ? active.name : record.name }));
    this.store.getState().setWorkspaces(list, active?.id ?? null);
    this.store.getState().setUnreadableRecords(this.skippedWorkspaces + this.skippedItems);
  }

  /** The workspace records that match their schema; how many did not is remembered for the notice. */
  private async listWorkspaces(db: WorkspaceDb): Promise<WorkspaceRecord[]> {
    const { records, skipped } = await db.listWorkspaces();
    this.skippedWorkspaces = skipped;
    return records;
  }

  private workInMemory(error: unknown): void {
    const state = this.store.getState();
    state.setWorkspaces([IN_MEMORY_WORKSPACE], IN_MEMORY_WORKSPACE.id);
    // A newer app version in another tab upgraded the storage: this (older) page can't open it.
    if (storageFailureOf(error) === 'newer-version') state.setStorageStatus({ state: 'outdated', unsavedItems: 0 });
    else state.setStorageStatus({ state: 'unavailable', message: errorMessage(error) });
    void this.refreshUsage();
  }

  /** `unsaved`: what the failed save had to write (all of it, not just the part tried last). */
  private reportWriteFailure(error: unknown, unsaved?: WorkspaceWritePlan): void {
    const state = this.store.getState();
    const failure = storageFailureOf(error);
    if (failure === 'quota') {
      const saved = this.saved;
      const current = snapshotOf(state);
      state.setStorageStatus({
        state: 'quota-exceeded',
        savedItems: saved ? Object.keys(saved.images).length + Object.keys(saved.audio).length : 0,
        totalItems: current.imageOrder.length + current.audioOrder.length,
        unsavedItems: unsaved ? plannedItems(unsaved) : 0,
      });
      void this.refreshUsage();
    }
    // Reopening after another tab's upgrade: that tab runs a newer app, whose storage this one can't use.
    else if (failure === 'newer-version') return this.reportOutdated(unsaved ?? null);
    else state.setStorageStatus({ state: 'write-failed', message: errorMessage(error) });
    this.setPending(false);
  }

  private setPending(pending: boolean): void {
    if (this.store.getState().savePending !== pending) this.store.getState().setSavePending(pending);
  }
}
