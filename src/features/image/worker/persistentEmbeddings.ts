import { requestResult, transactionDone } from '../../../lib/idb';
import { IMAGE_EMBEDDINGS_STORE, openEmbeddingDb, type StoredImageEmbedding } from '../shared/embeddingStorage';

/**
 * The worker's side of the on-disk image-embedding cache. Storage is a bonus, never a
 * requirement: where IndexedDB is refused, or a read or write fails, the engine just embeds
 * (reads find nothing, writes are dropped).
 */
export class PersistentEmbeddings {
  private db: Promise<IDBDatabase | null> | null = null;

  constructor(private readonly factory: IDBFactory | undefined = globalThis.indexedDB) {}

  /** The stored embeddings among `keys` (those with the expected width; a mismatch means another model). */
  async getMany(keys: readonly string[], width: number | null): Promise<Map<string, StoredImageEmbedding>> {
    const found = new Map<string, StoredImageEmbedding>();
    const db = keys.length > 0 ? await this.connection() : null;
    if (!db) return found;
    try {
      const store = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readonly').objectStore(IMAGE_EMBEDDINGS_STORE);
      const entries = await Promise.all(keys.map((key) => requestResult<StoredImageEmbedding | undefined>(store.get(key))));
      for (const entry of entries)
        if (entry && entry.embedding instanceof Float32Array && (width === null || entry.embedding.length === width)) found.set(entry.key, entry);
    } catch {
      // An unreadable cache is an empty one.
    }
    return found;
  }

  async putMany(entries: readonly StoredImageEmbedding[]): Promise<void> {
    const db = entries.length > 0 ? await this.connection() : null;
    if (!db) return;
    try {
      const transaction = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readwrite');
      const done = transactionDone(transaction);
      const store = transaction.objectStore(IMAGE_EMBEDDINGS_STORE);
      // Own copies: a row of a larger buffer would clone (and store) the whole buffer.
      for (const entry of entries) store.put({ ...entry, embedding: entry.embedding.slice() });
      await done;
    } catch {
      // Out of space or refused: these embeddings are simply computed again next time.
    }
  }

  private connection(): Promise<IDBDatabase | null> {
    this.db ??= openEmbeddingDb(this.factory).then(
      (db) => {
        // Closed when someone deletes or upgrades the database: open again on next use.
        db.addEventListener('close', () => (this.db = null));
        db.addEventListener('versionchange', () => (this.db = null));
        return db;
      },
      () => null,
    );
    return this.db;
  }
}
