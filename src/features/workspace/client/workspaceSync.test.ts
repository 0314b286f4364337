import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoreApi } from 'zustand/vanilla';
import type { AppState } from '../../../store';
import type { ImageItem } from '../../../store/itemsSlice';
import type { Experiment } from '../../../lib/experiments';
import { WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION, WorkspaceDb } from './workspaceDb';
import { MAX_SAVE_DELAY_MS, SAVE_DEBOUNCE_MS, WorkspaceManager } from './workspaceSync';
import { createUnpersistedStore } from '../../../store';

const newStore = createUnpersistedStore;

function imageItem(id: string, bytes = `bytes of ${id}`): ImageItem {
  return {
    id,
    name: `${id}.png`,
    path: `folder/${id}.png`,
    truth: 'cat',
    decision: 'none',
    finalLabel: null,
    blob: new Blob([bytes], { type: 'image/png' }),
    contentHash: `hash-${id}`,
    state: 'done',
    error: null,
    predictions: [
      { label: 'cat', score: 0.8 },
      { label: 'dog', score: 0.2 },
    ],
    rankedPromptsKey: 'prompts',
    classifier: 'zero-shot',
    width: 4,
    height: 3,
  };
}

function experiment(id: string, accuracy = 0.5): Experiment {
  return {
    id,
    runId: 'run-1',
    task: 'image',
    modelId: 'builtin/clip-shapes',
    createdAt: 1,
    kind: 'single',
    name: 'a photo of a {}.',
    templates: ['a photo of a {}.'],
    labelsText: 'cat\ndog',
    labels: ['cat', 'dog'],
    calibration: null,
    aggregation: null,
    classifier: 'zero-shot',
    evaluated: 4,
    accuracy,
    cvAccuracy: accuracy,
    macroF1: null,
    perClassRecall: [1, 0],
    perClassSupport: [2, 2],
    confusion: [
      [2, 0],
      [2, 0],
    ],
  };
}

const experimentIds = (store: StoreApi<AppState>) => store.getState().experiments.map((e) => e.id);

/** Puts per object store, counted where IndexedDB is called (what is actually written). */
function countPuts(): Map<string, number> {
  const counts = new Map<string, number>();
  const put = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    counts.set(this.name, (counts.get(this.name) ?? 0) + 1);
    return put.apply(this, args);
  });
  return counts;
}

function failPuts(): void {
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(() => {
    throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
  });
}

/**
 * A disk with room for `media` more media records (a put beyond that throws as a full disk does);
 * what an aborted transaction would have put does not count.
 */
function diskWithRoomFor(media: number): { grow(by: number): void } {
  let room = media;
  const pending = new WeakMap<IDBTransaction, number>();
  const put = IDBObjectStore.prototype.put;
  vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
    if (this.name === 'media') {
      const transaction = this.transaction;
      const inThis = pending.get(transaction) ?? 0;
      if (inThis >= room) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      if (inThis === 0) transaction.addEventListener('complete', () => (room -= pending.get(transaction) ?? 0));
      pending.set(transaction, inThis + 1);
    }
    return put.apply(this, args);
  });
  return { grow: (by) => (room += by) };
}

/** Runs the save and the follow-up saves it schedules (halving after a full disk, the rest of a big save). */
async function flushAll(store: StoreApi<AppState>, manager: WorkspaceManager): Promise<void> {
  for (let i = 0; i < 50; i++) {
    await manager.flush();
    if (!store.getState().savePending) return;
  }
  throw new Error('the saves did not settle');
}

/** A newer app version in another tab upgrades the workspaces' database. */
function newerVersionOpens(): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const request = indexedDB.open(WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION + 1);
    request.onblocked = () => reject(new Error('the upgrade was blocked by this tab'));
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

async function started(store = newStore()): Promise<{ store: StoreApi<AppState>; manager: WorkspaceManager }> {
  const manager = new WorkspaceManager(store);
  await manager.start();
  return { store, manager };
}

