/**
 * The workspace's items as the exports and the project file see them, for either task: the one
 * place where store items become ExportItems.
 */
import type { ExportItem } from '../../../lib/exportRows';
import type { AppState } from '../../../store';
import type { AudioItem } from '../../../store/audioItemsSlice';
import type { ImageItem } from '../../../store/itemsSlice';
import type { Task } from '../../../lib/tasks';

export type WorkspaceItem = ImageItem | AudioItem;

/** The current items of a task, in the order they were added. */
export function workspaceItemsOf(state: AppState, task: Task): WorkspaceItem[] {
  if (task === 'image') return state.itemOrder.flatMap((id) => state.items[id] ?? []);
  return state.audioOrder.flatMap((id) => state.audioItems[id] ?? []);
}

/** An item's export view: identified by its path (what the user dropped), with its review and truth. */
export function toExportItem(item: WorkspaceItem): ExportItem {
  return {
    file: item.path,
    predictions: item.predictions,
    decision: item.decision,
    finalLabel: item.finalLabel,
    ...(item.truth !== null ? { truth: item.truth } : {}),
  };
}
