import { buildPrompts, parseLabels } from '../../../lib/labels';
import { rankLabels } from '../../../lib/scoring';
import type { AppState } from '../../../store';
import type { ImageItem } from '../../../store/itemsSlice';
import { BUILTIN_MODEL_ID } from '../../models/shared/catalog';
import { prepareImage } from '../../images/prepareImages';
import type { ClassifyItem, ModelSource } from '../shared/protocol';
import { ClipBridge, ModelLoadFailure, SupersededError } from './clipBridge';
import type { StoreApi } from 'zustand';

/** Typing pauses shorter than this are treated as one edit, so each keystroke doesn't re-rank. */
export const RERANK_DEBOUNCE_MS = 120;
export const LOCAL_FOLDER_PREFIX = 'local/';

export interface CurrentQuery {
  labels: string[];
  prompts: string[];
  /** Identifies the model run plus prompts a prediction was made for. */
  key: string;
}

export function currentQuery(state: AppState): CurrentQuery {
  const { labels } = parseLabels(state.labelsText);
  const prompts = buildPrompts(state.template, labels);
  const model = state.modelStatus.state === 'ready' ? `${state.modelStatus.info.modelId}@${state.modelStatus.info.backend}` : '';
  return { labels, prompts, key: `${model}\u0000${prompts.join('\u0000')}` };
}

export function modelSourceFor(state: AppState, appBaseUrl: string): ModelSource {
  if (state.modelId.startsWith('builtin/')) return { kind: 'builtin', baseUrl: appBaseUrl };
  if (state.modelId.startsWith(LOCAL_FOLDER_PREFIX) && state.pickedFolder)
    return { kind: 'folder', name: state.pickedFolder.name, files: state.pickedFolder.files };
  return { kind: 'hub', host: state.hubHost };
}

function needsRanking(item: ImageItem, key: string): boolean {
  return item.contentHash !== null && item.state !== 'error' && item.rankedPromptsKey !== key;
}

/**
 * Connects the store to the CLIP worker: loads the chosen model, prepares dropped files, and
 * (debounced) asks the worker to rank whatever isn't ranked for the current labels, cancelling
 * a run that the user's edits made stale. Plain module, wired once at start-up.
 */
