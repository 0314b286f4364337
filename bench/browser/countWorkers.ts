/**
 * Imported first by the bench worker: counts the Workers created inside it, i.e. the pthreads
 * ORT's WASM runtime spawns (numThreads - 1 of them), so the report shows the threads really used.
 */
let spawned = 0;
const NativeWorker = globalThis.Worker;
if (typeof NativeWorker === 'function') {
  globalThis.Worker = class CountingWorker extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      super(url, options);
      spawned++;
    }
  };
}

export function workersSpawned(): number {
  return spawned;
}
