/**
 * The page's side of the archive worker: `zipInWorker` returns the ZIP as a ReadableStream whose
 * every pull asks the worker for one chunk. The worker starts on the first archive and stays for
 * the next ones; cancelling the stream, or aborting the signal, cancels the job in the worker.
 */
import { checkedArchivePaths, type ArchiveEntry } from '../../../lib/archive';
import type { ProjectResult } from '../../../lib/projectFile';
import { ZipError } from '../../../lib/zipFormat';
import type { ArchiveEvent, ArchiveRequest } from '../shared/archiveProtocol';

type Listener = (event: ArchiveEvent) => void;

export interface ArchiveWorkerLike {
  postMessage(message: ArchiveRequest): void;
  addEventListener(type: 'message', listener: (message: MessageEvent<ArchiveEvent>) => void): void;
  // Only the message is read, so a stand-in in the tests needs no DOM ErrorEvent.
  addEventListener(type: 'error', listener: (event: { message: string }) => void): void;
  terminate(): void;
}

export class ArchiveBridge {
  private worker: ArchiveWorkerLike | null = null;
  private nextJobId = 1;
  private readonly listeners = new Map<number, Listener>();

  constructor(private readonly createWorker: () => ArchiveWorkerLike = createArchiveWorker) {}

  private ensureWorker(): ArchiveWorkerLike {
    if (this.worker) return this.worker;
    const worker = this.createWorker();
    worker.addEventListener('message', (message) => this.listeners.get(message.data.jobId)?.(message.data));
    worker.addEventListener('error', (event) => {
      // A worker that fails to start (or crashes) fails every job it had; the next archive starts a new one.
      const failure: ArchiveEvent = { type: 'failed', jobId: 0, kind: 'read', message: `the archive worker stopped (${event.message || 'no reason given'})` };
      for (const [jobId, listener] of [...this.listeners]) listener({ ...failure, jobId });
      // An uncaught error does not stop a worker: end it, so its half-done jobs hold nothing.
      worker.terminate();
      this.worker = null;
    });
    this.worker = worker;
    return worker;
  }

  /** The archive of these entries, written in the worker; see lib/archive's `zipStream`. */
  zip(entries: readonly ArchiveEntry[], signal?: AbortSignal): ReadableStream<Uint8Array> {
    // Unsafe or duplicate paths fail here, synchronously, before a worker is involved.
    checkedArchivePaths(entries);
    const jobId = this.nextJobId++;
    let worker: ArchiveWorkerLike | null = null;
    let waiting: { resolve: (event: ArchiveEvent) => void } | null = null;
    const queued: ArchiveEvent[] = [];
    const finish = () => {
      this.listeners.delete(jobId);
      signal?.removeEventListener('abort', onAbort);
    };
    const cancel = () => {
      if (!this.listeners.has(jobId)) return;
      finish();
      worker?.postMessage({ type: 'cancel', jobId });
    };
    let controllerRef: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>> | null = null;
    const onAbort = () => {
      cancel();
      controllerRef?.error(signal?.reason ?? new DOMException('The archive was cancelled.', 'AbortError'));
    };
    const next = () =>
      new Promise<ArchiveEvent>((resolve) => {
        const event = queued.shift();
        if (event) resolve(event);
        else waiting = { resolve };
      });

    return new ReadableStream<Uint8Array<ArrayBuffer>>(
      {
        start: (controller) => {
          controllerRef = controller;
          if (signal?.aborted) return controller.error(signal.reason);
          signal?.addEventListener('abort', onAbort, { once: true });
          this.listeners.set(jobId, (event) => {
            if (waiting) {
              const { resolve } = waiting;
              waiting = null;
              resolve(event);
            } else queued.push(event);
          });
          worker = this.ensureWorker();
          worker.postMessage({
            type: 'start',
            jobId,
            entries: entries.map((entry) => ({ path: entry.path, data: entry.data, ...(entry.modified ? { modified: entry.modified.getTime() } : {}) })),
          });
        },
        pull: async (controller) => {
          if (!this.listeners.has(jobId)) return;
          worker?.postMessage({ type: 'pull', jobId });
          const event = await next();
          if (!this.listeners.has(jobId)) return; // cancelled meanwhile
          switch (event.type) {
            case 'chunk':
              controller.enqueue(event.bytes);
              return;
            case 'done':
              finish();
              controller.close();
              return;
            case 'failed':
              finish();
              controller.error(event.kind === 'zip' ? new ZipError(event.message) : new Error(`the archive could not be written: ${event.message}`));
              return;
            case 'projectRead':
              finish();
              controller.error(new Error('the archive worker answered an archive with a project'));
              return;
          }
        },
        cancel: () => cancel(),
      },
      // One chunk at a time: the consumer's pace is the worker's.
      { highWaterMark: 0 },
    );
  }

  /** Reads and checks a project file in the worker (lib/projectFile's `readProjectFile`). */
  readProject(file: Blob): Promise<ProjectResult> {
    const jobId = this.nextJobId++;
    return new Promise<ProjectResult>((resolve, reject) => {
      this.listeners.set(jobId, (event) => {
        this.listeners.delete(jobId);
        if (event.type === 'projectRead') resolve(event.result);
        else if (event.type === 'failed') reject(new Error(`the project file could not be read: ${event.message}`));
        else reject(new Error(`the archive worker answered a project read with "${event.type}"`));
      });
      this.ensureWorker().postMessage({ type: 'readProject', jobId, file });
    });
  }
}

export function createArchiveWorker(): Worker {
  return new Worker(new URL('../worker/archive.worker.ts', import.meta.url), { type: 'module', name: 'archive' });
}

let shared: ArchiveBridge | null = null;

/** The app's one archive worker, started on the first archive. */
export function zipInWorker(entries: readonly ArchiveEntry[], signal?: AbortSignal): ReadableStream<Uint8Array> {
  shared ??= new ArchiveBridge();
  return shared.zip(entries, signal);
}

/** A project file read and checked in the app's archive worker. Never rejects for a bad file: that is a problems result. */
export function readProjectInWorker(file: Blob): Promise<ProjectResult> {
  shared ??= new ArchiveBridge();
  return shared.readProject(file);
}
