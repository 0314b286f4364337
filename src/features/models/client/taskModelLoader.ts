import type { StoreApi } from 'zustand';
import type { AppState } from '../../../store';
import { modelIdOf } from '../../../store/settingsSlice';
import { BUILTIN_MODEL_IDS, type Task } from '../../../lib/tasks';
import type { ModelSource } from '../shared/loadProtocol';
import { stallTimeoutOverride } from '../shared/stallTimeout';
import type { LoadedModelInfo } from '../../../lib/workerReports';
import { ModelLoadFailure, WebGpuLostError, WorkerCrashedError, type LoadOptions } from './modelWorkerBridge';

/** The bridge methods the loader uses: a load, and stopping the worker to cancel one. */
export interface LoadingBridge {
  load(options: LoadOptions): Promise<LoadedModelInfo>;
  terminate(): void;
}

export const LOCAL_FOLDER_PREFIX = 'local/';

/** `stallTimeoutMs`: a shorter stall timeout for the network sources (a test hook), else the worker's default. */
export function modelSourceFor(state: AppState, task: Task, appBaseUrl: string, stallTimeoutMs?: number): ModelSource {
  const modelId = modelIdOf(state, task);
  const pickedFolder = state.models[task].pickedFolder;
  const stall = stallTimeoutMs === undefined ? {} : { stallTimeoutMs };
  if (modelId.startsWith('builtin/')) return { kind: 'builtin', baseUrl: appBaseUrl, ...stall };
  if (modelId.startsWith(LOCAL_FOLDER_PREFIX) && pickedFolder) return { kind: 'folder', name: pickedFolder.name, files: pickedFolder.files };
  return { kind: 'hub', host: state.hubHost, ...stall };
}

/** What the model panel needs from a task's controller. */
export interface ModelChooser {
  chooseModel(modelId: string): void;
  /** Stops the model load under way (a slow or stalled download): see TaskModelLoader.cancelModelLoad. */
  cancelModelLoad(): void;
}

/**
 * Loads a task's chosen model through its worker bridge and keeps the task's model status in the
 * store: progress, ready, errors in plain words, and, offline, a quiet fall-back to the built-in
 * model when the remembered Hub model can't be reached (with an offer to retry).
 */
export class TaskModelLoader implements ModelChooser {
  private generation = 0;
  private active = false;
  /** Whether the user (or a link) chose the model in this session; a remembered default may fall back silently. */
  private explicitModelChoice: boolean;
  /** The last model that became ready in this session: where a cancelled load goes back to. */
  private lastReadyModelId: string | null = null;
  /** `?debug=1&stallTimeoutMs=…`: read once; only tests shorten the worker's stall timeout. */
  private readonly stallTimeoutMs: number | undefined;

  constructor(
    private readonly task: Task,
    private readonly store: StoreApi<AppState>,
    private readonly bridge: LoadingBridge,
    private readonly appBaseUrl: string,
    private readonly debug: boolean,
    explicitModelChoice: boolean,
    /** Called before each load starts: the task cancels its runs. */
    private readonly beforeLoad: () => void,
  ) {
    this.explicitModelChoice = explicitModelChoice;
    this.stallTimeoutMs = debug && typeof location !== 'undefined' ? stallTimeoutOverride(location.search) : undefined;
  }

  /**
   * Starts the task's first load when its view is first shown (opening the image view never
   * loads Whisper, and the reverse). Returns whether the task is active, i.e. has started.
   */
  activateIfShown(state: AppState): boolean {
    if (!this.active && state.task === this.task) {
      this.active = true;
      void this.load();
    }
    return this.active;
  }

  /** Whether a store change means the model must be (re)loaded. */
  needsReload(state: AppState, previous: AppState): boolean {
    return (
      modelIdOf(state, this.task) !== modelIdOf(previous, this.task) ||
      state.backendPreference !== previous.backendPreference ||
      state.dtypePreference !== previous.dtypePreference ||
      state.hubHost !== previous.hubHost ||
      state.models[this.task].pickedFolder !== previous.models[this.task].pickedFolder
    );
  }

  /** The user picked a model in the UI: from now on a failure is reported, never silently replaced. */
  chooseModel(modelId: string): void {
    this.explicitModelChoice = true;
    const state = this.store.getState();
    state.setModelNotice(this.task, null);
    if (modelIdOf(state, this.task) === modelId) void this.load();
    else state.setTaskModelId(this.task, modelId);
  }

  /**
   * Stops the load under way (the worker goes, and its downloads with it). Back to the model that
   * was ready before, if there was one (from the cache: quick), with a notice that offers to try
   * the cancelled one again; otherwise a "cancelled" status with a retry and the built-in model.
   */
  cancelModelLoad(): void {
    const state = this.store.getState();
    const status = state.models[this.task].status;
    if (status.state !== 'loading') return;
    this.generation++;
    this.bridge.terminate();
    state.setFileProgress(this.task, []);
    const previous = this.lastReadyModelId;
    if (previous !== null && previous !== status.modelId) {
      state.setModelNotice(this.task, { text: `Stopped loading ${status.modelId}; back to ${previous}.`, retryModelId: status.modelId });
      state.setTaskModelId(this.task, previous);
      return;
    }
    state.setModelStatus(this.task, { state: 'error', modelId: status.modelId, kind: 'cancelled', message: `Stopped loading ${status.modelId}.` });
  }

