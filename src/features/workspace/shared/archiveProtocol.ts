/**
 * The protocol between the app and the archive worker, which writes ZIP archives (lib/archive)
 * so that CRC-32 over thousands of media runs off the main thread, and reads project files
 * (lib/projectFile: inflating, CRC checks and the manifest's validation) for the same reason. The archive comes back as
 * chunks, one per `pull`, so the page's stream applies backpressure all the way to the Blob
 * reads in the worker; chunk buffers are transferred, not copied. Every job ends with exactly
 * one `done` or `failed`, unless the app cancelled it.
 */
import type { ProjectResult } from '../../../lib/projectFile';

export interface ArchiveJobEntry {
  path: string;
  /** Structured-cloning a Blob shares its bytes rather than copying them. */
  data: Blob;
  /** Milliseconds since the epoch; the worker's clock when absent. */
  modified?: number;
}

export interface StartArchiveRequest {
  type: 'start';
  jobId: number;
  entries: ArchiveJobEntry[];
}

/** Asks for the next chunk of a job. */
export interface PullArchiveRequest {
  type: 'pull';
  jobId: number;
}

export interface CancelArchiveRequest {
  type: 'cancel';
  jobId: number;
}

/** Reads and checks a project file; the worker reads the Blob itself, so its bytes are not copied over. */
export interface ReadProjectRequest {
  type: 'readProject';
  jobId: number;
  file: Blob;
}

export type ArchiveRequest = StartArchiveRequest | PullArchiveRequest | CancelArchiveRequest | ReadProjectRequest;

export interface ArchiveChunkEvent {
  type: 'chunk';
  jobId: number;
  bytes: Uint8Array<ArrayBuffer>;
}

export interface ArchiveDoneEvent {
  type: 'done';
  jobId: number;
}

export interface ArchiveFailedEvent {
  type: 'failed';
  jobId: number;
  /** 'zip' for a ZipError (a path the archive cannot hold), 'read' for anything else. */
  kind: 'zip' | 'read';
  message: string;
}

/** The checked project, its media buffers transferred. */
export interface ProjectReadEvent {
  type: 'projectRead';
  jobId: number;
  result: ProjectResult;
}

export type ArchiveEvent = ArchiveChunkEvent | ArchiveDoneEvent | ArchiveFailedEvent | ProjectReadEvent;
