export type { LabBackend, LabCallOptions, LabProgress, LabService, TrainHeadOptions } from './client/labService';
