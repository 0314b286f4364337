/** Results arriving faster than this are applied to the store together. */
export const STORE_FLUSH_INTERVAL_MS = 50;

/**
 * Coalesces per-item patches into one store update per interval: a batch of a thousand results
 * then costs a few dozen record copies instead of a thousand (each update copies the items record).
 */
export class PatchBatcher<T> {
  private pending = new Map<string, Partial<T>>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly apply: (patches: ReadonlyMap<string, Partial<T>>) => void,
    private readonly intervalMs = STORE_FLUSH_INTERVAL_MS,
  ) {}

  add(id: string, patch: Partial<T>): void {
    this.pending.set(id, { ...this.pending.get(id), ...patch });
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const patches = this.pending;
    this.pending = new Map();
    this.apply(patches);
  }
}
