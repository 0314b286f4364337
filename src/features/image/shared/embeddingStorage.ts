/**
 * The CLIP worker's on-disk image-embedding cache: one IndexedDB store keyed by
 * `imageEmbeddingKey(model variant, content hash)`, so a reload or another workspace never runs
 * the vision model again for a picture it has seen. The worker reads and writes it
 * (worker/persistentEmbeddings.ts); the window only clears it, with the workspaces.
 */
import type { DBSchema } from 'idb';
import * as v from 'valibot';
import { ReopeningDb } from '../../../lib/reopeningDb';

export const EMBEDDING_DB_NAME = 'zero-shot-playground-embeddings';
const EMBEDDING_DB_VERSION = 1;
export const IMAGE_EMBEDDINGS_STORE = 'imageEmbeddings';
/** Version 1 is the shape stored before records were versioned: a record without the field is read as 1. */
export const STORED_EMBEDDING_VERSION = 1;

/**
 * Any Float32Array, whatever buffer it views (v.instance would narrow the type to an ArrayBuffer
 * view, which the store's and the engine's arrays are not declared as).
 */
const float32Array = v.custom<Float32Array>((input) => input instanceof Float32Array, 'expected a Float32Array');

/**
 * What is read back is not trusted (another app version, corruption): every record is checked
 * against this, and one that does not match is treated as absent (the image is embedded again).
 */
export const storedImageEmbeddingSchema = v.object({
  schemaVersion: v.optional(v.literal(STORED_EMBEDDING_VERSION), STORED_EMBEDDING_VERSION),
  /** imageEmbeddingKey(variantKey, contentHash). */
  key: v.string(),
  embedding: float32Array,
  /** The image's size (px). */
  width: v.number(),
  height: v.number(),
});
export type StoredImageEmbedding = v.InferOutput<typeof storedImageEmbeddingSchema>;
/** An embedding as the engine hands it over to be stored. */
export type ImageEmbeddingEntry = Omit<StoredImageEmbedding, 'schemaVersion'>;

/** Values are `unknown` on purpose: every read goes through the schema above. */
export interface EmbeddingSchema extends DBSchema {
  [IMAGE_EMBEDDINGS_STORE]: { key: string; value: unknown };
}

/** The cache's connection; it reopens by itself after another context's upgrade or the browser closed it. */
export function embeddingDb(): ReopeningDb<EmbeddingSchema> {
  return new ReopeningDb<EmbeddingSchema>({
    name: EMBEDDING_DB_NAME,
    version: EMBEDDING_DB_VERSION,
    upgrade: (db) => {
      if (!db.objectStoreNames.contains(IMAGE_EMBEDDINGS_STORE)) db.createObjectStore(IMAGE_EMBEDDINGS_STORE, { keyPath: 'key' });
    },
  });
}

/** Empties the cache (the worker's open connection stays usable; it only keeps what it holds in memory). */
export async function clearStoredEmbeddings(): Promise<void> {
  const db = embeddingDb();
  try {
    await db.run((connection) => connection.clear(IMAGE_EMBEDDINGS_STORE));
  } finally {
    await db.close();
  }
}
