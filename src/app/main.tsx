import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../index.css';
import { App } from './App';
import {
  AudioBridge,
  AudioController,
  LiveMicrophone,
  browserLiveAudioDevices,
  LiveMicrophoneService,
  MicrophoneRecorder,
  RecorderService,
  addAudioFiles,
  createAudioWorker,
  currentAudioQuery,
  type DecoderStrategyScores,
  type LiveMicrophoneDebug,
} from '../features/audio';
import { ClassificationController, ClipBridge, ImageControllerService, LiveCamera, LiveCameraService, createClipWorker, currentQuery, type LiveCameraDebug } from '../features/image';
import { LabController, LabServiceContext } from '../features/lab';
import { ModelChooserService, bridgeListenersFor } from '../features/models';
import { addSharedExamples, forgetSharedDemoInUrl, readSharedDemo, sharedDemoSettings } from '../features/share';
import { AppShell, AppShellService } from '../features/shell';
import { WorkspaceManager, WorkspaceService, downloadBlob, workspaceItemsOf, type WorkspaceSettings } from '../features/workspace';
import type { ReviewAction } from '../lib/review';
import { liveRequestForDemo } from '../lib/shareFragment';
import { parseUrlState } from '../lib/urlState';
import type { AudioWorkerStats, WorkerStats } from '../lib/workerReports';
import { useAppStore } from '../store';
import type { Settings } from '../store/settingsSlice';

// On the page's timeline, for start-up profiling (bench/node/startup.ts): the app's bundle is loaded and evaluated.
performance.mark('zsp:app-start');

// First, so that policy violations during start-up are reported too; the service worker registers after the page's load.
const shell = new AppShell();
shell.start();

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
/** What the link itself set: it wins over the restored workspace's settings too. */
const linkWorkspaceSettings: Partial<WorkspaceSettings> = {
  ...(urlState.task ? { task: urlState.task } : {}),
  ...taskSettings,
  ...(urlState.calibration ? { calibration: urlState.calibration } : {}),
  ...(urlState.aggregation ? { aggregation: urlState.aggregation } : {}),
};
// Live mode waits for its panel (and the permission prompt); the link's labels are applied first, below.
if (urlState.live) store.getState().requestLive(urlState.live);
store.getState().applySettings({
  task,
  ...linkWorkspaceSettings,
  ...(urlState.backend ? { backendPreference: urlState.backend } : {}),
  ...(urlState.hubHost ? { hubHost: urlState.hubHost } : {}),
});

// A demo link (`#demo=…`) is applied over the query's settings only when all of it checks out.
const sharedDemo = await readSharedDemo(location.hash);
if (sharedDemo?.ok) {
  store.getState().applySettings(sharedDemoSettings(sharedDemo.state));
  // After its labels and model, as for `?live=`: the demo's live mode, or the query's if the demo kept its task.
  store.getState().requestLive(liveRequestForDemo(sharedDemo.state, store.getState().liveRequest));
}

const appBaseUrl = new URL(import.meta.env.BASE_URL, location.origin).toString();
const linkChoseModel = urlState.model !== undefined || sharedDemo?.ok === true;
const linkTask = store.getState().task;

// The lab (made below, it needs the bridges) gives a restarted worker back its trained head, before the requests that waited.
let lab: LabController | null = null;
const imageListeners = bridgeListenersFor<WorkerStats>(store, 'image', (stats) => store.getState().setWorkerStats(stats));
const clipBridge = new ClipBridge(createClipWorker, {
  ...imageListeners,
  onRestarted: (info, cause, duringLoad) => {
    imageListeners.onRestarted(info, cause, duringLoad);
    lab?.restoreHead('image', info.modelId);
  },
});
const controller = new ClassificationController(store, clipBridge, appBaseUrl, urlState.debug, linkChoseModel && linkTask === 'image');
controller.start();
// Live camera mode scores frames on the same worker (the model is loaded once).
const liveCamera = new LiveCamera(store, clipBridge);
liveCamera.connect();

let audioController: AudioController | null = null;
const audioListeners = bridgeListenersFor<AudioWorkerStats>(store, 'audio', (stats) => store.getState().setAudioStats(stats));
const audioBridge = new AudioBridge(createAudioWorker, {
  ...audioListeners,
  onCrash: (error) => {
    audioListeners.onCrash(error);
    audioController?.forgetWorkerState();
  },
  onRestarted: (info, cause, duringLoad) => {
    audioListeners.onRestarted(info, cause, duringLoad);
    lab?.restoreHead('audio', info.modelId);
  },
});
audioController = new AudioController(store, audioBridge, appBaseUrl, urlState.debug, linkChoseModel && linkTask === 'audio');
audioController.start();

