/**
 * Promise wrappers for IndexedDB's event API, shared by the window (workspaces) and the CLIP
 * worker (embeddings). Nothing here knows any schema.
 */

/** Opening never hangs forever: a blocked or silently stalled open (seen in some private modes) fails after this. */
export const IDB_OPEN_TIMEOUT_MS = 5_000;

export function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when the transaction commits; rejects with its error when it aborts (nothing of it is kept then). */
export function transactionDone(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(transaction.error ?? new DOMException('The transaction was aborted', 'AbortError'));
    transaction.onerror = () => {
      // onabort follows with the same error; rejecting here too is harmless (first settle wins).
      reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    };
  });
}

/**
 * Opens a database, creating its stores on first use. Throws (rejects) where IndexedDB is missing
 * or refused, as in some private modes. Another tab or the worker asking to delete or upgrade the
 * database closes this connection rather than blocking them.
 */
export function openDatabase(
  factory: IDBFactory | undefined,
  name: string,
  version: number,
  upgrade: (db: IDBDatabase, oldVersion: number) => void,
): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    if (!factory) {
      reject(new DOMException('IndexedDB is not available here', 'InvalidStateError'));
      return;
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new DOMException('Opening IndexedDB timed out', 'UnknownError'));
    }, IDB_OPEN_TIMEOUT_MS);
    let request: IDBOpenDBRequest;
    try {
      request = factory.open(name, version);
    } catch (error) {
      clearTimeout(timer);
      reject(error);
      return;
    }
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => {
      clearTimeout(timer);
      const db = request.result;
      if (timedOut) {
        db.close();
        return;
      }
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(request.error ?? new DOMException('IndexedDB refused to open', 'UnknownError'));
    };
    request.onblocked = () => {
      // Another connection holds an older version open; it closes on versionchange, so this resolves itself.
    };
  });
}
