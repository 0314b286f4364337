import { useEffect, useEffectEvent } from 'react';
import type { GridDirection } from '../../../lib/gridLanes';
import type { ReviewAction } from '../../../lib/review';
import type { Task } from '../../../lib/tasks';
import { useAppStore } from '../../../store';
import { currentVisibleIds, taskLabels } from './useTaskReview';

const ARROWS = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' } as const;

/** Keys typed into a field belong to the field. */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export const REVIEW_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['← → ↑ ↓', 'Move between items'],
  ['1 – 9', 'Give the item that label'],
  ['Enter', 'Accept the pre-label (top prediction)'],
  ['0', 'None of these'],
  ['Backspace', 'Clear the decision'],
  ['Space', 'Select or unselect the item'],
  ['Ctrl/⌘ + A', 'Select every item shown'],
  ['Esc', 'Clear the selection'],
  ['Ctrl/⌘ + Z', 'Undo the last decision'],
  ['?', 'Show or hide these keys'],
];

function actionForKey(event: KeyboardEvent, labels: readonly string[]): ReviewAction | null {
  if (event.key === 'Enter') return { kind: 'accept' };
  if (event.key === 'Backspace' || event.key === 'Delete') return { kind: 'clear' };
  if (event.key === '0') return { kind: 'reject' };
  if (/^[1-9]$/.test(event.key)) {
    const label = labels[Number(event.key) - 1];
    return label === undefined ? null : { kind: 'pick', label };
  }
  return null;
}

/** Where an arrow key moves the focus from `index`, given how the items are laid out. */
export type MoveFocus = (index: number, direction: GridDirection, itemCount: number) => number;

/**
 * Review by keyboard while the task's items are shown. Registered once; it reads the store and the
 * latest layout (through `moveRef`) when a key arrives, so nothing re-subscribes. A decision
 * applies to the selection when there is one, else to the focused item, which then moves on.
 */
export function useReviewKeyboard(task: Task, moveRef: { readonly current: MoveFocus }): void {
  // An Effect Event sees the latest task without re-registering the listener when it changes.
  const onKeyDown = useEffectEvent((event: KeyboardEvent) => {
    if (isTyping(event.target) || event.altKey) return;
    const state = useAppStore.getState();
    if (state.task !== task) return;
    const review = state.reviews[task];
    const modifier = event.ctrlKey || event.metaKey;

    if (event.key === '?') {
      state.setKeysHelpOpen(!state.keysHelpOpen);
      event.preventDefault();
      return;
    }
    if (event.key === 'Escape') {
      if (state.keysHelpOpen) state.setKeysHelpOpen(false);
      else state.setSelection(task, []);
      return;
    }
    if (modifier && event.key.toLowerCase() === 'z') {
      state.undoReview(task);
      event.preventDefault();
      return;
    }
    const shown = currentVisibleIds(state, task);
    if (modifier && event.key.toLowerCase() === 'a') {
      state.setSelection(task, shown);
      event.preventDefault();
      return;
    }
    if (modifier) return;
    const focusedIndex = review.focusedId === null ? -1 : shown.indexOf(review.focusedId);

    const arrow = ARROWS[event.key as keyof typeof ARROWS];
    if (arrow) {
      const next = focusedIndex < 0 ? 0 : moveRef.current(focusedIndex, arrow, shown.length);
      const id = shown[next];
      if (id !== undefined) state.focusItem(task, id);
      event.preventDefault();
      return;
    }
    if (event.key === ' ' && review.focusedId !== null) {
      const selected = new Set(review.selectedIds);
      if (selected.has(review.focusedId)) selected.delete(review.focusedId);
      else selected.add(review.focusedId);
      state.setSelection(task, selected);
      event.preventDefault();
      return;
    }

    const action = actionForKey(event, taskLabels(state, task));
    if (!action) return;
    event.preventDefault();
    if (review.selectedIds.size > 0) {
      state.review(task, [...review.selectedIds], action);
      return;
    }
    if (review.focusedId === null) return;
    // The next item is chosen before deciding: a filter (e.g. "unreviewed") may hide this one.
    const nextId = action.kind === 'clear' ? review.focusedId : (shown[focusedIndex + 1] ?? review.focusedId);
    state.review(task, [review.focusedId], action);
    state.focusItem(task, nextId);
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKeyDown(event);
    window.addEventListener('keydown', listener);
    return () => window.removeEventListener('keydown', listener);
  }, []);
}
