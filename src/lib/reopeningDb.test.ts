import 'fake-indexeddb/auto';
import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb';
import { unwrap, type DBSchema } from 'idb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ReopeningDb } from './reopeningDb';

interface TestSchema extends DBSchema {
  things: { key: string; value: { id: string } };
}

const NAME = 'reopening-test';

function reopening(version = 1, extra: { onBlocked?: () => void; onVersionChange?: (newVersion: number | null) => void; openTimeoutMs?: number } = {}): ReopeningDb<TestSchema> {
  return new ReopeningDb<TestSchema>({
    name: NAME,
    version,
    upgrade: (db) => {
      if (!db.objectStoreNames.contains('things')) db.createObjectStore('things', { keyPath: 'id' });
    },
    ...extra,
  });
}

/** A plain connection from "another tab", with the events it gets. */
function rawOpen(version: number): { request: IDBOpenDBRequest; opened: Promise<IDBDatabase>; blocked: () => boolean } {
  let wasBlocked = false;
  const request = indexedDB.open(NAME, version);
  request.onblocked = () => (wasBlocked = true);
  const opened = new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
  return { request, opened, blocked: () => wasBlocked };
}

function rawDelete(): Promise<{ blocked: boolean }> {
  return new Promise((resolve, reject) => {
    let blocked = false;
    const request = indexedDB.deleteDatabase(NAME);
    request.onblocked = () => (blocked = true);
    request.onsuccess = () => resolve({ blocked });
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

beforeEach(() => {
  // A fresh, empty IndexedDB per test (idb's openDB uses the global factory).
  vi.stubGlobal('indexedDB', new IDBFactory());
});

describe('ReopeningDb', () => {
  it('opens once and hands out the same connection', async () => {
    const db = reopening();
    const [a, b] = await Promise.all([db.get(), db.get()]);
    expect(a).toBe(b);
    await db.run((connection) => connection.put('things', { id: 'x' }));
    expect(await db.run((connection) => connection.get('things', 'x'))).toEqual({ id: 'x' });
    expect(db.opens).toBe(1);
  });

  it('lets another tab delete the database, then reopens on its next use', async () => {
    const db = reopening();
    await db.run((connection) => connection.put('things', { id: 'x' }));
    expect(await rawDelete(), 'the delete was not blocked by this connection').toEqual({ blocked: false });
    expect(await db.run((connection) => connection.getAll('things'))).toEqual([]);
    await db.run((connection) => connection.put('things', { id: 'y' }));
    expect(await db.run((connection) => connection.getAllKeys('things'))).toEqual(['y']);
    expect(db.opens).toBe(2);
  });

  it('lets another tab upgrade, then tries to reopen and says why it cannot (a newer version is stored)', async () => {
    const db = reopening(1);
    await db.get();
    const newer = rawOpen(2);
    (await newer.opened).close();
    expect(newer.blocked(), 'the upgrade went ahead without waiting for this connection').toBe(false);
    await expect(db.get()).rejects.toMatchObject({ name: 'VersionError' });
    expect(db.opens).toBe(2);
  });

  it('says which version another tab asked for, once its connection is closed (null for a delete)', async () => {
    const seen: Array<{ newVersion: number | null; closed: boolean }> = [];
    let connection: Awaited<ReturnType<ReopeningDb<TestSchema>['get']>> | null = null;
    const db = reopening(1, {
      onVersionChange: (newVersion) => {
        // Closed already: a transaction on a closed connection throws InvalidStateError.
        let closed = false;
        try {
          connection?.transaction('things');
        } catch (error) {
          closed = error instanceof DOMException && error.name === 'InvalidStateError';
        }
        seen.push({ newVersion, closed });
      },
    });
    connection = await db.get();
    expect(await rawDelete()).toEqual({ blocked: false });
    connection = await db.get();
    const newer = rawOpen(3);
    (await newer.opened).close();
    expect(newer.blocked()).toBe(false);
    expect(seen).toEqual([
      { newVersion: null, closed: true },
      { newVersion: 3, closed: true },
    ]);
  });

  it('reopens a connection the browser terminated', async () => {
    const db = reopening();
    const first = await db.get();
    // @ts-expect-error fake-indexeddb 6.2.8 declares the parameter as the class (typeof FDBDatabase) instead of an instance.
    forceCloseDatabase(unwrap(first));
    const second = await db.get();
    expect(second).not.toBe(first);
    await db.run((connection) => connection.put('things', { id: 'z' }));
    expect(await db.run((connection) => connection.count('things'))).toBe(1);
  });

  it('runs again on a new connection when the one it was handed closed before its transaction started', async () => {
    const db = reopening();
    await db.get();
    let attempts = 0;
    const result = await db.run(async (connection) => {
      attempts++;
      // Another tab deletes the database while this use is between getting the connection and using it.
      if (attempts === 1) await rawDelete();
      return connection.getAll('things');
    });
    expect(result).toEqual([]);
    expect(attempts).toBe(2);
  });

  it('does not retry other failures', async () => {
    const db = reopening();
    let attempts = 0;
    const failing = db.run(async () => {
      attempts++;
      throw new DOMException('full', 'QuotaExceededError');
    });
    await expect(failing).rejects.toMatchObject({ name: 'QuotaExceededError' });
    expect(attempts).toBe(1);
  });

  it('reports being blocked by an older connection, and opens once that one lets go (no timeout meanwhile)', async () => {
    const old = await rawOpen(1).opened; // an old tab that ignores versionchange
    const onBlocked = vi.fn();
    const db = reopening(2, { onBlocked, openTimeoutMs: 20 });
    const opening = db.get();
    const settled = vi.fn();
    opening.then(settled, settled);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(onBlocked).toHaveBeenCalledTimes(1);
    expect(settled, 'still waiting, not timed out').not.toHaveBeenCalled();
    old.close();
    const connection = await opening;
    expect(connection.version).toBe(2);
  });

  it('fails an open that gets no answer, and closes it if it opens later', async () => {
    const old = await rawOpen(1).opened;
    // An upgrade stuck behind `old` (which never closes): later opens queue behind it, without any event.
    const stuck = rawOpen(2);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const db = reopening(2, { openTimeoutMs: 20 });
    await expect(db.get()).rejects.toMatchObject({ name: 'UnknownError', message: 'Opening IndexedDB timed out' });
    old.close();
    (await stuck.opened).close();
    // The late connection was closed: a delete goes through without being blocked.
    expect(await rawDelete()).toEqual({ blocked: false });
  });

  it('rejects where IndexedDB is refused, and tries again on the next use', async () => {
    const refused = new DOMException('private mode', 'InvalidStateError');
    const open = vi.spyOn(IDBFactory.prototype, 'open').mockImplementationOnce(() => {
      throw refused;
    });
    const db = reopening();
    await expect(db.get()).rejects.toBe(refused);
    await expect(db.get()).resolves.toBeDefined();
    expect(open).toHaveBeenCalledTimes(2);
  });

  it('rejects where there is no IndexedDB at all', async () => {
    vi.stubGlobal('indexedDB', undefined);
    await expect(reopening().get()).rejects.toMatchObject({ name: 'InvalidStateError' });
  });
});