// The lab asks each task's model worker (through its bridge) for grid searches, heads and probes.
lab = new LabController(store, { image: clipBridge, audio: audioBridge }, downloadBlob);

const recorder = new MicrophoneRecorder({
  onStatus: (status) => store.getState().setRecorderStatus(status),
  onRecording: (file) => addAudioFiles([file]),
});
// Live microphone windows go to the same audio worker; a capture joins the workspace like a recording.
const liveMicrophone = new LiveMicrophone(store, audioBridge, { onCapture: (file) => addAudioFiles([file]) }, browserLiveAudioDevices());
liveMicrophone.connect();

// Restores the last workspace while the models load; restored items keep their predictions (see the controllers).
// A valid demo link opens in a workspace of its own instead, so its examples don't land in the user's work.
const workspaces = new WorkspaceManager(store);
void workspaces.start(linkWorkspaceSettings, sharedDemo?.ok ? { freshWorkspaceName: 'Shared demo' } : {});
// The update banner's Reload stores the pending workspace changes first (the save is debounced).
shell.setSaveBeforeReload(() => workspaces.flush());

if (sharedDemo) {
  if (sharedDemo.ok) addSharedExamples(sharedDemo.state);
  forgetSharedDemoInUrl();
}

const modelChoosers = { image: controller, audio: audioController };

declare global {
  interface Window {
    zspDebug?: {
      preprocessed: (itemName: string) => Promise<{ dims: number[]; data: number[] }>;
      prompts: () => string[];
      audioFeatures: (itemName: string) => Promise<{ dims: number[]; data: number[] }>;
      audioPrompts: () => string[];
      /** A clip's first window scored in the worker with each Whisper decoder strategy (cached cross-attention, tiled). */
      audioDecoderStrategies: (itemName: string, prompts: string[]) => Promise<DecoderStrategyScores[]>;
      /** Raw (uncalibrated) per-prompt scores of a clip, as the worker computed them. */
      audioRawScores: (itemName: string) => number[] | null;
      /** Applies a review decision to the current task's items with these names (the store action the review UI calls). */
      review: (itemNames: string[], action: ReviewAction) => number;
      /** The image items' workspace fields, in store order (what a saved workspace must give back). */
      imageItems: () => Array<{ name: string; path: string; truth: string | null; decision: string; finalLabel: string | null; top: string | null }>;
      /**
       * Makes the task's model worker crash (an uncaught error in it) as soon as `afterResults` of the task's
       * items have a result: the app restarts it and carries on. Resolves once the model is ready again, with
       * how many items had a result at that moment (nothing from the new worker can have arrived yet);
       * `restarted` false if it came back in error.
       */
      crashWorker: (task: 'image' | 'audio', afterResults?: number) => Promise<{ restarted: boolean; withResults: number; items: number }>;
      /** Destroys the GPU device the task's worker runs ORT's WebGPU sessions on, once `afterResults` items have a result: the app falls back to WASM. */
      loseGpuDevice: (task: 'image' | 'audio', afterResults?: number) => Promise<void>;
      /** Live microphone mode's counters while it listens (see LiveMicrophoneDebug); null when not live. */
      liveMicrophone: () => LiveMicrophoneDebug | null;
      /** Live camera mode's counters and latencies, or null when it is not live. */
      liveCamera: () => LiveCameraDebug | null;
      /** Every later task of the task's model worker waits delayMs before it runs (an artificially slow model; 0 = off). */
      slowModel: (task: 'image' | 'audio', delayMs: number) => void;
    };
  }
}
/** Debug: how many of the task's items have a result (scores or an error). */
function itemsWithResults(state: ReturnType<typeof store.getState>, task: 'image' | 'audio'): number {
  return (task === 'image' ? Object.values(state.items) : Object.values(state.audioItems)).filter((item) => item.state === 'done' || item.state === 'error').length;
}

/**
 * Debug: how long a fault hook waits for what it waits on (results, the model back) before it gives
 * up, unsubscribes and rejects, so a test that asked for more results than come fails with a reason
 * instead of hanging until its own timeout. Longer than any e2e wait for a batch.
 */
const DEBUG_FAULT_TIMEOUT_MS = 120_000;

/** Debug: the task's items record (a result changes it), to count only when it changed. */
function taskItemsOf(state: ReturnType<typeof store.getState>, task: 'image' | 'audio'): object {
  return task === 'image' ? state.items : state.audioItems;
}

