import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { App } from './app/App';
import { AppServicesContext } from './app/services';
import { ClassificationController, currentQuery } from './features/clip/client/classificationController';
import { ClipBridge, createClipWorker } from './features/clip/client/clipBridge';
import { parseUrlState } from './lib/urlState';
import { useAppStore } from './store';

const urlState = parseUrlState(location.search);
const store = useAppStore;
store.getState().applySettings({
  ...(urlState.model ? { modelId: urlState.model } : {}),
  ...(urlState.labels ? { labelsText: urlState.labels.join('\n') } : {}),
  ...(urlState.template !== undefined ? { template: urlState.template } : {}),
  ...(urlState.backend ? { backendPreference: urlState.backend } : {}),
  ...(urlState.hubHost ? { hubHost: urlState.hubHost } : {}),
});

const bridge = new ClipBridge(createClipWorker, {
  onStats: (stats) => store.getState().setWorkerStats(stats),
  onBackendChanged: (info) => {
    const status = store.getState().modelStatus;
    if (status.state === 'ready') store.getState().setModelStatus({ ...status, info });
    if (info.fallbackReason) store.getState().setModelNotice({ text: info.fallbackReason });
  },
  onCrash: (error) => store.getState().setModelNotice({ text: error.message }),
});
const appBaseUrl = new URL(import.meta.env.BASE_URL, location.origin).toString();
const controller = new ClassificationController(store, bridge, appBaseUrl, urlState.debug, urlState.model !== undefined);
controller.start();

declare global {
  interface Window {
    zspDebug?: {
      preprocessed: (itemName: string) => Promise<{ dims: number[]; data: number[] }>;
      prompts: () => string[];
    };
  }
}
if (urlState.debug) {
  window.zspDebug = {
    preprocessed: (itemName) => controller.debugPixels(itemName),
    prompts: () => currentQuery(store.getState()).prompts,
  };
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppServicesContext.Provider value={{ controller }}>
      <App rejectedParams={urlState.rejected} />
    </AppServicesContext.Provider>
  </StrictMode>,
);
