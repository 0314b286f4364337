/**
 * The CLIP worker's on-disk image-embedding cache: one IndexedDB store keyed by
 * `imageEmbeddingKey(model variant, content hash)`, so a reload or another workspace never runs
 * the vision model again for a picture it has seen. The worker reads and writes it
 * (worker/persistentEmbeddings.ts); the window only clears it, with the workspaces.
 */
import { openDatabase, transactionDone } from '../../../lib/idb';

export const EMBEDDING_DB_NAME = 'zero-shot-playground-embeddings';
const EMBEDDING_DB_VERSION = 1;
export const IMAGE_EMBEDDINGS_STORE = 'imageEmbeddings';

export interface StoredImageEmbedding {
  /** imageEmbeddingKey(variantKey, contentHash). */
  key: string;
  embedding: Float32Array;
  width: number;
  height: number;
}

export function openEmbeddingDb(factory: IDBFactory | undefined = globalThis.indexedDB): Promise<IDBDatabase> {
  return openDatabase(factory, EMBEDDING_DB_NAME, EMBEDDING_DB_VERSION, (db) => {
    if (!db.objectStoreNames.contains(IMAGE_EMBEDDINGS_STORE)) db.createObjectStore(IMAGE_EMBEDDINGS_STORE, { keyPath: 'key' });
  });
}

/** Empties the cache (the worker's open connection stays usable; it only keeps what it holds in memory). */
export async function clearStoredEmbeddings(factory: IDBFactory | undefined = globalThis.indexedDB): Promise<void> {
  const db = await openEmbeddingDb(factory);
  try {
    const transaction = db.transaction(IMAGE_EMBEDDINGS_STORE, 'readwrite');
    const done = transactionDone(transaction);
    transaction.objectStore(IMAGE_EMBEDDINGS_STORE).clear();
    await done;
  } finally {
    db.close();
  }
}
