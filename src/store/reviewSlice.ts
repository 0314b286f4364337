import type { StateCreator } from 'zustand';
import type { Task } from '../lib/tasks';
import { DEFAULT_REVIEW_VIEW, reviewAfter, type Review, type ReviewAction, type ReviewView } from '../lib/review';
import type { AppState } from './index';
import type { WorkspaceItemFields } from './itemsSlice';
import type { RankedLabel } from '../lib/scoring';

/** Decisions older than this many steps can't be undone (each step may be a bulk decision). */
export const MAX_UNDO_STEPS = 200;

/** One undoable step: each item's review before it. */
export type ReviewUndoStep = ReadonlyMap<string, Review>;

export interface TaskReview {
  view: ReviewView;
  /** The item the keyboard acts on. */
  focusedId: string | null;
  selectedIds: ReadonlySet<string>;
  undo: readonly ReviewUndoStep[];
}

const EMPTY_TASK_REVIEW: TaskReview = { view: DEFAULT_REVIEW_VIEW, focusedId: null, selectedIds: new Set(), undo: [] };

type ReviewItem = WorkspaceItemFields & { predictions: readonly RankedLabel[] };

/** The items of a task, as the review code sees them. */
export function reviewItemsOf(state: AppState, task: Task): { items: Readonly<Record<string, ReviewItem>>; order: readonly string[] } {
  return task === 'image' ? { items: state.items, order: state.itemOrder } : { items: state.audioItems, order: state.audioOrder };
}

function patchItems(state: AppState, task: Task, patches: ReadonlyMap<string, Review>): void {
  if (task === 'image') state.updateItems(patches);
  else state.updateAudioItems(patches);
}

export interface ReviewSlice {
  reviews: Record<Task, TaskReview>;
  /** The keyboard shortcuts sheet (`?`). */
  keysHelpOpen: boolean;
  setKeysHelpOpen: (open: boolean) => void;
  /** Applies one decision to the given items, as one undo step; returns how many changed. */
  review: (task: Task, ids: readonly string[], action: ReviewAction) => number;
  undoReview: (task: Task) => void;
  /** Ground truth per item id (null removes it); not an undo step: it comes from files, not decisions. */
  setTruths: (task: Task, truths: ReadonlyMap<string, string | null>) => void;
  setReviewView: (task: Task, patch: Partial<ReviewView>) => void;
  focusItem: (task: Task, id: string | null) => void;
  setSelection: (task: Task, ids: Iterable<string>) => void;
  /** Forgets focus, selection and undo history (the items they referred to are gone). */
  resetReview: (task: Task) => void;
}

export const createReviewSlice: StateCreator<AppState, [], [], ReviewSlice> = (set, get) => {
  const updateTask = (task: Task, patch: Partial<TaskReview>) =>
    set((state) => ({ reviews: { ...state.reviews, [task]: { ...state.reviews[task], ...patch } } }));
  return {
    reviews: { image: EMPTY_TASK_REVIEW, audio: EMPTY_TASK_REVIEW },
    keysHelpOpen: false,
    setKeysHelpOpen: (keysHelpOpen) => set({ keysHelpOpen }),
    review: (task, ids, action) => {
      const state = get();
      const { items } = reviewItemsOf(state, task);
      const before = new Map<string, Review>();
      const after = new Map<string, Review>();
      for (const id of ids) {
        const item = items[id];
        if (!item) continue;
        const current: Review = { decision: item.decision, finalLabel: item.finalLabel };
        const next = reviewAfter(action, item.predictions, current);
        if (next.decision === current.decision && next.finalLabel === current.finalLabel) continue;
        before.set(id, current);
        after.set(id, next);
      }
      if (after.size === 0) return 0;
      patchItems(state, task, after);
      updateTask(task, { undo: [...state.reviews[task].undo, before].slice(-MAX_UNDO_STEPS) });
      return after.size;
    },
    undoReview: (task) => {
      const state = get();
      const steps = state.reviews[task].undo;
      const last = steps[steps.length - 1];
      if (!last) return;
      patchItems(state, task, last);
      updateTask(task, { undo: steps.slice(0, -1) });
    },
    setTruths: (task, truths) => {
      const state = get();
      const patches = new Map([...truths].map(([id, truth]) => [id, { truth }]));
      if (task === 'image') state.updateItems(patches);
      else state.updateAudioItems(patches);
    },
    setReviewView: (task, patch) => updateTask(task, { view: { ...get().reviews[task].view, ...patch } }),
    focusItem: (task, focusedId) => updateTask(task, { focusedId }),
    setSelection: (task, ids) => updateTask(task, { selectedIds: new Set(ids) }),
    resetReview: (task) => updateTask(task, EMPTY_TASK_REVIEW),
  };
};
