/** What model workers share with the main thread and with each other (load protocol, catalog): the part of the models feature that worker code may import. */
export { audioCatalogEntryFor, chooseDtype, imageCatalogEntryFor, sessionDtype } from './catalog';
export type { AudioCatalogModel, ImageCatalogModel } from './catalog';
export type { BaseWorkerEvent, CancelRequest, LoadModelRequest, ModelSource } from './loadProtocol';
export { modelKindMismatch } from './modelKinds';
export { STALL_TIMEOUT_MS, stallTimeoutOverride } from './stallTimeout';
