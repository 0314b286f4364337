import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EMBEDDING_DB_NAME, IMAGE_EMBEDDINGS_STORE, STORED_EMBEDDING_VERSION, clearStoredEmbeddings } from '../shared/embeddingStorage';
import { PersistentEmbeddings } from './persistentEmbeddings';
import { openDB } from 'idb';

function entry(key: string, values: number[]) {
  return { key, embedding: new Float32Array(values), width: 8, height: 6 };
}

/** Writes records as they are: what an older app version or corruption leaves. */
async function putRaw(values: readonly unknown[]): Promise<void> {
  const db = await openDB(EMBEDDING_DB_NAME);
  const transaction = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readwrite');
  await Promise.all([...values.map((value) => transaction.store.put(value)), transaction.done]);
  db.close();
}

beforeEach(() => {
  vi.stubGlobal('indexedDB', new IDBFactory());
});

describe('PersistentEmbeddings', () => {
  it('stores embeddings as own copies and reads back those of the expected width', async () => {
    const cache = new PersistentEmbeddings();
    const buffer = new Float32Array([1, 2, 3, 4, 5, 6]);
    await cache.putMany([{ key: 'a', embedding: buffer.subarray(0, 3), width: 8, height: 6 }, entry('b', [1, 2])]);
    const { found, skipped } = await cache.getMany(['a', 'b', 'missing'], 3);
    expect(skipped).toBe(0);
    expect([...found.keys()]).toEqual(['a']);
    const a = found.get('a')!;
    expect(a).toEqual({ schemaVersion: STORED_EMBEDDING_VERSION, key: 'a', embedding: new Float32Array([1, 2, 3]), width: 8, height: 6 });
    // Only the row was stored, not the whole buffer it was a view of.
    expect(a.embedding.buffer.byteLength).toBe(3 * Float32Array.BYTES_PER_ELEMENT);
    expect([...(await cache.getMany(['a', 'b'], null)).found.keys()].sort()).toEqual(['a', 'b']);
  });

  it('skips and counts records that do not match the schema; reads unversioned ones', async () => {
    const cache = new PersistentEmbeddings();
    await cache.putMany([entry('ok', [1])]);
    await putRaw([
      { key: 'unversioned', embedding: new Float32Array([2]), width: 1, height: 1 },
      { key: 'plain-array', embedding: [1], width: 1, height: 1 },
      { ...entry('newer', [3]), schemaVersion: STORED_EMBEDDING_VERSION + 1 },
    ]);
    const { found, skipped } = await cache.getMany(['ok', 'unversioned', 'plain-array', 'newer'], 1);
    expect([...found.keys()].sort()).toEqual(['ok', 'unversioned']);
    expect(skipped).toBe(2);
  });

  it('keeps working after the window clears the cache, and after another context deletes the database', async () => {
    const cache = new PersistentEmbeddings();
    await cache.putMany([entry('a', [1])]);
    await clearStoredEmbeddings();
    expect((await cache.getMany(['a'], 1)).found.size).toBe(0);

    await cache.putMany([entry('b', [1])]);
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(EMBEDDING_DB_NAME);
      request.onblocked = () => reject(new Error('the delete was blocked by the worker'));
      request.onsuccess = () => resolve();
    });
    expect((await cache.getMany(['b'], 1)).found.size).toBe(0);
    await cache.putMany([entry('c', [1])]);
    expect([...(await cache.getMany(['c'], 1)).found.keys()]).toEqual(['c']);
  });

  it('finds nothing and stores nothing where IndexedDB is refused, without trying again each time', async () => {
    const open = vi.spyOn(IDBFactory.prototype, 'open').mockImplementation(() => {
      throw new DOMException('private mode', 'InvalidStateError');
    });
    const cache = new PersistentEmbeddings();
    await cache.putMany([entry('a', [1])]);
    expect(await cache.getMany(['a'], 1)).toEqual({ found: new Map(), skipped: 0 });
    expect(open).toHaveBeenCalledTimes(1);
  });

  it('finds nothing and stores nothing where the open fails with an error event (as a browser denying storage answers), without trying again', async () => {
    // Denied storage answers the open with an error event (Chromium with cookies blocked: UnknownError); a database
    // stored at a newer version fails the same way (VersionError), which the fake can produce for real.
    const newer = await openDB(EMBEDDING_DB_NAME, 7);
    newer.close();
    const open = vi.spyOn(IDBFactory.prototype, 'open');
    const cache = new PersistentEmbeddings();
    await expect(cache.putMany([entry('a', [1])])).resolves.toBeUndefined();
    expect(await cache.getMany(['a'], 1)).toEqual({ found: new Map(), skipped: 0 });
    expect(open).toHaveBeenCalledTimes(1);
    expect(open.mock.results[0]?.type, 'the open itself did not throw: it failed by its error event').toBe('return');
  });
});
