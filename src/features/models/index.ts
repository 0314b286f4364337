/** The models feature's public API: other features and src/app import only from here. */
export {
  ModelLoadFailure,
  ModelWorkerBridge,
  StoppedError,
  SupersededError,
  WebGpuLostError,
  WorkerCrashedError,
  WorkerRestartFailedError,
} from './client/modelWorkerBridge';
export { FruitlessCrashCounter, MAX_FRUITLESS_CRASHES } from './client/fruitlessCrashes';
export type { BridgeListeners, LoadOptions, Settle } from './client/modelWorkerBridge';
export { PatchBatcher } from './client/patchBatcher';
export { Debouncer, RunTracker } from './client/runTracker';
export { TaskModelLoader, bridgeListenersFor } from './client/taskModelLoader';
export type { ModelChooser } from './client/taskModelLoader';
export { audioCatalogEntryFor } from './shared/catalog';
export { ModelPanel } from './ui/ModelPanel';
export { ModelChooserService } from './ui/modelServices';