/**
 * Debug: resolves, in the store update that makes it true, once `count` of the task's items have a
 * result; rejects after DEBUG_FAULT_TIMEOUT_MS.
 */
function whenResults(task: 'image' | 'audio', count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (itemsWithResults(store.getState(), task) >= count) return resolve();
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`zspDebug: fewer than ${count} ${task} items had a result after ${DEBUG_FAULT_TIMEOUT_MS} ms`));
    }, DEBUG_FAULT_TIMEOUT_MS);
    const unsubscribe = store.subscribe((state, previous) => {
      // Items are counted only when a result can have changed, not on every store update.
      if (taskItemsOf(state, task) === taskItemsOf(previous, task) || itemsWithResults(state, task) < count) return;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    });
  });
}

if (urlState.debug) {
  const audio = audioController;
  window.zspDebug = {
    preprocessed: (itemName) => controller.debugPixels(itemName),
    prompts: () => currentQuery(store.getState()).prompts,
    audioFeatures: (itemName) => audio.debugFeatures(itemName),
    audioPrompts: () => currentAudioQuery(store.getState()).prompts,
    audioDecoderStrategies: (itemName, prompts) => audio.debugDecoderStrategies(itemName, prompts),
    audioRawScores: (itemName) => {
      const item = Object.values(store.getState().audioItems).find((candidate) => candidate.name === itemName);
      return item?.rawScores ? Array.from(item.rawScores) : null;
    },
    review: (itemNames, action) => {
      const state = store.getState();
      const ids = workspaceItemsOf(state, state.task)
        .filter((item) => itemNames.includes(item.name))
        .map((item) => item.id);
      return state.review(state.task, ids, action);
    },
    imageItems: () => {
      const state = store.getState();
      return state.itemOrder.flatMap((id) => {
        const item = state.items[id];
        return item
          ? [{ name: item.name, path: item.path, truth: item.truth, decision: item.decision, finalLabel: item.finalLabel, top: item.predictions[0]?.label ?? null }]
          : [];
      });
    },
    crashWorker: (faulty, afterResults = 0) =>
      new Promise((resolve, reject) => {
        let crashed = false;
        let timer: ReturnType<typeof setTimeout> | undefined;
        const unsubscribe = store.subscribe((state, previous) => {
          const status = state.models[faulty].status;
          if (!crashed || previous.models[faulty].status.state !== 'loading' || (status.state !== 'ready' && status.state !== 'error')) return;
          clearTimeout(timer);
          unsubscribe();
          resolve({ restarted: status.state === 'ready', withResults: itemsWithResults(state, faulty), items: faulty === 'image' ? state.itemOrder.length : state.audioOrder.length });
        });
        whenResults(faulty, afterResults).then(
          () => {
            crashed = true;
            // The model must be back (ready, or in error) within the same bound.
            timer = setTimeout(() => {
              unsubscribe();
              reject(new Error(`zspDebug: the ${faulty} model was not back ${DEBUG_FAULT_TIMEOUT_MS} ms after the crash`));
            }, DEBUG_FAULT_TIMEOUT_MS);
            (faulty === 'image' ? clipBridge : audioBridge).debugFault('crash');
          },
          (error: unknown) => {
            unsubscribe();
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      }),
    loseGpuDevice: (faulty, afterResults = 0) =>
      whenResults(faulty, afterResults).then(() => (faulty === 'image' ? clipBridge : audioBridge).debugFault('loseGpuDevice')),
    liveMicrophone: () => liveMicrophone.debugSnapshot(),
    liveCamera: () => liveCamera.debugSnapshot(),
    slowModel: (slowed, delayMs) => (slowed === 'image' ? clipBridge : audioBridge).debugSlowModel(delayMs),
  };
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ImageControllerService.Provider value={controller}>
      <RecorderService.Provider value={recorder}>
        <WorkspaceService.Provider value={workspaces}>
          <ModelChooserService.Provider value={modelChoosers}>
            <LabServiceContext.Provider value={lab}>
              <AppShellService.Provider value={shell}>
                <LiveCameraService.Provider value={liveCamera}>
                  <LiveMicrophoneService.Provider value={liveMicrophone}>
                    <App rejectedParams={urlState.rejected} sharedDemoProblems={sharedDemo?.ok === false ? sharedDemo.problems : []} />
                  </LiveMicrophoneService.Provider>
                </LiveCameraService.Provider>
              </AppShellService.Provider>
            </LabServiceContext.Provider>
          </ModelChooserService.Provider>
        </WorkspaceService.Provider>
      </RecorderService.Provider>
    </ImageControllerService.Provider>
  </StrictMode>,
);
