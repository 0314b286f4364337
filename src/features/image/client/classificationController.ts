import { createLimiter } from '../../../lib/concurrency';
import { withImageResizeMode } from '../../../lib/cacheKeys';
import { buildClassPrompts, parseLabels, parseTemplates } from '../../../lib/labels';
import { rankLabels } from '../../../lib/scoring';
import type { AppState } from '../../../store';
import type { ImageItem } from '../../../store/itemsSlice';
import { PatchBatcher } from '../../models';
import { Debouncer, RunTracker } from '../../models';
import { FruitlessCrashCounter, StoppedError, TaskModelLoader, type ModelChooser } from '../../models';
import { prepareImage } from './prepareImages';
import type { ClassifyItem, ImageResizeMode } from '../shared/protocol';
import type { HeadUse } from '../../lab/shared';
import { SupersededError, WorkerCrashedError, WorkerRestartFailedError, type ClipBridge } from './clipBridge';
import type { StoreApi } from 'zustand';

/** Typing pauses shorter than this are treated as one edit, so each keystroke doesn't re-rank. */
export const RERANK_DEBOUNCE_MS = 120;
/**
 * Files read and hashed at a time. Starting all reads of a thousand dropped files at once took
 * ~0.4 ms of main-thread time each in one task, and would hold every file's bytes in memory
 * together; a few at a time keep the worker fed all the same.
 */
const MAX_CONCURRENT_PREPARES = 8;

/** What an image the worker crashed on again and again (see FruitlessCrashCounter) says on its row. */
export const CRASHING_ITEM_ERROR = 'The model worker stopped each time it was given this image (it was restarted); the image was not ranked.';

/** Told to the user when the worker no longer has the head the items were to be ranked with. */
export const HEAD_LOST_NOTICE =
  'The trained head is gone (the model worker restarted), so the items show zero-shot scores again. Train the head again, or import it from its file.';

/** What the controller uses of the CLIP worker's bridge (tests pass a fake). */
export type ClipClassifyBridge = Pick<ClipBridge, 'load' | 'classify' | 'debugPixels' | 'terminate'>;

export interface CurrentQuery {
  labels: string[];
  /** Per label, every template filled with every one of its alternatives (ensembled into one class vector). */
  classPrompts: string[][];
  /** Every prompt, in label order. */
  prompts: string[];
  /** The trained head the items are ranked with, if it is in use and fits the current model and labels. */
  head: HeadUse | null;
  resizeMode: ImageResizeMode;
  /** Identifies the model run, resize path, prompts and head a prediction was made for. */
  key: string;
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, index) => label === b[index]);
}

export function currentQuery(state: AppState): CurrentQuery {
  const { labels, alternatives } = parseLabels(state.labelsText);
  const classPrompts = buildClassPrompts(parseTemplates(state.template), alternatives);
  const status = state.models.image.status;
  const model = status.state === 'ready' ? `${status.info.modelId}@${status.info.backend}` : '';
  const active = state.heads.image;
  const head =
    active?.inUse && status.state === 'ready' && active.modelId === status.info.modelId && sameLabels(active.labels, labels)
      ? { headId: active.headId, zeroShotWeight: active.zeroShotWeight }
      : null;
  // One prompt per label gives the same key as before ensembles: what was ranked then needs no re-ranking.
  const promptsKey = classPrompts.map((prompts) => prompts.join('\u0001')).join('\u0000');
  const headKey = head ? `\u0000\u0002head:${head.headId}@${head.zeroShotWeight}` : '';
  return {
    labels,
    classPrompts,
    prompts: classPrompts.flat(),
    head,
    resizeMode: state.imageResizeMode,
    // The exact path keeps the key it always had; native pictures are other embeddings, so a switch re-ranks.
    key: `${withImageResizeMode(model, state.imageResizeMode)}\u0000${promptsKey}${headKey}`,
  };
}

function needsRanking(item: ImageItem, key: string): boolean {
  return item.contentHash !== null && item.state !== 'error' && item.rankedPromptsKey !== key;
}

/**
 * Connects the store to the CLIP worker: loads the chosen model, prepares dropped files, and
 * (debounced) asks the worker to rank whatever isn't ranked for the current labels, cancelling
 * a run that the user's edits made stale. Plain module, wired once at start-up.
 */
