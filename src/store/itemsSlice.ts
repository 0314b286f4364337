import type { StateCreator } from 'zustand';
import type { ReviewDecision } from '../lib/review';
import type { RankedLabel } from '../lib/scoring';
import type { ClassifierKind } from '../lib/classifiers';
import type { AppState } from './index';

export type ItemState = 'pending' | 'done' | 'error';

/** What every workspace item has, image or audio: where it came from and how it was reviewed. */
export interface WorkspaceItemFields {
  id: string;
  name: string;
  /** The file's path inside a dropped or picked folder (`root/class/file.png`), else its name. */
  path: string;
  /** Ground truth from the folder layout or an imported CSV. */
  truth: string | null;
  decision: ReviewDecision;
  /** The label a person settled on (see lib/review.ts). */
  finalLabel: string | null;
}

export interface ImageItem extends WorkspaceItemFields {
  /** The original file; SVGs are rasterised to PNG first because workers can't decode SVG. */
  blob: Blob;
  contentHash: string | null;
  state: ItemState;
  error: string | null;
  predictions: RankedLabel[];
  /** The prompts the predictions were computed for; differs from the current prompts while re-ranking. */
  rankedPromptsKey: string | null;
  /** Which classifier produced the predictions (null before any). */
  classifier: ClassifierKind | null;
  width: number | null;
  height: number | null;
}

export interface BatchProgress {
  done: number;
  total: number;
}

export interface ItemsSlice {
  items: Record<string, ImageItem>;
  itemOrder: string[];
  batch: BatchProgress | null;
  /** Set by Cancel: images not yet embedded wait until Resume or the next drop. */
  embeddingPaused: boolean;
  setEmbeddingPaused: (paused: boolean) => void;
  addItems: (items: ImageItem[]) => void;
  updateItem: (id: string, patch: Partial<ImageItem>) => void;
  /** One store update for many items (results arriving in a burst). */
  updateItems: (patches: ReadonlyMap<string, Partial<ImageItem>>) => void;
  removeItem: (id: string) => void;
  clearItems: () => void;
  setBatch: (batch: BatchProgress | null) => void;
}

export const createItemsSlice: StateCreator<AppState, [], [], ItemsSlice> = (set, get) => ({
  items: {},
  itemOrder: [],
  batch: null,
  embeddingPaused: false,
  setEmbeddingPaused: (embeddingPaused) => set({ embeddingPaused }),
  addItems: (added) =>
    set((state) => ({
      embeddingPaused: false,
      items: { ...state.items, ...Object.fromEntries(added.map((item) => [item.id, item])) },
      itemOrder: [...state.itemOrder, ...added.map((item) => item.id)],
    })),
  updateItem: (id, patch) =>
    set((state) => {
      const item = state.items[id];
      return item ? { items: { ...state.items, [id]: { ...item, ...patch } } } : {};
    }),
  updateItems: (patches) =>
    set((state) => {
      if (patches.size === 0) return {};
      const items = { ...state.items };
      for (const [id, patch] of patches) {
        const item = items[id];
        if (item) items[id] = { ...item, ...patch };
      }
      return { items };
    }),
  removeItem: (id) => {
    set((state) => {
      const { [id]: _removed, ...rest } = state.items;
      return { items: rest, itemOrder: state.itemOrder.filter((other) => other !== id) };
    });
  },
  clearItems: () => {
    set({ items: {}, itemOrder: [], batch: null });
    get().resetReview('image');
  },
  setBatch: (batch) => set({ batch }),
});
