import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, workspaceSettingsOf } from '../../../store/settingsSlice';
import { openDB } from 'idb';
import {
  STORED_RECORD_VERSION,
  WORKSPACE_DB_NAME,
  WORKSPACE_DB_VERSION,
  WorkspaceDb,
  type StoredAudioItem,
  type StoredImageItem,
  type StoredMedia,
  type WorkspaceRecord,
} from './workspaceDb';

function record(id: string, name = id, openedAt = 1): WorkspaceRecord {
  return {
    schemaVersion: STORED_RECORD_VERSION,
    id,
    name,
    createdAt: 1,
    openedAt,
    settings: workspaceSettingsOf(DEFAULT_SETTINGS),
    imageOrder: [],
    audioOrder: [],
    experiments: [],
  };
}

function image(id: string, workspaceId: string): StoredImageItem {
  return {
    schemaVersion: STORED_RECORD_VERSION,
    kind: 'image',
    workspaceId,
    mediaBytes: 3,
    id,
    name: `${id}.png`,
    path: `${id}.png`,
    truth: 'cat',
    decision: 'accepted',
    finalLabel: 'cat',
    contentHash: `hash-${id}`,
    state: 'done',
    error: null,
    predictions: [{ label: 'cat', score: 0.9 }],
    rankedPromptsKey: 'prompts',
    classifier: null,
    width: 10,
    height: 20,
  };
}

function audio(id: string, workspaceId: string): StoredAudioItem {
  return {
    schemaVersion: STORED_RECORD_VERSION,
    kind: 'audio',
    workspaceId,
    mediaBytes: 4,
    id,
    name: `${id}.wav`,
    path: `${id}.wav`,
    truth: null,
    decision: 'none',
    finalLabel: null,
    contentHash: null,
    state: 'done',
    error: null,
    durationSeconds: 1.5,
    peaks: [0, 0.5, 1],
    rawScores: new Float32Array([-1.5, -2.5]),
    rankedPromptsKey: 'prompts',
    predictions: [{ label: 'yes', score: 0.7 }],
    transcript: 'yes',
    transcriptSeconds: null,
    note: null,
  };
}

function media(id: string, workspaceId: string, text: string): StoredMedia {
  return { schemaVersion: STORED_RECORD_VERSION, id, workspaceId, blob: new Blob([text]) };
}

/** Writes records as they are, past WorkspaceDb's types: what an older app, another tab or corruption leaves. */
async function putRaw(store: 'workspaces' | 'items' | 'media', values: readonly unknown[]): Promise<void> {
  const db = await openDB(WORKSPACE_DB_NAME);
  const transaction = db.transaction(store, 'readwrite');
  await Promise.all([...values.map((value) => transaction.store.put(value)), transaction.done]);
  db.close();
}

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory());
});

