/// <reference types="vite/client" />
/**
 * The bench page: owns one bench worker at a time (a fresh one per phase, so each phase starts
 * with a fresh WASM heap) and exposes `window.zspBench` for the Node runner's page.evaluate calls.
 */
import type { BenchCommand, BenchCommandMap, BenchReply, BenchRequest } from '../shared/protocol';

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

function freshWorker(): Worker {
  worker?.terminate();
  for (const { reject } of pending.values()) reject(new Error('bench worker replaced'));
  pending.clear();
  worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (event: MessageEvent<BenchReply>) => {
    const reply = event.data;
    const waiter = pending.get(reply.id);
    if (!waiter) return;
    pending.delete(reply.id);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new Error(reply.error));
  };
  worker.onerror = (event) => {
    for (const { reject } of pending.values()) reject(new Error(`bench worker error: ${event.message}`));
    pending.clear();
  };
  return worker;
}

function call<C extends BenchCommand>(command: C, args: BenchCommandMap[C]['args']): Promise<BenchCommandMap[C]['result']> {
  const target = worker ?? freshWorker();
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    const request: BenchRequest<C> = { id, command, args };
    target.postMessage(request);
  });
}

export interface BenchPageApi {
  freshWorker: () => void;
  call: typeof call;
  crossOriginIsolated: boolean;
}

const api: BenchPageApi = { freshWorker: () => void freshWorker(), call, crossOriginIsolated: self.crossOriginIsolated };
(globalThis as unknown as { zspBench: BenchPageApi }).zspBench = api;
document.title = 'bench ready';
