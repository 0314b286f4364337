import type { ItemState } from '../../../store/itemsSlice';
import type { AudioItemState } from '../../../store/audioItemsSlice';
import type { WorkspaceItemFields } from '../../../store/itemsSlice';
import { useAppStore } from '../../../store';
import type { Task } from '../../models/shared/catalog';
import { selectOnClick } from './useTaskReview';

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

/** The item's selection box (a click on it toggles, like Ctrl/⌘-click on the item). */
export function SelectCheckbox({ task, id, name, selected, className }: { task: Task; id: string; name: string; selected: boolean; className?: string }) {
  return (
    <input
      type="checkbox"
      data-testid="item-select"
      className={className}
      aria-label={`Select ${name}`}
      checked={selected}
      onClick={(event) => event.stopPropagation()}
      onChange={() => selectOnClick(task, id, { ctrlKey: true, metaKey: false, shiftKey: false })}
    />
  );
}