describe('WorkspaceDb', () => {
  it('creates, lists, renames and deletes workspaces, deleting their items and media with them', async () => {
    const db = await WorkspaceDb.open();
    expect(await db.listWorkspaces()).toEqual({ records: [], skipped: 0 });
    await db.putWorkspace(record('a', 'First'));
    await db.putWorkspace(record('b', 'Second'));
    await db.write({ putItems: [image('i1', 'a'), image('i2', 'b')], putMedia: [media('i1', 'a', 'one'), media('i2', 'b', 'two')], deleteItemIds: [] });
    await db.putWorkspace({ ...record('a'), name: 'Renamed' });
    expect((await db.listWorkspaces()).records.map((r) => [r.id, r.name]).sort()).toEqual([
      ['a', 'Renamed'],
      ['b', 'Second'],
    ]);

    await db.deleteWorkspace('a');
    expect((await db.listWorkspaces()).records.map((r) => r.id)).toEqual(['b']);
    const gone = await db.loadWorkspace('a');
    expect(gone.items).toEqual([]);
    expect(gone.media.size).toBe(0);
    const kept = await db.loadWorkspace('b');
    expect(kept.items.map((item) => item.id)).toEqual(['i2']);
    expect(await kept.media.get('i2')?.text()).toBe('two');
  });

  it('writes items and media in one go and loads them back as they were (Blobs and Float32Arrays included)', async () => {
    const db = await WorkspaceDb.open();
    const items = [image('i1', 'w'), audio('a1', 'w')];
    await db.write({ workspace: record('w'), putItems: items, putMedia: [media('i1', 'w', 'png'), media('a1', 'w', 'wave')], deleteItemIds: [] });
    const loaded = await db.loadWorkspace('w');
    expect(loaded.skipped).toBe(0);
    expect(loaded.items.sort((x, y) => x.id.localeCompare(y.id))).toEqual([audio('a1', 'w'), image('i1', 'w')]);
    const restoredAudio = loaded.items.find((item) => item.kind === 'audio');
    expect(restoredAudio?.kind === 'audio' && restoredAudio.rawScores).toBeInstanceOf(Float32Array);
    expect(await loaded.media.get('i1')?.text()).toBe('png');
    expect(await loaded.media.get('a1')?.text()).toBe('wave');
  });

  it('deletes items with their media, leaving the others', async () => {
    const db = await WorkspaceDb.open();
    await db.write({ putItems: [image('i1', 'w'), image('i2', 'w')], putMedia: [media('i1', 'w', '1'), media('i2', 'w', '2')], deleteItemIds: [] });
    await db.write({ putItems: [], putMedia: [], deleteItemIds: ['i1'] });
    const loaded = await db.loadWorkspace('w');
    expect(loaded.items.map((item) => item.id)).toEqual(['i2']);
    expect([...loaded.media.keys()]).toEqual(['i2']);
  });

  it('keeps nothing of a write that fails (quota) and everything stored before it', async () => {
    const db = await WorkspaceDb.open();
    await db.write({ workspace: record('w'), putItems: [image('i1', 'w')], putMedia: [media('i1', 'w', '1')], deleteItemIds: [] });
    const put = IDBObjectStore.prototype.put;
    let calls = 0;
    vi.spyOn(IDBObjectStore.prototype, 'put').mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      // The first put of the write goes through; the second finds the disk full.
      if (++calls === 2) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    });
    const failing = db.write({
      workspace: { ...record('w'), name: 'Changed' },
      putItems: [image('i2', 'w')],
      putMedia: [media('i2', 'w', '2')],
      deleteItemIds: ['i1'],
    });
    await expect(failing).rejects.toMatchObject({ name: 'QuotaExceededError' });
    vi.restoreAllMocks();
    expect((await db.listWorkspaces()).records.map((r) => r.name)).toEqual(['w']);
    const loaded = await db.loadWorkspace('w');
    expect(loaded.items.map((item) => item.id)).toEqual(['i1']);
    expect([...loaded.media.keys()]).toEqual(['i1']);
  });

  it('clears everything', async () => {
    const db = await WorkspaceDb.open();
    await db.write({ workspace: record('w'), putItems: [image('i1', 'w')], putMedia: [media('i1', 'w', '1')], deleteItemIds: [] });
    await db.clearAll();
    expect((await db.listWorkspaces()).records).toEqual([]);
    expect((await db.loadWorkspace('w')).media.size).toBe(0);
  });

  it('skips and counts stored records that do not match their schema; reads unversioned ones as version 1', async () => {
    const db = await WorkspaceDb.open();
    const { schemaVersion: _version, ...unversioned } = record('old');
    await putRaw('workspaces', [
      record('good'),
      unversioned,
      { ...record('newer'), schemaVersion: STORED_RECORD_VERSION + 1 },
      { ...record('bad-settings'), settings: { ...record('x').settings, task: 'video' } },
      { id: 'no-fields' },
    ]);
    const list = await db.listWorkspaces();
    expect(list.records.map((r) => r.id).sort()).toEqual(['good', 'old']);
    expect(list.records.find((r) => r.id === 'old')?.schemaVersion).toBe(STORED_RECORD_VERSION);
    expect(list.skipped).toBe(3);

    await putRaw('items', [
      image('ok', 'w'),
      { ...image('bad-decision', 'w'), decision: 'maybe' },
      { ...audio('bad-scores', 'w'), rawScores: [1, 2] },
      { ...image('bad-kind', 'w'), kind: 'video' },
    ]);
    await putRaw('media', [media('ok', 'w', 'x'), { id: 'no-blob', workspaceId: 'w', blob: 'not a blob' }]);
    const loaded = await db.loadWorkspace('w');
    expect(loaded.items.map((item) => item.id)).toEqual(['ok']);
    expect([...loaded.media.keys()]).toEqual(['ok']);
    expect(loaded.skipped).toBe(4);
  });

  it('keeps a workspace’s experiments with its record; a record from before the lab reads as having none', async () => {
    const db = await WorkspaceDb.open();
    const experiments = [{ id: 'e1', accuracy: 0.5 }];
    await db.putWorkspace({ ...record('with'), experiments });
    const { experiments: _none, ...beforeTheLab } = record('before');
    await putRaw('workspaces', [beforeTheLab]);
    const list = await db.listWorkspaces();
    expect(list.skipped).toBe(0);
    // Stored as given; each experiment is checked when the workspace is opened (see WorkspaceManager).
    expect(list.records.find((r) => r.id === 'with')?.experiments).toEqual(experiments);
    expect(list.records.find((r) => r.id === 'before')?.experiments).toEqual([]);
  });

  it('closes for another tab upgrading the database, then reopens on its next use and reports the newer version', async () => {
    const db = await WorkspaceDb.open();
    await db.putWorkspace(record('w'));
    const upgraded = await new Promise<{ blocked: boolean }>((resolve, reject) => {
      let blocked = false;
      const request = indexedDB.open(WORKSPACE_DB_NAME, WORKSPACE_DB_VERSION + 1);
      request.onblocked = () => (blocked = true);
      request.onsuccess = () => {
        request.result.close();
        resolve({ blocked });
      };
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
    expect(upgraded.blocked, 'the upgrade did not wait for this tab').toBe(false);
    await expect(db.listWorkspaces()).rejects.toMatchObject({ name: 'VersionError' });
    expect(db.connectionsOpened).toBe(2);
  });

  it('closes for another tab deleting the database and reopens on its next use, creating the stores again', async () => {
    const db = await WorkspaceDb.open();
    await db.putWorkspace(record('w'));
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(WORKSPACE_DB_NAME);
      request.onblocked = () => reject(new Error('the delete was blocked by this tab'));
      request.onsuccess = () => resolve();
    });
    expect(await db.listWorkspaces()).toEqual({ records: [], skipped: 0 });
    await db.putWorkspace(record('again'));
    expect((await db.listWorkspaces()).records.map((r) => r.id)).toEqual(['again']);
    expect(db.connectionsOpened).toBe(2);
  });

  it('refuses to open where IndexedDB is refused (private mode)', async () => {
    vi.spyOn(IDBFactory.prototype, 'open').mockImplementation(() => {
      throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
    });
    await expect(WorkspaceDb.open()).rejects.toMatchObject({ name: 'InvalidStateError' });
  });
});
