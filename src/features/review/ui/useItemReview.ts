import type { ItemState } from '../../../store/itemsSlice';
import type { AudioItemState } from '../../../store/audioItemsSlice';
import type { WorkspaceItemFields } from '../../../store/itemsSlice';
import { useAppStore } from '../../../store';
import type { Task } from '../../../lib/tasks';

/** Whether an item has the keyboard focus and whether it is selected. */
export function useItemReview(task: Task, id: string): { focused: boolean; selected: boolean } {
  const focused = useAppStore((s) => s.reviews[task].focusedId === id);
  const selected = useAppStore((s) => s.reviews[task].selectedIds.has(id));
  return { focused, selected };
}

/** The data-* contract every reviewable item carries, image card or audio row. */
export function reviewItemAttributes(
  item: WorkspaceItemFields & { state: ItemState | AudioItemState },
  { focused, selected }: { focused: boolean; selected: boolean },
) {
  return {
    'data-testid': 'item',
    'data-name': item.name,
    'data-path': item.path,
    'data-state': item.state,
    'data-decision': item.decision,
    'data-final-label': item.finalLabel ?? undefined,
    'data-truth': item.truth ?? undefined,
    'data-focused': focused,
    'data-selected': selected,
  } as const;
}
