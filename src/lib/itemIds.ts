import type { Task } from './tasks';

/** Ids are random so items restored from a saved workspace never collide with new ones. */
export function newItemId(prefix: Task): string {
  return `${prefix}-${crypto.randomUUID()}`;
}
