/**
 * The bare page of the start-up bench (bench/node/startup.ts): starts one module worker that runs
 * transformers.js's zero-shot-image-classification pipeline on one picture, and records, on the
 * page's timeline, when the worker was started and when the first result came back. The bench hands
 * the picture and labels over in `window.__zspStartupInput` (an init script) and reads
 * `window.__zspStartup`.
 */
import type { BareStartupMessage, BareStartupReply, BareStartupRequest } from './bare-startup.worker';

interface StartupInput {
  modelId: string;
  labels: string[];
  template: string;
  imageBase64: string;
  /** Pictures for the short session of use after the first result (not timed; see startup.ts). */
  moreBase64: string[];
  threads: number;
}
interface StartupRecord {
  workerCreatedMs: number;
  resultMs?: number;
  reply?: BareStartupReply;
  error?: string;
}
const page = window as unknown as { __zspStartupInput?: StartupInput; __zspStartup?: StartupRecord };

const input = page.__zspStartupInput;
if (!input) throw new Error('no __zspStartupInput (set by bench/node/startup.ts)');
const record: StartupRecord = { workerCreatedMs: performance.now() };
page.__zspStartup = record;
const worker = new Worker(new URL('./bare-startup.worker.ts', import.meta.url), { type: 'module', name: 'bare' });
worker.onmessage = (event: MessageEvent<BareStartupMessage>) => {
  const message = event.data;
  switch (message.type) {
    case 'firstResult':
      record.resultMs = performance.now();
      record.reply = message.reply;
      document.title = 'bare done';
      return;
    case 'used':
      document.title = 'bare used';
      return;
  }
};
worker.onerror = (event) => {
  record.error = event.message;
  document.title = 'bare failed';
};
const image = Uint8Array.from(atob(input.imageBase64), (char) => char.charCodeAt(0));
const more = input.moreBase64.map((base64) => Uint8Array.from(atob(base64), (char) => char.charCodeAt(0)).buffer);
const request: BareStartupRequest = { modelId: input.modelId, labels: input.labels, template: input.template, image: image.buffer, more, threads: input.threads, baseUrl: location.origin };
worker.postMessage(request, [image.buffer, ...more]);
