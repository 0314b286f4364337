/**
 * The bridge and the worker's job handler wired together through a stand-in Worker that posts
 * asynchronously and transfers buffers with structuredClone, as a real one does.
 */
import { describe, expect, it } from 'vitest';
import { zipStream } from '../../../lib/archive';
import { writeProjectFile } from '../../../lib/projectFile';
import { readZipDirectory, readZipEntry } from '../../../lib/unzip';
import { ZipError } from '../../../lib/zipFormat';
import type { ArchiveEvent, ArchiveRequest } from '../shared/archiveProtocol';
import { archiveJobs } from '../worker/archiveJobs';
import { ArchiveBridge, type ArchiveWorkerLike } from './archiveBridge';

class FakeWorker implements ArchiveWorkerLike {
  readonly requests: ArchiveRequest[] = [];
  readonly transferred: ArrayBuffer[] = [];
  private messageListeners: ((message: MessageEvent<ArchiveEvent>) => void)[] = [];
  private errorListeners: ((event: { message: string }) => void)[] = [];
  private readonly handle = archiveJobs((event, transfer) => {
    this.transferred.push(...transfer);
    const delivered = structuredClone(event, { transfer });
    setTimeout(() => this.messageListeners.forEach((listener) => listener(new MessageEvent('message', { data: delivered }))));
  });

  postMessage(message: ArchiveRequest): void {
    this.requests.push(message);
    setTimeout(() => this.handle(message));
  }
  addEventListener(type: 'message', listener: (message: MessageEvent<ArchiveEvent>) => void): void;
  addEventListener(type: 'error', listener: (event: { message: string }) => void): void;
  addEventListener(
    type: 'message' | 'error',
    listener: ((message: MessageEvent<ArchiveEvent>) => void) | ((event: { message: string }) => void),
  ): void {
    if (type === 'message') this.messageListeners.push(listener as (message: MessageEvent<ArchiveEvent>) => void);
    else this.errorListeners.push(listener as (event: { message: string }) => void);
  }
  crash(message: string): void {
    this.errorListeners.forEach((listener) => listener({ message }));
  }
  terminated = false;
  terminate(): void {
    this.terminated = true;
  }
}

function setup() {
  const workers: FakeWorker[] = [];
  const bridge = new ArchiveBridge(() => {
    const worker = new FakeWorker();
    workers.push(worker);
    return worker;
  });
  return { bridge, workers };
}

const bytesOf = async (stream: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(stream).arrayBuffer());
const noise = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 31 + seed * 17) & 0xff);

describe('ArchiveBridge', () => {
  it('starts the worker lazily, once, and returns the archive the worker wrote', async () => {
    const { bridge, workers } = setup();
    expect(workers).toHaveLength(0);
    const entries = [
      { path: 'cat/a.jpg', data: new Blob([noise(100_000, 1)]) },
      { path: 'dog/b.jpg', data: new Blob([noise(5000, 2)]) },
    ];
    const zip = await bytesOf(bridge.zip(entries));
    expect(workers).toHaveLength(1);
    const read = readZipDirectory(zip, { maxEntries: 10 });
    expect(read.map((entry) => entry.path)).toEqual(['cat/a.jpg', 'dog/b.jpg']);
    expect(await readZipEntry(zip, read[0]!)).toEqual(noise(100_000, 1));
    // Every chunk's buffer was transferred (detached on the worker's side), not copied.
    expect(workers[0]!.transferred.length).toBeGreaterThan(2);
    expect(workers[0]!.transferred.every((buffer) => buffer.byteLength === 0)).toBe(true);
    await bytesOf(bridge.zip([{ path: 'x.txt', data: new Blob(['x']) }]));
    expect(workers).toHaveLength(1);
  });

  it('asks the worker for a chunk only when the reader wants one', async () => {
    const { bridge, workers } = setup();
    const reader = bridge.zip(Array.from({ length: 20 }, (_, i) => ({ path: `${i}.bin`, data: new Blob([noise(1000, i)]) }))).getReader();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(workers[0]!.requests.filter((request) => request.type === 'pull')).toHaveLength(0);
    await reader.read();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(workers[0]!.requests.filter((request) => request.type === 'pull')).toHaveLength(2);
    await reader.cancel();
    expect(workers[0]!.requests.at(-1)).toEqual({ type: 'cancel', jobId: 1 });
  });

  it('cancels the job in the worker when the signal aborts, and stops reading the media', async () => {
    const { bridge, workers } = setup();
    let opened = 0;
    class CountingBlob extends Blob {
      override stream() {
        opened++;
        return super.stream();
      }
    }
    const controller = new AbortController();
    const reader = bridge.zip(Array.from({ length: 40 }, (_, i) => ({ path: `${i}.bin`, data: new CountingBlob([noise(200_000, i)]) })), controller.signal).getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    expect(workers[0]!.requests.some((request) => request.type === 'cancel')).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const openedAfterCancel = opened;
    expect(openedAfterCancel).toBeLessThan(5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(opened).toBe(openedAfterCancel);
  });

  it('refuses unsafe paths before starting a worker, and fails streams when the worker crashes', async () => {
    const { bridge, workers } = setup();
    expect(() => bridge.zip([{ path: '../evil.jpg', data: new Blob(['x']) }])).toThrow(ZipError);
    expect(workers).toHaveLength(0);
    const reader = bridge.zip([{ path: 'a.bin', data: new Blob([noise(10, 1)]) }]).getReader();
    const failed = reader.read().then(
      () => reader.read(),
      (error: unknown) => {
        throw error;
      },
    );
    workers[0]!.crash('out of memory');
    await expect(failed).rejects.toThrow(/the archive worker stopped \(out of memory\)/);
    // A worker with an uncaught error keeps running unless it is ended.
    expect(workers[0]!.terminated).toBe(true);
    // The next archive gets a new worker.
    await bytesOf(bridge.zip([{ path: 'b.bin', data: new Blob(['b']) }]));
    expect(workers).toHaveLength(2);
  });

  it('reads a project file in the worker, the media buffers transferred, and reports a bad one as problems', async () => {
    const { bridge, workers } = setup();
    const png = noise(3000, 5);
    const project = writeProjectFile(
      {
        task: 'image',
        settings: { modelId: 'builtin/clip-shapes', labelsText: 'a\nb', template: '{}', calibration: 'none', aggregation: 'mean' },
        labels: ['a', 'b'],
        items: [{ path: 'x/1.png', name: '1.png', truth: 'a', decision: 'accepted', finalLabel: 'a', predictions: [{ label: 'a', score: 0.75 }], media: { blob: new Blob([png]), mime: 'image/png' } }],
      },
      zipStream,
    );
    const file = new Blob([await bytesOf(project)]);
    const result = await bridge.readProject(file);
    if (!result.ok) throw new Error(result.problems.join('; '));
    expect(result.project.manifest.items.map((item) => item.path)).toEqual(['x/1.png']);
    expect([...result.project.media.values()]).toEqual([png]);
    expect(workers[0]!.transferred.some((buffer) => buffer.byteLength === 0)).toBe(true);
    const bad = await bridge.readProject(new Blob(['PK this is not a zip']));
    expect(bad.ok).toBe(false);
    expect(bad.ok ? [] : bad.problems[0]).toMatch(/^not a readable ZIP/);
  });
});
