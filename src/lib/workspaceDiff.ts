/**
 * What a workspace save has to write: the items added, changed or removed since the last save,
 * and whether the workspace record itself (order, settings) changed. Items are compared by
 * reference: the store replaces an item object whenever it changes and keeps it otherwise, so an
 * unchanged reference means nothing to write.
 */

export interface WorkspaceSnapshot<Image, Audio, Settings extends object> {
  images: Readonly<Record<string, Image>>;
  imageOrder: readonly string[];
  audio: Readonly<Record<string, Audio>>;
  audioOrder: readonly string[];
  settings: Settings;
}

export interface ItemsDiff {
  /** New since the last save: their media is written now, once. */
  added: string[];
  /** Saved before and changed since: only their metadata is written again. */
  changed: string[];
  removed: string[];
}

export interface WorkspaceWritePlan {
  images: ItemsDiff;
  audio: ItemsDiff;
  /** Item order or settings changed: the workspace record is written again. */
  workspaceChanged: boolean;
}

export function diffItems<T>(previous: Readonly<Record<string, T>>, current: Readonly<Record<string, T>>): ItemsDiff {
  const added: string[] = [];
  const changed: string[] = [];
  const removed: string[] = [];
  for (const [id, item] of Object.entries(current)) {
    const before = previous[id];
    if (before === undefined) added.push(id);
    else if (before !== item) changed.push(id);
  }
  for (const id of Object.keys(previous)) if (!(id in current)) removed.push(id);
  return { added, changed, removed };
}

export function sameOrder(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((id, index) => id === b[index]));
}

/** Shallow: settings are flat records of strings. */
export function sameSettings<Settings extends object>(a: Settings, b: Settings): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a as Record<string, unknown>)[key] !== (b as Record<string, unknown>)[key]) return false;
  return true;
}

export function planWorkspaceWrite<Image, Audio, Settings extends object>(
  saved: WorkspaceSnapshot<Image, Audio, Settings>,
  current: WorkspaceSnapshot<Image, Audio, Settings>,
): WorkspaceWritePlan {
  return {
    images: diffItems(saved.images, current.images),
    audio: diffItems(saved.audio, current.audio),
    workspaceChanged:
      !sameOrder(saved.imageOrder, current.imageOrder) ||
      !sameOrder(saved.audioOrder, current.audioOrder) ||
      !sameSettings(saved.settings, current.settings),
  };
}

export function isEmptyPlan(plan: WorkspaceWritePlan): boolean {
  const empty = (diff: ItemsDiff) => diff.added.length === 0 && diff.changed.length === 0 && diff.removed.length === 0;
  return empty(plan.images) && empty(plan.audio) && !plan.workspaceChanged;
}

/**
 * At most `maxItems` of the plan's added and changed items (images first, and changed before
 * added), with every removal: one save then stays a short main-thread task (each put clones its
 * record synchronously) and the rest follows in the next save. Changed items go first because
 * their writes are small (metadata only, no media): with little space left, results and decisions
 * for items already stored still fit. `complete` says whether anything was held back.
 */
export function limitPlan(plan: WorkspaceWritePlan, maxItems: number): { plan: WorkspaceWritePlan; complete: boolean } {
  let budget = maxItems;
  const take = (ids: string[]) => {
    const taken = ids.slice(0, Math.max(0, budget));
    budget -= taken.length;
    return taken;
  };
  const limit = (diff: ItemsDiff): ItemsDiff => {
    const changed = take(diff.changed);
    return { added: take(diff.added), changed, removed: diff.removed };
  };
  const images = limit(plan.images);
  const audio = limit(plan.audio);
  const count = (diff: ItemsDiff) => diff.added.length + diff.changed.length;
  const complete = count(images) + count(audio) === count(plan.images) + count(plan.audio);
  return { plan: { images, audio, workspaceChanged: plan.workspaceChanged }, complete };
}

/** What storage holds after `plan` (possibly limited) was written from `current` over `saved`. */
export function snapshotAfter<Image, Audio, Settings extends object>(
  saved: WorkspaceSnapshot<Image, Audio, Settings>,
  current: WorkspaceSnapshot<Image, Audio, Settings>,
  plan: WorkspaceWritePlan,
): WorkspaceSnapshot<Image, Audio, Settings> {
  const apply = <T>(before: Readonly<Record<string, T>>, now: Readonly<Record<string, T>>, diff: ItemsDiff) => {
    const after: Record<string, T> = { ...before };
    for (const id of diff.removed) delete after[id];
    for (const id of [...diff.added, ...diff.changed]) after[id] = now[id] as T;
    return after;
  };
  return {
    images: apply(saved.images, current.images, plan.images),
    imageOrder: current.imageOrder,
    audio: apply(saved.audio, current.audio, plan.audio),
    audioOrder: current.audioOrder,
    settings: current.settings,
  };
}
