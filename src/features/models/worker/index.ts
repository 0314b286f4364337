/** The models feature's worker-side API (the worker host, loading with backend fallback): what other features' worker code imports. */
export { ModelLoadError, loadWithBackendFallback } from './modelLoading';
export { serveModelWorker } from './modelWorkerHost';
