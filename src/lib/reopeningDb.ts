/**
 * One IndexedDB database's connection, kept usable across the events that close it: another tab
 * (or the worker) upgrading or deleting the database, and the browser terminating the connection
 * (storage cleared in DevTools, disk trouble). Shared by the window (workspaces) and the CLIP
 * worker (embeddings); it knows no schema beyond the `upgrade` it is given.
 */
import { openDB, type DBSchema, type IDBPDatabase, type OpenDBCallbacks } from 'idb';

/**
 * An open that gets no answer at all (seen in some private modes) fails after this. An open that
 * is `blocked` by another tab is not timed out: its cause is known and reported, and it goes on
 * as soon as that tab lets go.
 */
export const IDB_OPEN_TIMEOUT_MS = 5_000;

export interface ReopeningDbOptions<Schema extends DBSchema> {
  name: string;
  version: number;
  upgrade: NonNullable<OpenDBCallbacks<Schema>['upgrade']>;
  /** This open waits for another tab holding an older version open (it may never let go). */
  onBlocked?: () => void;
  /**
   * Another tab or context asked for `newVersion` (null: it deletes the database). The connection
   * is closed by then; a newer version than `version` means this page's code is the older one.
   */
  onVersionChange?: (newVersion: number | null) => void;
  /** Waiting for an answer before giving up; a parameter so tests need not wait the real time. */
  openTimeoutMs?: number;
}

function isClosedConnectionError(error: unknown): boolean {
  // What `transaction()` throws on a connection that has been closed.
  return error instanceof DOMException && error.name === 'InvalidStateError';
}

export class ReopeningDb<Schema extends DBSchema> {
  private connection: Promise<IDBPDatabase<Schema>> | null = null;
  private openCount = 0;

  constructor(private readonly options: ReopeningDbOptions<Schema>) {}

  /** Opens attempted so far: more than one means the connection was closed and opened again. */
  get opens(): number {
    return this.openCount;
  }

  /**
   * The open connection, opening one if there is none (first use, or after it was closed by a
   * version change or terminated). Rejects where IndexedDB is missing or refused, or the open
   * times out; the next call tries again.
   */
  get(): Promise<IDBPDatabase<Schema>> {
    if (this.connection) return this.connection;
    const opening = this.open();
    this.connection = opening;
    opening.catch(() => this.forget(opening));
    return opening;
  }

  /**
   * Runs `work` on the connection. If the connection was closed between handing it out and `work`
   * starting its transaction (a version change elsewhere), `work` runs once more on a new one:
   * `transaction()` on a closed connection throws before anything is read or written.
   */
  async run<T>(work: (db: IDBPDatabase<Schema>) => Promise<T>): Promise<T> {
    const connection = this.get();
    const db = await connection;
    try {
      return await work(db);
    } catch (error) {
      if (!isClosedConnectionError(error) || this.connection === connection) throw error;
      return work(await this.get());
    }
  }

  /** Closes the connection (if open); the next use opens a new one. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    const db = await connection?.catch(() => null);
    db?.close();
  }

  private forget(connection: Promise<IDBPDatabase<Schema>>): void {
    if (this.connection === connection) this.connection = null;
  }

  private open(): Promise<IDBPDatabase<Schema>> {
    const { name, version, upgrade, onBlocked, onVersionChange, openTimeoutMs = IDB_OPEN_TIMEOUT_MS } = this.options;
    // Read at call time: idb's openDB uses the global factory, which tests replace per test.
    if (typeof indexedDB === 'undefined') return Promise.reject(new DOMException('IndexedDB is not available here', 'InvalidStateError'));
    this.openCount++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let opening: Promise<IDBPDatabase<Schema>>;
    // What get() hands out (and forgets when this connection goes away).
    let connection: Promise<IDBPDatabase<Schema>> | null = null;
    // The connection once open, so a versionchange can close it synchronously, inside its own
    // handler: a connection still open after the handlers have run makes the other tab's upgrade
    // fire `blocked`. (idb only calls `blocking` once the open has resolved, after this is set.)
    let opened: IDBPDatabase<Schema> | null = null;
    const forgetThis = () => {
      if (connection) this.forget(connection);
    };
    try {
      opening = openDB<Schema>(name, version, {
        upgrade,
        // Blocked by another connection: with someone to tell (the workspace status), the wait is
        // theirs to show; without (the worker's embedding cache, which is optional), the open still
        // times out, so nothing waits on a cache forever.
        blocked: () => {
          if (!onBlocked) return;
          clearTimeout(timer);
          onBlocked();
        },
        // Another tab or the worker wants a newer version (or to delete the database): let it, and
        // open again on the next use. Running transactions finish first (close() waits for them).
        blocking: (_currentVersion, newVersion) => {
          forgetThis();
          if (opened) opened.close();
          else void opening.then((db) => db.close());
          onVersionChange?.(newVersion);
        },
        terminated: forgetThis,
      });
    } catch (error) {
      // Some private modes throw from indexedDB.open() itself.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    opening.then(
      (db) => (opened = db),
      () => undefined,
    );
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new DOMException('Opening IndexedDB timed out', 'UnknownError'));
        // If it opens after all, nobody holds that connection: close it so it blocks no one.
        void opening.then((db) => db.close()).catch(() => undefined);
      }, openTimeoutMs);
    });
    connection = Promise.race([opening, timedOut]).finally(() => clearTimeout(timer));
    return connection;
  }
}
