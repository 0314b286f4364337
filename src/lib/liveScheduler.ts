/**
 * Backpressure for live mode (camera frames, microphone windows): at most one item in flight and
 * one waiting. An item offered while another waits replaces it (latest wins) and the older one is
 * counted as dropped and handed to `discard` (an ImageBitmap must be closed), so the delay between
 * capture and result stays bounded by one model run plus one wait, however slow the model is.
 * Pure: no timers, no DOM; the caller decides when to offer.
 */
export interface LiveSchedulerCounts {
  /** Items offered since the start (or the last reset). */
  offered: number;
  /** Items handed to `run`. */
  started: number;
  /** Runs that resolved. */
  completed: number;
  /** Runs that rejected (reported to onError). */
  failed: number;
  /** Items replaced while waiting, or discarded by clear(): never run. */
  dropped: number;
  inFlight: boolean;
  waiting: boolean;
}

export interface LiveSchedulerOptions<T> {
  /** Runs one item; the next waiting item starts when it settles. */
  run: (item: T) => Promise<void>;
  /** Releases an item that will never run (replaced or cleared). */
  discard?: (item: T) => void;
  onError?: (error: unknown, item: T) => void;
}

export class LatestWinsScheduler<T> {
  private waitingItem: { item: T } | null = null;
  private current: Promise<void> | null = null;
  private counts = { offered: 0, started: 0, completed: 0, failed: 0, dropped: 0 };

  constructor(private readonly options: LiveSchedulerOptions<T>) {}

  /** Runs `item` now if nothing is in flight, else makes it the one waiting item (dropping the previous one). */
  offer(item: T): void {
    this.counts.offered++;
    if (!this.current) {
      this.start(item);
      return;
    }
    if (this.waitingItem) this.drop(this.waitingItem.item);
    this.waitingItem = { item };
  }

  /** Drops the waiting item (pause, stop, a label change that makes it stale); the one in flight finishes. */
  clear(): void {
    if (this.waitingItem) this.drop(this.waitingItem.item);
    this.waitingItem = null;
  }

  /** Resolves once nothing is in flight and nothing waits. */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  snapshot(): LiveSchedulerCounts {
    return { ...this.counts, inFlight: this.current !== null, waiting: this.waitingItem !== null };
  }

  /** Counts from zero again (a new live session); an item in flight keeps running. */
  resetCounts(): void {
    this.counts = { offered: 0, started: 0, completed: 0, failed: 0, dropped: 0 };
  }

  private drop(item: T): void {
    this.counts.dropped++;
    this.options.discard?.(item);
  }

  private start(item: T): void {
    this.counts.started++;
    let run: Promise<void>;
    try {
      run = this.options.run(item);
    } catch (error) {
      run = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const settled = run.then(
      () => {
        this.counts.completed++;
      },
      (error: unknown) => {
        this.counts.failed++;
        this.options.onError?.(error, item);
      },
    );
    // `finally`, not `then`: an onError that throws (a listener failing) must not leave `current`
    // set forever, which would wedge live mode with every later offer waiting behind it.
    this.current = settled
      .catch(() => {
        // The throw was onError's own; the run is already counted as failed.
      })
      .finally(() => {
        this.current = null;
        const next = this.waitingItem;
        this.waitingItem = null;
        if (next) this.start(next.item);
      });
  }
}
