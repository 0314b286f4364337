/// <reference lib="webworker" />
/** The archive worker: ZIP archives written off the page's thread (see archiveJobs). */
import type { ArchiveRequest } from '../shared/archiveProtocol';
import { archiveJobs } from './archiveJobs';

const handle = archiveJobs((event, transfer) => self.postMessage(event, transfer));

self.onmessage = (message: MessageEvent<ArchiveRequest>) => handle(message.data);
