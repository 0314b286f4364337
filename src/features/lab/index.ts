/** The prompt lab's public API: other features and src/app import only from here. */
export type { LabBackend, LabCallOptions, LabProgress, LabService, TrainHeadOptions } from './client/labService';
export { LabController } from './client/labController';
export type { SaveFile } from './client/labController';
export { currentZeroShotConfig } from './client/labInputs';
export { BiasProbePanel } from './ui/BiasProbePanel';
export { FewShotPanel } from './ui/FewShotPanel';
export { LabServiceContext } from './ui/labServices';
export { PromptLabPanel } from './ui/PromptLabPanel';
export { ThresholdsPanel } from './ui/ThresholdsPanel';
