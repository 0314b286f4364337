/** The share feature's public API: other features and src/app import only from here. */
export { addSharedExamples, forgetSharedDemoInUrl, readSharedDemo, sharedDemoSettings } from './client/openSharedDemo';
export { SharePanel } from './ui/SharePanel';
export { SharedDemoError } from './ui/SharedDemoError';