const names = (store: StoreApi<AppState>) => store.getState().itemOrder.map((id) => store.getState().items[id]?.name);
const activeName = (store: StoreApi<AppState>) => store.getState().workspaces.find((w) => w.id === store.getState().activeWorkspaceId)?.name;

let pageHide: Array<() => void> = [];

beforeEach(() => {
  // A fresh, empty IndexedDB per test; timers faked for the debounce (IndexedDB itself runs on setImmediate).
  vi.stubGlobal('indexedDB', new IDBFactory());
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  pageHide = [];
  vi.stubGlobal('addEventListener', (type: string, listener: () => void) => {
    if (type === 'pagehide') pageHide.push(listener);
  });
  vi.stubGlobal('navigator', { storage: { estimate: () => Promise.resolve({ usage: 1_000, quota: 1_000_000 }) } });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('WorkspaceManager', () => {
  it('starts with a first workspace and stores each item’s media once, then only its metadata', async () => {
    const { store, manager } = await started();
    expect(activeName(store)).toBe('Workspace 1');
    expect(store.getState().storageStatus).toEqual({ state: 'saved' });
    const puts = countPuts();

    store.getState().addItems([imageItem('a')]);
    await manager.flush();
    store.getState().updateItem('a', { decision: 'accepted', finalLabel: 'cat' });
    await manager.flush();
    store.getState().updateItem('a', { predictions: [{ label: 'dog', score: 1 }] });
    await manager.flush();

    expect(puts.get('media')).toBe(1);
    expect(puts.get('items')).toBe(3);
    await manager.refreshUsage();
    expect(store.getState().storageUsage).toEqual({
      originBytes: 1_000,
      quotaBytes: 1_000_000,
      workspaceMediaBytes: imageItem('a').blob.size,
      savedItems: 1,
    });
  });

  it('restores the most recently opened workspace: items, decisions, order and media', async () => {
    const first = await started();
    first.store.getState().addItems([imageItem('b'), imageItem('a')]);
    first.store.getState().updateItem('a', { decision: 'overridden', finalLabel: 'dog' });
    await first.manager.flush();
    vi.advanceTimersByTime(1_000);
    await first.manager.createWorkspace();
    first.store.getState().addItems([imageItem('elsewhere')]);
    await first.manager.flush();
    vi.advanceTimersByTime(1_000);
    const workspace1 = first.store.getState().workspaces.find((w) => w.name === 'Workspace 1')!;
    await first.manager.switchWorkspace(workspace1.id);
    await first.manager.flush();

    const second = await started();
    expect(activeName(second.store)).toBe('Workspace 1');
    expect(second.store.getState().workspaces.map((w) => w.name)).toEqual(['Workspace 1', 'Workspace 2']);
    expect(names(second.store)).toEqual(['b.png', 'a.png']);
    const restored = second.store.getState().items['a']!;
    expect(restored).toMatchObject({ decision: 'overridden', finalLabel: 'dog', truth: 'cat', path: 'folder/a.png', width: 4, height: 3 });
    expect(restored.predictions).toEqual(imageItem('a').predictions);
    expect(await restored.blob.text()).toBe('bytes of a');
    expect(second.store.getState().unreadableRecords).toBe(0);
  });

  it('saves a burst of changes once, after the debounce; a change that never pauses at the latest after the maximum delay', async () => {
    const { store, manager } = await started();
    await manager.flush();
    const write = vi.spyOn(WorkspaceDb.prototype, 'write');
    store.getState().addItems([imageItem('a')]);
    for (let step = 0; step < 3; step++) {
      vi.advanceTimersByTime(SAVE_DEBOUNCE_MS - 100);
      store.getState().updateItem('a', { decision: step % 2 === 0 ? 'accepted' : 'none' });
    }
    expect(write).not.toHaveBeenCalled();
    expect(store.getState().savePending).toBe(true);
    vi.advanceTimersByTime(SAVE_DEBOUNCE_MS);
    await manager.flush();
    // The timer's save; the flush found nothing left to write.
    expect(write).toHaveBeenCalledTimes(1);
    expect(write.mock.calls[0]![0].putItems.map((item) => item.decision)).toEqual(['accepted']);
    expect(store.getState().savePending).toBe(false);

    write.mockClear();
    const keepEditing = Math.ceil(MAX_SAVE_DELAY_MS / (SAVE_DEBOUNCE_MS - 100)) + 1;
    for (let step = 0; step < keepEditing; step++) {
      store.getState().updateItem('a', { decision: step % 2 === 0 ? 'rejected' : 'none' });
      await vi.advanceTimersByTimeAsync(SAVE_DEBOUNCE_MS - 100);
    }
    expect(write).toHaveBeenCalled();
    await manager.flush();
  });

  it('saves pending changes when the page is hidden', async () => {
    const { store, manager } = await started();
    store.getState().addItems([imageItem('a')]);
    expect(pageHide).toHaveLength(1);
    pageHide[0]!();
    await manager.flush();
    const again = await started();
    expect(names(again.store)).toEqual(['a.png']);
  });

  it('switches, renames and deletes workspaces, each with its own items', async () => {
    const { store, manager } = await started();
    store.getState().addItems([imageItem('one'), imageItem('two')]);
    // Workspaces are listed by creation time.
    vi.advanceTimersByTime(1_000);
    await manager.createWorkspace();
    expect(activeName(store)).toBe('Workspace 2');
    expect(names(store)).toEqual([]);
    store.getState().addItems([imageItem('three')]);
    await manager.renameWorkspace(store.getState().activeWorkspaceId!, '  Second  ');
    expect(store.getState().workspaces.map((w) => w.name)).toEqual(['Workspace 1', 'Second']);

    const [workspace1, workspace2] = store.getState().workspaces;
    await manager.switchWorkspace(workspace1!.id);
    expect(names(store)).toEqual(['one.png', 'two.png']);
    await manager.switchWorkspace(workspace2!.id);
    expect(names(store)).toEqual(['three.png']);

    await manager.deleteWorkspace(workspace2!.id);
    expect(store.getState().workspaces.map((w) => w.name)).toEqual(['Workspace 1']);
    expect(activeName(store)).toBe('Workspace 1');
    expect(names(store)).toEqual(['one.png', 'two.png']);
  });

  it('saves the lab’s experiments with the workspace when they change and restores them on the next start', async () => {
    const first = await started();
    await first.manager.flush();
    const puts = countPuts();
    first.store.getState().addExperiments([experiment('e1'), experiment('e2')]);
    expect(first.store.getState().savePending).toBe(true);
    await first.manager.flush();
    expect(puts.get('workspaces')).toBe(1);
    first.store.getState().removeExperiment('e1');
    await first.manager.flush();
    expect(puts.get('workspaces')).toBe(2);
    // Nothing changed: nothing written.
    await first.manager.flush();
    expect(puts.get('workspaces')).toBe(2);

    const second = await started();
    expect(experimentIds(second.store)).toEqual(['e2']);
    expect(second.store.getState().experiments[0]).toEqual(experiment('e2'));
  });

  it('keeps each workspace’s experiments to itself, and clears them with the workspace', async () => {
    const { store, manager } = await started();
    store.getState().addExperiments([experiment('first-1')]);
    store.getState().setLastGridRun('image', 'run-1');
    vi.advanceTimersByTime(1_000);
    await manager.createWorkspace();
    expect(experimentIds(store)).toEqual([]);
    expect(store.getState().lastGridRun.image).toBeNull();
    store.getState().addExperiments([experiment('second-1')]);
    const [workspace1, workspace2] = store.getState().workspaces;
    await manager.switchWorkspace(workspace1!.id);
    expect(experimentIds(store)).toEqual(['first-1']);
    await manager.switchWorkspace(workspace2!.id);
    expect(experimentIds(store)).toEqual(['second-1']);

    await manager.deleteWorkspace(workspace2!.id);
    expect(experimentIds(store)).toEqual(['first-1']);
    await manager.clearStorage();
    expect(experimentIds(store)).toEqual([]);
    expect(experimentIds((await started()).store)).toEqual([]);
  });

  it('restores a workspace saved before the lab with no experiments, and leaves out and counts an unreadable experiment', async () => {
    const first = await started();
    first.store.getState().addItems([imageItem('a')]);
    first.store.getState().addExperiments([experiment('good'), experiment('damaged')]);
    await first.manager.flush();
    const workspaceId = first.store.getState().activeWorkspaceId!;
    const rewrite = (change: (record: Record<string, unknown>) => Record<string, unknown>) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open(WORKSPACE_DB_NAME);
        request.onsuccess = () => {
          const transaction = request.result.transaction('workspaces', 'readwrite');
          const workspaces = transaction.objectStore('workspaces');
          const read = workspaces.get(workspaceId);
          read.onsuccess = () => workspaces.put(change(read.result as Record<string, unknown>));
          transaction.oncomplete = () => {
            request.result.close();
            resolve();
          };
          transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
        };
      });

    await rewrite((record) => ({ ...record, experiments: [experiment('good'), { ...experiment('damaged'), accuracy: 7 }] }));
    const second = await started();
    expect(experimentIds(second.store)).toEqual(['good']);
    expect(second.store.getState().unreadableRecords).toBe(1);
    await second.manager.flush();

    await rewrite(({ experiments: _experiments, ...record }) => record);
    const third = await started();
    expect(names(third.store)).toEqual(['a.png']);
    expect(experimentIds(third.store)).toEqual([]);
    expect(third.store.getState().unreadableRecords).toBe(0);
  });

  it('reports a full disk, keeps the change in memory, and saves it all once there is room again', async () => {
    const { store, manager } = await started();
    store.getState().addItems([imageItem('kept')]);
    await manager.flush();
    await manager.refreshUsage();
    expect(store.getState().storageUsage?.savedItems).toBe(1);

    failPuts();
    store.getState().addItems([imageItem('unsaved')]);
    await manager.flush();
    expect(store.getState().storageStatus).toEqual({ state: 'quota-exceeded', savedItems: 1, totalItems: 2, unsavedItems: 1 });
    expect(store.getState().savePending).toBe(false);
    expect(names(store)).toEqual(['kept.png', 'unsaved.png']);
    await manager.refreshUsage();
    expect(store.getState().storageUsage?.savedItems).toBe(1);
    expect(names((await started()).store), 'what was stored before survives').toEqual(['kept.png']);

    vi.restoreAllMocks();
    store.getState().updateItem('kept', { decision: 'accepted' });
    await manager.flush();
    expect(store.getState().storageStatus).toEqual({ state: 'saved' });
    expect(names((await started()).store)).toEqual(['kept.png', 'unsaved.png']);
  });

  it('out of space mid-import, stores as many items as fit, says how many, and stores the rest on retry once there is room', async () => {
    const { store, manager } = await started();
    store.getState().addItems([imageItem('before')]);
    await manager.flush();
    const disk = diskWithRoomFor(4);
    const imported = Array.from({ length: 12 }, (_, i) => imageItem(`new-${i}`));
    store.getState().addItems(imported);
    store.getState().updateItem('before', { decision: 'accepted' });
    await flushAll(store, manager);
    // One media record was stored before; four more fit. The decision (metadata only) went first.
    expect(store.getState().storageStatus).toEqual({ state: 'quota-exceeded', savedItems: 5, totalItems: 13, unsavedItems: 8 });
    expect(store.getState().savePending).toBe(false);
    expect(names(store), 'everything stays in memory').toHaveLength(13);
    const stored = (await started()).store;
    expect(names(stored)).toEqual(['before.png', 'new-0.png', 'new-1.png', 'new-2.png', 'new-3.png']);
    expect(stored.getState().items.before?.decision).toBe('accepted');
    expect(stored.getState().items['new-0']).toMatchObject({ predictions: imported[0]!.predictions, state: 'done' });

    disk.grow(100);
    await manager.retrySave();
    await flushAll(store, manager);
    expect(store.getState().storageStatus).toEqual({ state: 'saved' });
    expect(names((await started()).store)).toEqual(names(store));
  });

  it('stops saving as soon as another tab upgrades the storage, says to reload, and counts what is not saved', async () => {
    const { store, manager } = await started();
    store.getState().addItems([imageItem('a')]);
    await manager.flush();
    store.getState().addItems([imageItem('b')]);
    store.getState().updateItem('a', { decision: 'accepted' });
    await newerVersionOpens();
    // Said at once, before any save tries.
    expect(store.getState().storageStatus).toEqual({ state: 'outdated', unsavedItems: 2 });
    const puts = countPuts();
    store.getState().addItems([imageItem('c')]);
    await manager.flush();
    expect(store.getState().storageStatus).toEqual({ state: 'outdated', unsavedItems: 3 });
    expect(store.getState().savePending).toBe(false);
    expect(puts.size, 'nothing written').toBe(0);
    expect(names(store)).toEqual(['a.png', 'b.png', 'c.png']);
  });

  it('lets another tab upgrade the storage and then says this page must be reloaded', async () => {
    const { store, manager } = await started();
    await manager.flush();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION + 1);
      request.onblocked = () => reject(new Error('the upgrade was blocked by this tab'));
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
    });
    store.getState().addItems([imageItem('a')]);
    await manager.flush();
    expect(store.getState().storageStatus).toEqual({ state: 'outdated', unsavedItems: 1 });
    expect(names(store)).toEqual(['a.png']);
  });

  it('says this page must be reloaded when it starts after a newer version upgraded the storage', async () => {
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION + 1);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
    const { store } = await started();
    expect(store.getState().storageStatus).toEqual({ state: 'outdated', unsavedItems: 0 });
    expect(store.getState().workspaces).toEqual([{ id: 'in-memory', name: 'This session (not saved)' }]);
  });

  it('leaves out and counts stored records it cannot read, and restores the rest', async () => {
    const first = await started();
    first.store.getState().addItems([imageItem('good'), imageItem('damaged')]);
    await first.manager.flush();
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open(WORKSPACE_DB_NAME);
      request.onsuccess = () => {
        const transaction = request.result.transaction(['items', 'workspaces'], 'readwrite');
        const items = transaction.objectStore('items');
        const read = items.get('damaged');
        read.onsuccess = () => items.put({ ...read.result, predictions: 'not a list' });
        transaction.objectStore('workspaces').put({ id: 'from-the-future', schemaVersion: 99 });
        transaction.oncomplete = () => {
          request.result.close();
          resolve();
        };
        transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
      };
    });

    const second = await started();
    expect(names(second.store)).toEqual(['good.png']);
    expect(second.store.getState().unreadableRecords).toBe(2);
    expect(second.store.getState().workspaces.map((w) => w.name)).toEqual(['Workspace 1']);
    expect(second.store.getState().storageStatus).toEqual({ state: 'saved' });
  });

  it('works in memory and says so where IndexedDB is refused (private mode)', async () => {
    vi.spyOn(IDBFactory.prototype, 'open').mockImplementation(() => {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
    });
    const { store, manager } = await started();
    expect(store.getState().storageStatus).toMatchObject({ state: 'unavailable' });
    expect(store.getState().workspaces).toEqual([{ id: 'in-memory', name: 'This session (not saved)' }]);
    store.getState().addItems([imageItem('a')]);
    await manager.createWorkspace();
    await manager.flush();
    expect(names(store)).toEqual(['a.png']);
    expect(store.getState().workspaces).toHaveLength(1);
  });
});
