import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './index.css';
import { App } from './app/App';
import { AppServicesContext, type AppServices } from './app/services';
import { addAudioFiles } from './features/audio/AudioDropzone';
import { AudioBridge, createAudioWorker } from './features/audio/client/audioBridge';
import { AudioController, currentAudioQuery } from './features/audio/client/audioController';
import { MicrophoneRecorder } from './features/audio/client/microphoneRecorder';
import { ClassificationController, currentQuery } from './features/clip/client/classificationController';
import { ClipBridge, createClipWorker } from './features/clip/client/clipBridge';
import type { WorkerStats } from './features/clip/shared/protocol';
import type { AudioWorkerStats } from './features/audio/shared/protocol';
import { bridgeListenersFor } from './features/models/client/taskModelLoader';
import { parseUrlState } from './lib/urlState';
import { useAppStore } from './store';
import type { Settings } from './store/settingsSlice';

const urlState = parseUrlState(location.search);
const store = useAppStore;
const task = urlState.task ?? store.getState().task;
// A link's model, labels and template belong to the task it opens.
const taskSettings: Partial<Settings> =
  task === 'audio'
    ? {
        ...(urlState.model ? { audioModelId: urlState.model } : {}),
        ...(urlState.labels ? { audioLabelsText: urlState.labels.join('\n') } : {}),
        ...(urlState.template !== undefined ? { audioTemplate: urlState.template } : {}),
      }
    : {
        ...(urlState.model ? { modelId: urlState.model } : {}),
        ...(urlState.labels ? { labelsText: urlState.labels.join('\n') } : {}),
        ...(urlState.template !== undefined ? { template: urlState.template } : {}),
      };
store.getState().applySettings({
  task,
  ...taskSettings,
  ...(urlState.backend ? { backendPreference: urlState.backend } : {}),
  ...(urlState.hubHost ? { hubHost: urlState.hubHost } : {}),
  ...(urlState.calibration ? { calibration: urlState.calibration } : {}),
  ...(urlState.aggregation ? { aggregation: urlState.aggregation } : {}),
});

const appBaseUrl = new URL(import.meta.env.BASE_URL, location.origin).toString();
const linkChoseModel = urlState.model !== undefined;

const clipBridge = new ClipBridge(createClipWorker, bridgeListenersFor<WorkerStats>(store, 'image', (stats) => store.getState().setWorkerStats(stats)));
const controller = new ClassificationController(store, clipBridge, appBaseUrl, urlState.debug, linkChoseModel && task === 'image');
controller.start();

let audioController: AudioController | null = null;
const audioListeners = bridgeListenersFor<AudioWorkerStats>(store, 'audio', (stats) => store.getState().setAudioStats(stats));
const audioBridge = new AudioBridge(createAudioWorker, {
  ...audioListeners,
  onCrash: (error) => {
    audioListeners.onCrash(error);
    audioController?.forgetWorkerState();
  },
});
audioController = new AudioController(store, audioBridge, appBaseUrl, urlState.debug, linkChoseModel && task === 'audio');
audioController.start();

const recorder = new MicrophoneRecorder({
  onStatus: (status) => store.getState().setRecorderStatus(status),
  onRecording: (file) => addAudioFiles([file]),
});

const services: AppServices = {
  controller,
  audioController,
  recorder,
  modelChoosers: { image: controller, audio: audioController },
};

declare global {
  interface Window {
    zspDebug?: {
      preprocessed: (itemName: string) => Promise<{ dims: number[]; data: number[] }>;
      prompts: () => string[];
      audioFeatures: (itemName: string) => Promise<{ dims: number[]; data: number[] }>;
      audioPrompts: () => string[];
      /** Raw (uncalibrated) per-prompt scores of a clip, as the worker computed them. */
      audioRawScores: (itemName: string) => number[] | null;
    };
  }
}
if (urlState.debug) {
  const audio = audioController;
  window.zspDebug = {
    preprocessed: (itemName) => controller.debugPixels(itemName),
    prompts: () => currentQuery(store.getState()).prompts,
    audioFeatures: (itemName) => audio.debugFeatures(itemName),
    audioPrompts: () => currentAudioQuery(store.getState()).prompts,
    audioRawScores: (itemName) => {
      const item = Object.values(store.getState().audioItems).find((candidate) => candidate.name === itemName);
      return item?.rawScores ? Array.from(item.rawScores) : null;
    },
  };
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppServicesContext.Provider value={services}>
      <App rejectedParams={urlState.rejected} />
    </AppServicesContext.Provider>
  </StrictMode>,
);
