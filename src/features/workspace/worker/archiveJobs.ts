/**
 * The archive worker's jobs, apart from `self` so the protocol can be tested in Node: one ZIP
 * stream per job (lib/archive), read one chunk per `pull` so the page's consumer sets the pace
 * and at most one chunk is in flight per job.
 */
import { zipStream } from '../../../lib/archive';
import { oversizedProjectFile, readProjectFile } from '../../../lib/projectFile';
import { ZipError } from '../../../lib/zipFormat';
import type { ArchiveEvent, ArchiveRequest, ReadProjectRequest, StartArchiveRequest } from '../shared/archiveProtocol';

export type PostArchiveEvent = (event: ArchiveEvent, transfer: ArrayBuffer[]) => void;

/** A chunk that owns its whole buffer, so transferring it moves exactly these bytes. */
function ownBuffer(chunk: Uint8Array): Uint8Array<ArrayBuffer> {
  if (chunk.buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength) return new Uint8Array(chunk.buffer);
  return chunk.slice();
}

/** The handler for the page's requests; `post` sends events back (with buffers to transfer). */
export function archiveJobs(post: PostArchiveEvent): (request: ArchiveRequest) => void {
  const jobs = new Map<number, ReadableStreamDefaultReader<Uint8Array>>();

  const fail = (jobId: number, error: unknown) => {
    jobs.delete(jobId);
    post({ type: 'failed', jobId, kind: error instanceof ZipError ? 'zip' : 'read', message: error instanceof Error ? error.message : String(error) }, []);
  };

  const start = (request: StartArchiveRequest) => {
    try {
      const entries = request.entries.map((entry) => ({
        path: entry.path,
        data: entry.data,
        ...(entry.modified !== undefined ? { modified: new Date(entry.modified) } : {}),
      }));
      jobs.set(request.jobId, zipStream(entries).getReader());
    } catch (error) {
      fail(request.jobId, error);
    }
  };

  const pull = async (jobId: number) => {
    const reader = jobs.get(jobId);
    if (!reader) return; // cancelled, or already failed
    try {
      const { done, value } = await reader.read();
      if (!jobs.has(jobId)) return;
      if (done) {
        jobs.delete(jobId);
        post({ type: 'done', jobId }, []);
        return;
      }
      const bytes = ownBuffer(value);
      post({ type: 'chunk', jobId, bytes }, [bytes.buffer]);
    } catch (error) {
      fail(jobId, error);
    }
  };

  const readProject = async (request: ReadProjectRequest) => {
    try {
      // The size cap is checked before the file is read into memory, not after.
      const result = oversizedProjectFile(request.file.size) ?? (await readProjectFile(new Uint8Array(await request.file.arrayBuffer())));
      // Each media entry was read into a buffer of its own; moving them saves copying up to 1 GiB.
      const buffers = result.ok ? [...new Set([...result.project.media.values()].map((bytes) => bytes.buffer))] : [];
      post({ type: 'projectRead', jobId: request.jobId, result }, buffers);
    } catch (error) {
      fail(request.jobId, error);
    }
  };

  return (request) => {
    switch (request.type) {
      case 'start':
        return start(request);
      case 'pull':
        return void pull(request.jobId);
      case 'readProject':
        return void readProject(request);
      case 'cancel': {
        const reader = jobs.get(request.jobId);
        jobs.delete(request.jobId);
        reader?.cancel().catch(() => undefined);
        return;
      }
    }
  };
}