export class ClassificationController implements ModelChooser {
  private readonly loader: TaskModelLoader;
  private readonly runs = new RunTracker();
  private readonly rerankSoon = new Debouncer(RERANK_DEBOUNCE_MS, () => void this.rerank());
  private readonly preparing = new Set<string>();
  private readonly prepareLimit = createLimiter(MAX_CONCURRENT_PREPARES);
  /**
   * Prepared items reach the store in batches: a thousand files dropped at once would otherwise
   * be a thousand store updates, each copying the items record and waking every subscriber (the
   * grid's selectors, the settings' localStorage write), which blocked the main thread for seconds.
   * An id leaves `preparing` only once its patch is in the store, so it is never prepared twice.
   */
  private readonly prepared = new PatchBatcher<ImageItem>((patches) => {
    this.store.getState().updateItems(patches);
    for (const id of patches.keys()) this.preparing.delete(id);
  });

  constructor(
    private readonly store: StoreApi<AppState>,
    private readonly bridge: ClipClassifyBridge,
    appBaseUrl: string,
    debug: boolean,
    explicitModelChoice: boolean,
  ) {
    this.loader = new TaskModelLoader('image', store, bridge, appBaseUrl, debug, explicitModelChoice, () => this.runs.abort());
  }

  start(): () => void {
    const unsubscribe = this.store.subscribe((state, previous) => {
      if (!this.loader.activateIfShown(state)) return;
      if (this.loader.needsReload(state, previous)) void this.loader.load();
      if (state.itemOrder !== previous.itemOrder) this.prepareNewItems();
      if (
        state.items !== previous.items ||
        state.labelsText !== previous.labelsText ||
        state.template !== previous.template ||
        state.imageResizeMode !== previous.imageResizeMode ||
        state.heads.image !== previous.heads.image ||
        state.models.image.status !== previous.models.image.status ||
        state.embeddingPaused !== previous.embeddingPaused
      )
        this.rerankSoon.schedule();
    });
    this.loader.activateIfShown(this.store.getState());
    return () => {
      unsubscribe();
      this.runs.abort();
      this.bridge.terminate();
    };
  }

  chooseModel(modelId: string): void {
    this.loader.chooseModel(modelId);
  }

  cancelModelLoad(): void {
    this.loader.cancelModelLoad();
  }

  cancelBatch(): void {
    this.store.getState().setEmbeddingPaused(true);
    this.runs.abort();
  }

  resumeBatch(): void {
    this.store.getState().setEmbeddingPaused(false);
  }

  async debugPixels(itemName: string): Promise<{ dims: number[]; data: number[] }> {
    const item = Object.values(this.store.getState().items).find((candidate) => candidate.name === itemName);
    if (!item?.contentHash) throw new Error(`No prepared item named ${itemName}`);
    const pixels = await this.bridge.debugPixels(item.contentHash);
    if (!pixels) throw new Error(`No preprocessed pixels kept for ${itemName} (open the app with ?debug=1)`);
    return { dims: pixels.dims, data: Array.from(pixels.data) };
  }

  private prepareNewItems(): void {
    const { items, itemOrder } = this.store.getState();
    for (const id of itemOrder) {
      const item = items[id];
      if (!item || item.contentHash || item.state === 'error' || this.preparing.has(id)) continue;
      this.preparing.add(id);
      void this.prepareLimit(() => this.prepare(id));
    }
  }

