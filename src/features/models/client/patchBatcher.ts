/** Results arriving faster than this are applied to the store together. */
export const STORE_FLUSH_INTERVAL_MS = 50;

/**
 * Coalesces per-item patches into one store update per interval: a batch of a thousand results
 * then costs a few dozen record copies instead of a thousand (each update copies the items record).
 */
export class PatchBatcher<T> {
  private pending = new Map<string, Partial<T>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private requested = false;

  constructor(
    private readonly apply: (patches: ReadonlyMap<string, Partial<T>>) => void,
    private readonly intervalMs = STORE_FLUSH_INTERVAL_MS,
  ) {}

  add(id: string, patch: Partial<T>): void {
    this.pending.set(id, { ...this.pending.get(id), ...patch });
    this.schedule();
  }

  /**
   * Asks for a flush even without a patch, for state that `apply` reads when it runs (a progress
   * count that moved before any item changed): it lands in the same store update as the patches.
   */
  requestFlush(): void {
    this.requested = true;
    this.schedule();
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0 && !this.requested) return;
    const patches = this.pending;
    this.pending = new Map();
    this.requested = false;
    this.apply(patches);
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }
}