  async load(): Promise<LoadedModelInfo | null> {
    const generation = ++this.generation;
    this.beforeLoad();
    const state = this.store.getState();
    const modelId = modelIdOf(state, this.task);
    // What is ready now is where a cancel of this load goes back to: also a model that a crash
    // restart brought back (bridgeListenersFor set it ready), which this loader never saw load.
    const before = state.models[this.task].status;
    if (before.state === 'ready') this.lastReadyModelId = before.info.modelId;
    state.setModelStatus(this.task, { state: 'loading', modelId });
    state.setFileProgress(this.task, []);
    try {
      const info = await this.bridge.load({
        modelId,
        source: modelSourceFor(state, this.task, this.appBaseUrl, this.stallTimeoutMs),
        backend: state.backendPreference,
        dtype: state.dtypePreference,
        keepInputsForDebug: this.debug,
        onProgress: (files) => {
          if (generation === this.generation) this.store.getState().setFileProgress(this.task, files);
        },
      });
      if (generation !== this.generation) return null;
      this.lastReadyModelId = modelId;
      this.store.getState().setModelStatus(this.task, { state: 'ready', modelId, info });
      if (info.fallbackReason) this.store.getState().setModelNotice(this.task, { text: info.fallbackReason });
      return info;
    } catch (error) {
      // The bridge restarts a crashed worker with this same model and reports that itself (bridgeListenersFor).
      if (generation !== this.generation || error instanceof WorkerCrashedError) return null;
      const failure = error instanceof ModelLoadFailure ? error : new ModelLoadFailure('other', String(error));
      const isHubModel = !modelId.startsWith('builtin/') && !modelId.startsWith(LOCAL_FOLDER_PREFIX);
      if (failure.kind === 'unreachable' && isHubModel && !this.explicitModelChoice) {
        // Offline with a model remembered from an earlier visit: carry on with the built-in one, say so, offer to retry.
        this.store.getState().setModelNotice(this.task, {
          text: `Couldn't reach the model host (${this.store.getState().hubHost}) for ${modelId}, so the built-in model is in use instead.`,
          retryModelId: modelId,
        });
        this.store.getState().setTaskModelId(this.task, BUILTIN_MODEL_IDS[this.task]);
        return null;
      }
      this.store.getState().setModelStatus(this.task, { state: 'error', modelId, kind: failure.kind, message: failure.message });
      return null;
    }
  }
}

/** Shown once a crashed model worker is back with its model. */
export const WORKER_RESTARTED_NOTICE =
  'The model worker stopped unexpectedly and was restarted: the model is loaded again, and the items that had no result yet are being run again.';
/** Shown once a worker that crashed while loading the model for the first time has it after all. */
export const WORKER_RESTARTED_DURING_LOAD_NOTICE = 'The model worker stopped unexpectedly while it loaded the model and was restarted: the model is loaded now.';

/** Bridge listeners that keep a task's model status and notices in the store. */
export function bridgeListenersFor<TStats>(store: StoreApi<AppState>, task: Task, onStats: (stats: TStats) => void) {
  return {
    onStats,
    // While a crashed worker reloads, the model is loading again: items wait (no stale "ready"), and the user is told why.
    onCrash: (error: Error) => {
      const state = store.getState();
      const status = state.models[task].status;
      if (status.state === 'ready' || status.state === 'loading') state.setModelStatus(task, { state: 'loading', modelId: status.modelId });
      state.setModelNotice(task, { text: error.message });
    },
    // Ready again: the controllers see the status change and send what is still unfinished.
    onRestarted: (info: LoadedModelInfo, cause: WorkerCrashedError, duringLoad: boolean) => {
      const state = store.getState();
      state.setModelStatus(task, { state: 'ready', modelId: info.modelId, info });
      // A lost GPU: its reason says it all (the badge shows WebAssembly). A crash: say so, and why the
      // backend changed if it did (the fall-back reason is appended, never replaced by the crash notice).
      const restarted = duringLoad ? WORKER_RESTARTED_DURING_LOAD_NOTICE : WORKER_RESTARTED_NOTICE;
      const text = cause instanceof WebGpuLostError ? cause.message : info.fallbackReason ? `${restarted} ${info.fallbackReason}` : restarted;
      state.setModelNotice(task, { text });
    },
    onRestartFailed: (error: Error) => {
      const state = store.getState();
      const status = state.models[task].status;
      if (status.state !== 'idle') state.setModelStatus(task, { state: 'error', modelId: status.modelId, kind: 'other', message: error.message });
      state.setModelNotice(task, null);
    },
  };
}
