import { useMemo } from 'react';
import type { MouseEvent } from 'react';
import { parseLabels } from '../../../lib/labels';
import { visibleIds } from '../../../lib/review';
import { useAppStore, type AppState } from '../../../store';
import { reviewItemsOf } from '../../../store/reviewSlice';
import { labelsTextOf } from '../../../store/settingsSlice';
import type { Task } from '../../../lib/tasks';

/** The task's current candidate labels (what 1–9 pick and the metrics evaluate against). */
export function useTaskLabels(task: Task): string[] {
  const labelsText = useAppStore((s) => labelsTextOf(s, task));
  return useMemo(() => parseLabels(labelsText).labels, [labelsText]);
}

export function taskLabels(state: AppState, task: Task): string[] {
  return parseLabels(labelsTextOf(state, task)).labels;
}

/** The ids the review view shows, in order (sorted and filtered). */
export function useVisibleIds(task: Task): string[] {
  const items = useAppStore((s) => reviewItemsOf(s, task).items);
  const order = useAppStore((s) => reviewItemsOf(s, task).order);
  const view = useAppStore((s) => s.reviews[task].view);
  const labels = useTaskLabels(task);
  return useMemo(() => visibleIds(order, items, view, labels), [order, items, view, labels]);
}

export function currentVisibleIds(state: AppState, task: Task): string[] {
  const { items, order } = reviewItemsOf(state, task);
  return visibleIds(order, items, state.reviews[task].view, taskLabels(state, task));
}

/**
 * Click on an item: focus it; Ctrl/⌘-click toggles it in the selection; Shift-click selects the
 * range from the focused item in the order shown.
 */
export function selectOnClick(task: Task, id: string, event: Pick<MouseEvent, 'ctrlKey' | 'metaKey' | 'shiftKey'>): void {
  const state = useAppStore.getState();
  const review = state.reviews[task];
  if (event.shiftKey && review.focusedId) {
    const shown = currentVisibleIds(state, task);
    const from = shown.indexOf(review.focusedId);
    const to = shown.indexOf(id);
    if (from >= 0 && to >= 0) {
      const [start, end] = from < to ? [from, to] : [to, from];
      state.setSelection(task, [...review.selectedIds, ...shown.slice(start, end + 1)]);
    }
  } else if (event.ctrlKey || event.metaKey) {
    const selected = new Set(review.selectedIds);
    if (selected.has(id)) selected.delete(id);
    else selected.add(id);
    state.setSelection(task, selected);
  }
  state.focusItem(task, id);
}
