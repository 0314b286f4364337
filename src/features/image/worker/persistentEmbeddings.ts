import * as v from 'valibot';
import type { ReopeningDb } from '../../../lib/reopeningDb';
import {
  IMAGE_EMBEDDINGS_STORE,
  STORED_EMBEDDING_VERSION,
  embeddingDb,
  storedImageEmbeddingSchema,
  type EmbeddingSchema,
  type ImageEmbeddingEntry,
  type StoredImageEmbedding,
} from '../shared/embeddingStorage';

export interface StoredEmbeddings {
  found: Map<string, StoredImageEmbedding>;
  /** Records under the asked keys that did not match the schema (treated as absent). */
  skipped: number;
}

/**
 * The worker's side of the on-disk image-embedding cache. Storage is a bonus, never a
 * requirement: where IndexedDB is refused, or a read or write fails, the engine just embeds
 * (reads find nothing, writes are dropped).
 */
export class PersistentEmbeddings {
  /**
   * Set once opening has failed (refused, or no answer): not tried again, so a stalled open does
   * not delay every batch. A connection closed by another context's upgrade is reopened.
   */
  private unavailable = false;

  constructor(private readonly db: ReopeningDb<EmbeddingSchema> = embeddingDb()) {}

  /** The stored embeddings among `keys` (those with the expected width; a mismatch means another model). */
  async getMany(keys: readonly string[], width: number | null): Promise<StoredEmbeddings> {
    const result: StoredEmbeddings = { found: new Map(), skipped: 0 };
    if (keys.length === 0 || !(await this.available())) return result;
    try {
      const entries = await this.db.run((db) => {
        const store = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readonly').store;
        return Promise.all(keys.map((key) => store.get(key)));
      });
      for (const entry of entries) {
        if (entry === undefined) continue;
        const parsed = v.safeParse(storedImageEmbeddingSchema, entry);
        if (!parsed.success) result.skipped++;
        else if (width === null || parsed.output.embedding.length === width) result.found.set(parsed.output.key, parsed.output);
      }
    } catch {
      // An unreadable cache is an empty one.
    }
    return result;
  }

  async putMany(entries: readonly ImageEmbeddingEntry[]): Promise<void> {
    if (entries.length === 0 || !(await this.available())) return;
    try {
      await this.db.run(async (db) => {
        const transaction = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readwrite');
        // Own copies: a row of a larger buffer would clone (and store) the whole buffer.
        const puts = entries.map((entry) =>
          transaction.store.put({ ...entry, schemaVersion: STORED_EMBEDDING_VERSION, embedding: entry.embedding.slice() } satisfies StoredImageEmbedding),
        );
        await Promise.all([...puts, transaction.done]);
      });
    } catch {
      // Out of space or refused: these embeddings are simply computed again next time.
    }
  }

  private async available(): Promise<boolean> {
    if (this.unavailable) return false;
    try {
      await this.db.get();
      return true;
    } catch {
      this.unavailable = true;
      return false;
    }
  }
}
