/** One request to a worker for a set of items, computed for one query key (model + prompts). */
export interface TrackedRun {
  readonly controller: AbortController;
  readonly key: string;
  readonly itemIds: ReadonlySet<string>;
}

/**
 * The runs a task controller has in flight. A run for stale labels is cancelled; one for the
 * current labels is left to finish, and its items are not asked for twice.
 */
export class RunTracker {
  private readonly runs = new Set<TrackedRun>();

  start(key: string, itemIds: Iterable<string>): TrackedRun {
    const run = { controller: new AbortController(), key, itemIds: new Set(itemIds) };
    this.runs.add(run);
    return run;
  }

  /** Cancels every run except those computing `keepKey`. */
  abort(keepKey?: string): void {
    for (const run of this.runs) {
      if (run.key === keepKey) continue;
      run.controller.abort();
      this.runs.delete(run);
    }
  }

  runningItemIds(): Set<string> {
    return new Set([...this.runs].flatMap((run) => [...run.itemIds]));
  }

  isActive(run: TrackedRun): boolean {
    return this.runs.has(run);
  }

  /** Forgets a finished run; true when it was the last one (the progress bar can go). */
  finish(run: TrackedRun): boolean {
    return this.runs.delete(run) && this.runs.size === 0;
  }
}

/** Calls `action` once typing (or any burst of calls) has paused for `delayMs`. */
export class Debouncer {
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly delayMs: number,
    private readonly action: () => void,
  ) {}

  schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.action();
    }, this.delayMs);
  }
}
