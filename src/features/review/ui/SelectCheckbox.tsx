import type { Task } from '../../../lib/tasks';
import { selectOnClick } from './useTaskReview';

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
