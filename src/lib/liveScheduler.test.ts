import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LatestWinsScheduler } from './liveScheduler';

/** A run that settles when the test says so, one deferred per started item. */
function manualRuns<T>() {
  const started: T[] = [];
  const settlers: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  const run = (item: T) =>
    new Promise<void>((resolve, reject) => {
      started.push(item);
      settlers.push({ resolve, reject });
    });
  return { started, settlers, run };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LatestWinsScheduler', () => {
  it('runs the first item at once, keeps one waiting, and the latest offer replaces the waiting one', async () => {
    const runs = manualRuns<number>();
    const discarded: number[] = [];
    const scheduler = new LatestWinsScheduler<number>({ run: runs.run, discard: (item) => discarded.push(item) });
    scheduler.offer(1);
    scheduler.offer(2);
    scheduler.offer(3);
    scheduler.offer(4);
    expect(runs.started).toEqual([1]);
    expect(discarded).toEqual([2, 3]);
    expect(scheduler.snapshot()).toMatchObject({ offered: 4, started: 1, dropped: 2, inFlight: true, waiting: true });
    runs.settlers[0]!.resolve();
    await flush();
    expect(runs.started).toEqual([1, 4]);
    runs.settlers[1]!.resolve();
    await scheduler.idle();
    expect(scheduler.snapshot()).toMatchObject({ offered: 4, started: 2, completed: 2, dropped: 2, inFlight: false, waiting: false });
  });

  it('a failed run is reported and the waiting item still runs', async () => {
    const runs = manualRuns<string>();
    const errors: string[] = [];
    const scheduler = new LatestWinsScheduler<string>({ run: runs.run, onError: (error, item) => errors.push(`${item}: ${(error as Error).message}`) });
    scheduler.offer('a');
    scheduler.offer('b');
    runs.settlers[0]!.reject(new Error('boom'));
    await flush();
    expect(errors).toEqual(['a: boom']);
    expect(runs.started).toEqual(['a', 'b']);
    runs.settlers[1]!.resolve();
    await scheduler.idle();
    expect(scheduler.snapshot()).toMatchObject({ completed: 1, failed: 1 });
  });

  it('a run that throws synchronously counts as failed and does not wedge the scheduler', async () => {
    let calls = 0;
    const scheduler = new LatestWinsScheduler<number>({
      run: (item) => {
        calls++;
        if (item === 1) throw new Error('sync');
        return Promise.resolve();
      },
      onError: () => {},
    });
    scheduler.offer(1);
    await scheduler.idle();
    scheduler.offer(2);
    await scheduler.idle();
    expect(calls).toBe(2);
    expect(scheduler.snapshot()).toMatchObject({ failed: 1, completed: 1 });
  });

  it('an onError that throws does not wedge the scheduler: the waiting item and the next offer still run', async () => {
    const runs = manualRuns<number>();
    const scheduler = new LatestWinsScheduler<number>({
      run: runs.run,
      onError: () => {
        throw new Error('a listener failed');
      },
    });
    scheduler.offer(1);
    scheduler.offer(2);
    runs.settlers[0]!.reject(new Error('boom'));
    await flush();
    expect(runs.started).toEqual([1, 2]);
    runs.settlers[1]!.resolve();
    await scheduler.idle();
    scheduler.offer(3);
    expect(runs.started).toEqual([1, 2, 3]);
    runs.settlers[2]!.resolve();
    await scheduler.idle();
    expect(scheduler.snapshot()).toMatchObject({ started: 3, failed: 1, completed: 2, inFlight: false, waiting: false });
  });

  it('clear() discards the waiting item and lets the one in flight finish', async () => {
    const runs = manualRuns<number>();
    const discarded: number[] = [];
    const scheduler = new LatestWinsScheduler<number>({ run: runs.run, discard: (item) => discarded.push(item) });
    scheduler.offer(1);
    scheduler.offer(2);
    scheduler.clear();
    runs.settlers[0]!.resolve();
    await scheduler.idle();
    expect(runs.started).toEqual([1]);
    expect(discarded).toEqual([2]);
  });

  it('property: never more than one in flight; every offered item is run or dropped exactly once, and the last one always runs', async () => {
    // Each step offers an item or settles the run in flight; at the end everything settles.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), async (steps) => {
        let concurrent = 0;
        let maxConcurrent = 0;
        const settlers: Array<() => void> = [];
        const ran: number[] = [];
        const dropped: number[] = [];
        const scheduler = new LatestWinsScheduler<number>({
          run: (item) =>
            new Promise<void>((resolve) => {
              concurrent++;
              maxConcurrent = Math.max(maxConcurrent, concurrent);
              ran.push(item);
              settlers.push(() => {
                concurrent--;
                resolve();
              });
            }),
          discard: (item) => dropped.push(item),
        });
        let next = 0;
        for (const offer of steps) {
          if (offer) scheduler.offer(next++);
          else settlers.shift()?.();
          await flush();
        }
        while (settlers.length > 0 || scheduler.snapshot().inFlight) {
          settlers.shift()?.();
          await flush();
        }
        expect(maxConcurrent).toBeLessThanOrEqual(1);
        expect([...ran, ...dropped].sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, i) => i));
        if (next > 0) expect(ran).toContain(next - 1);
        // Run in the order offered: latest wins never runs an older item after a newer one.
        expect(ran).toEqual([...ran].sort((a, b) => a - b));
      }),
      { numRuns: 50 },
    );
  });
});
