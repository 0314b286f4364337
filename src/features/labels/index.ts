/** The labels feature's public API: other features and src/app import only from here. */
export { LabelsPanel } from './ui/LabelsPanel';
