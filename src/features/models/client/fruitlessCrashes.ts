/**
 * Worker crashes in a row with no result at all since the crash before (or since the items were
 * first sent), after which the items in flight are failed: an input that kills the worker (out of
 * memory, a runtime abort) must not make it crash and restart for ever.
 */
export const MAX_FRUITLESS_CRASHES = 2;

/**
 * Counts a task's fruitless worker crashes (see MAX_FRUITLESS_CRASHES) and names the items to give
 * up on: those unanswered at every crash since the last result (they were in flight each time),
 * or, if none was in flight at all of them, those unanswered at the last crash. A crash that came
 * after a result is not fruitless, but its unanswered items are the first suspects.
 */
export class FruitlessCrashCounter {
  private crashes = 0;
  private suspects: Set<string> | null = null;
  /** Whether an item got a result since the last crash. */
  private progressed = false;

  constructor(private readonly limit: number = MAX_FRUITLESS_CRASHES) {}

  /** Whether a crash is on record since the counter started: a caller may send fewer items at once to find the culprit. */
  get suspecting(): boolean {
    return this.suspects !== null;
  }

  /** An item got a result (scores or its own error): the worker is getting somewhere. */
  answered(): void {
    this.progressed = true;
  }

  /** A new model, or the items given up on: nothing is suspected any more. */
  reset(): void {
    this.crashes = 0;
    this.suspects = null;
    this.progressed = false;
  }

  /**
   * The worker crashed with `unanswered` items in flight. Returns the items to fail now (and
   * starts counting again), or an empty list when they should be sent once more.
   */
  crashed(unanswered: Iterable<string>): string[] {
    const inFlight = new Set(unanswered);
    if (this.progressed || this.suspects === null) {
      this.crashes = 0;
      this.suspects = inFlight;
    } else this.suspects = new Set([...this.suspects].filter((id) => inFlight.has(id)));
    if (!this.progressed) this.crashes += 1;
    this.progressed = false;
    if (this.crashes < this.limit) return [];
    const failing = this.suspects.size > 0 ? [...this.suspects] : [...inFlight];
    this.reset();
    return failing;
  }
}