export class ClassificationController {
  private loadGeneration = 0;
  /** Runs the worker is working on; a run for stale labels is cancelled, one for the current labels is left alone. */
  private readonly runs = new Set<{ controller: AbortController; key: string; itemIds: Set<string> }>();
  private rerankTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly preparing = new Set<string>();
  /** Whether the user (or a link) chose the model in this session; a remembered default may fall back silently. */
  private explicitModelChoice: boolean;

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: ClipBridge,
    private readonly appBaseUrl: string,
    private readonly debug: boolean,
    explicitModelChoice: boolean,
  ) {
    this.explicitModelChoice = explicitModelChoice;
  }

  start(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (
        state.modelId !== previous.modelId ||
        state.backendPreference !== previous.backendPreference ||
        state.hubHost !== previous.hubHost ||
        state.pickedFolder !== previous.pickedFolder
      )
        void this.loadModel();
      if (state.itemOrder !== previous.itemOrder) this.prepareNewItems();
      if (
        state.items !== previous.items ||
        state.labelsText !== previous.labelsText ||
        state.template !== previous.template ||
        state.modelStatus !== previous.modelStatus ||
        state.embeddingPaused !== previous.embeddingPaused
      )
        this.scheduleRerank();
    });
    void this.loadModel();
    return () => {
      unsubscribe();
      this.abortRuns();
      this.bridge.terminate();
    };
  }

  /** The user picked a model in the UI: from now on a failure is reported, never silently replaced. */
  chooseModel(modelId: string): void {
    this.explicitModelChoice = true;
    this.store.getState().setModelNotice(null);
    if (this.store.getState().modelId === modelId) void this.loadModel();
    else this.store.getState().setModelId(modelId);
  }

  cancelBatch(): void {
    this.store.getState().setEmbeddingPaused(true);
    this.abortRuns();
  }

  resumeBatch(): void {
    this.store.getState().setEmbeddingPaused(false);
  }

  private abortRuns(keepKey?: string): void {
    for (const run of this.runs) {
      if (run.key === keepKey) continue;
      run.controller.abort();
      this.runs.delete(run);
    }
  }

  async debugPixels(itemName: string): Promise<{ dims: number[]; data: number[] }> {
    const item = Object.values(this.store.getState().items).find((candidate) => candidate.name === itemName);
    if (!item?.contentHash) throw new Error(`No prepared item named ${itemName}`);
    const pixels = await this.bridge.debugPixels(item.contentHash);
    if (!pixels) throw new Error(`No preprocessed pixels kept for ${itemName} (open the app with ?debug=1)`);
    return { dims: pixels.dims, data: Array.from(pixels.data) };
  }

  private async loadModel(): Promise<void> {
    const generation = ++this.loadGeneration;
    this.abortRuns();
    const state = this.store.getState();
    const modelId = state.modelId;
    state.setModelStatus({ state: 'loading', modelId });
    state.setFileProgress([]);
    try {
      const info = await this.bridge.load({
        modelId,
        source: modelSourceFor(state, this.appBaseUrl),
        backend: state.backendPreference,
        keepPixelsForDebug: this.debug,
        onProgress: (files) => {
          if (generation === this.loadGeneration) this.store.getState().setFileProgress(files);
        },
      });
      if (generation !== this.loadGeneration) return;
      this.store.getState().setModelStatus({ state: 'ready', modelId, info });
      if (info.fallbackReason) this.store.getState().setModelNotice({ text: info.fallbackReason });
    } catch (error) {
      if (generation !== this.loadGeneration) return;
      const failure = error instanceof ModelLoadFailure ? error : new ModelLoadFailure('other', String(error));
      const isHubModel = !modelId.startsWith('builtin/') && !modelId.startsWith(LOCAL_FOLDER_PREFIX);
      if (failure.kind === 'unreachable' && isHubModel && !this.explicitModelChoice) {
        // Offline with a model remembered from an earlier visit: carry on with the built-in one, say so, offer to retry.
        this.store.getState().setModelNotice({
          text: `Couldn't reach the model host (${this.store.getState().hubHost}) for ${modelId}, so the built-in model is in use instead.`,
          retryModelId: modelId,
        });
        this.store.getState().setModelId(BUILTIN_MODEL_ID);
        return;
      }
      this.store.getState().setModelStatus({ state: 'error', modelId, kind: failure.kind, message: failure.message });
    }
  }

  private prepareNewItems(): void {
    const { items, itemOrder } = this.store.getState();
    for (const id of itemOrder) {
      const item = items[id];
      if (!item || item.contentHash || item.state === 'error' || this.preparing.has(id)) continue;
      this.preparing.add(id);
      prepareImage(item)
        .then((prepared) => this.store.getState().updateItem(id, prepared))
        .catch((error: unknown) =>
          this.store.getState().updateItem(id, { state: 'error', error: error instanceof Error ? error.message : String(error) }),
        )
        .finally(() => this.preparing.delete(id));
    }
  }

  private scheduleRerank(): void {
    if (this.rerankTimer !== null) clearTimeout(this.rerankTimer);
    this.rerankTimer = setTimeout(() => {
      this.rerankTimer = null;
      void this.rerank();
    }, RERANK_DEBOUNCE_MS);
  }

  private async rerank(): Promise<void> {
    const state = this.store.getState();
    if (state.modelStatus.state !== 'ready') return;
    const query = currentQuery(state);
    if (query.labels.length === 0) return;
    this.abortRuns(query.key);
    const running = new Set([...this.runs].flatMap((run) => [...run.itemIds]));
    const work = state.itemOrder
      .map((id) => state.items[id])
      .filter((item): item is ImageItem => !!item && needsRanking(item, query.key) && !running.has(item.id))
      // While paused, only images already embedded (ranked before) are re-ranked: that costs no vision run.
      .filter((item) => !state.embeddingPaused || item.state === 'done');
    if (work.length === 0) return;

    const run = { controller: new AbortController(), key: query.key, itemIds: new Set(work.map((item) => item.id)) };
    this.runs.add(run);
    const items: ClassifyItem[] = work.map((item) => ({ itemId: item.id, contentHash: item.contentHash!, image: item.blob }));
    try {
      await this.bridge.classify(query.prompts, items, {
        signal: run.controller.signal,
        onItem: (itemId, _hash, outcome) => {
          const update = this.store.getState().updateItem;
          if (outcome.ok)
            update(itemId, {
              state: 'done',
              error: null,
              predictions: rankLabels(query.labels, Array.from(outcome.scores)),
              rankedPromptsKey: query.key,
              width: outcome.width,
              height: outcome.height,
            });
          else update(itemId, { state: 'error', error: outcome.error, predictions: [], rankedPromptsKey: query.key });
        },
        onBatchProgress: (done, total) => {
          if (this.runs.has(run)) this.store.getState().setBatch(done < total ? { done, total } : null);
        },
      });
    } catch (error) {
      if (error instanceof SupersededError) return;
      // A crash rejects the run; the bridge restarts the worker and the next edit re-ranks.
      this.store.getState().setModelNotice({ text: error instanceof Error ? error.message : String(error) });
    } finally {
      if (this.runs.delete(run) && this.runs.size === 0) this.store.getState().setBatch(null);
    }
  }
}