  private async prepare(id: string): Promise<void> {
    const item = this.store.getState().items[id];
    if (!item) {
      // Removed while it waited.
      this.preparing.delete(id);
      return;
    }
    try {
      this.prepared.add(id, await prepareImage(item));
    } catch (error) {
      this.prepared.add(id, { state: 'error', error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async rerank(): Promise<void> {
    const state = this.store.getState();
    if (state.models.image.status.state !== 'ready') return;
    const query = currentQuery(state);
    if (query.labels.length === 0) return;
    this.runs.abort(query.key);
    const running = this.runs.runningItemIds();
    const work = state.itemOrder
      .map((id) => state.items[id])
      .filter((item): item is ImageItem => !!item && needsRanking(item, query.key) && !running.has(item.id))
      // While paused, only images already embedded (ranked before) are re-ranked: that costs no vision run.
      .filter((item) => !state.embeddingPaused || item.state === 'done');
    if (work.length === 0) return;

    const run = this.runs.start(query.key, work.map((item) => item.id));
    const results = new PatchBatcher<ImageItem>((patches) => this.store.getState().updateItems(patches));
    const items: ClassifyItem[] = work.map((item) => ({ itemId: item.id, contentHash: item.contentHash!, image: item.blob }));
    const answered = new Set<string>();
    let remaining = items;
    // Per run: a picture that kills the worker fails after MAX_FRUITLESS_CRASHES, rather than crash it for ever.
    const crashes = new FruitlessCrashCounter();
    let headLost = false;
    const showProgress = (done: number) => {
      if (this.runs.isActive(run)) this.store.getState().setBatch(done < items.length ? { done, total: items.length } : null);
    };
    try {
      for (;;) {
        const offset = items.length - remaining.length;
        try {
          await this.bridge.classify(query, remaining, {
            signal: run.controller.signal,
            onItem: (itemId, _hash, outcome) => {
              answered.add(itemId);
              crashes.answered();
              if (outcome.ok) {
                if (query.head && outcome.classifier === 'zero-shot') headLost = true;
                results.add(itemId, {
                  state: 'done',
                  error: null,
                  predictions: rankLabels(query.labels, Array.from(outcome.scores), Array.from(outcome.similarities)),
                  classifier: outcome.classifier,
                  rankedPromptsKey: query.key,
                  width: outcome.width,
                  height: outcome.height,
                });
              } else results.add(itemId, { state: 'error', error: outcome.error, predictions: [], classifier: null, rankedPromptsKey: query.key });
            },
            // One bar for the whole run, across a restart.
            onBatchProgress: (done) => showProgress(offset + done),
          });
          return;
        } catch (error) {
          if (!(error instanceof WorkerCrashedError) || run.controller.signal.aborted) throw error;
          // The worker crashed mid-run: what it answered is kept, and exactly the rest is asked again.
          // The bridge holds the request until the restarted worker has the model (a cancel meanwhile ends it at once).
          remaining = remaining.filter((item) => !answered.has(item.itemId));
          results.flush();
          const failing = new Set(crashes.crashed(remaining.map((item) => item.itemId)));
          if (failing.size > 0) {
            this.failCrashingItems(remaining.filter((item) => failing.has(item.itemId)), query.key, results);
            remaining = remaining.filter((item) => !failing.has(item.itemId));
            if (remaining.length === 0) return;
          }
          showProgress(items.length - remaining.length);
        }
      }
    } catch (error) {
      // Superseded: a newer load took over. Stopped: the user cancelled the load (the model panel says so).
      // A crash (of a cancelled run) or a failed restart: the bridge's listeners said so.
      if (
        error instanceof SupersededError ||
        error instanceof StoppedError ||
        error instanceof WorkerCrashedError ||
        error instanceof WorkerRestartFailedError
      )
        return;
      this.store.getState().setModelNotice('image', { text: error instanceof Error ? error.message : String(error) });
    } finally {
      results.flush();
      this.runs.finish(run);
      // Also when this run was cancelled (Cancel, or a stale one) and nothing replaced it: no bar left behind.
      if (this.runs.runningItemIds().size === 0) this.store.getState().setBatch(null);
      if (headLost) this.forgetLostHead(query.head!.headId);
    }
  }

  /** The worker crashed again and again on these items without answering any: they fail, rather than crash it for ever. */
  private failCrashingItems(items: readonly ClassifyItem[], key: string, results: PatchBatcher<ImageItem>): void {
    for (const item of items) results.add(item.itemId, { state: 'error', error: CRASHING_ITEM_ERROR, predictions: [], classifier: null, rankedPromptsKey: key });
    results.flush();
  }

  /** The worker ranked zero-shot because it no longer holds the head: stop asking for it, and say so. */
  private forgetLostHead(headId: string): void {
    const state = this.store.getState();
    if (state.heads.image?.headId !== headId) return;
    state.setHead('image', null);
    state.setModelNotice('image', { text: HEAD_LOST_NOTICE });
  }
}
