import { describe, expect, it } from 'vitest';
import { createLimiter } from './concurrency';

/** A task whose completion the test controls, counting how many such tasks run at once. */
function gate() {
  const stats = { inFlight: 0, maxInFlight: 0, started: [] as number[] };
  const releases = new Map<number, (value: number) => void>();
  const failures = new Map<number, (error: Error) => void>();
  const task = (id: number) => () =>
    new Promise<number>((resolve, reject) => {
      stats.inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      stats.started.push(id);
      const done = () => (stats.inFlight -= 1);
      releases.set(id, (value) => (done(), resolve(value)));
      failures.set(id, (error) => (done(), reject(error)));
    });
  return { stats, task, release: (id: number) => releases.get(id)!(id * 10), fail: (id: number) => failures.get(id)!(new Error(`task ${id} failed`)) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('createLimiter', () => {
  it('never runs more than the bound at once, starts tasks in order, and resolves each with its own result', async () => {
    const limit = createLimiter(3);
    const { stats, task, release } = gate();
    const results = Array.from({ length: 10 }, (_, id) => limit(task(id)));
    await settle();
    expect(stats.started).toEqual([0, 1, 2]);
    // Release out of order: a freed slot goes to the next waiting task.
    release(1);
    await settle();
    expect(stats.started).toEqual([0, 1, 2, 3]);
    for (let id = 0; id < 10; id++) {
      if (id !== 1) release(id);
      await settle();
      expect(stats.inFlight).toBeLessThanOrEqual(3);
    }
    expect(await Promise.all(results)).toEqual(Array.from({ length: 10 }, (_, id) => id * 10));
    expect(stats.maxInFlight).toBe(3);
    expect(stats.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gives a failed task’s slot to the next one and rejects only that call', async () => {
    const limit = createLimiter(1);
    const { stats, task, release, fail } = gate();
    const first = limit(task(0));
    const second = limit(task(1));
    const throwing = limit(() => {
      throw new Error('synchronous');
    });
    const last = limit(task(3));
    await settle();
    fail(0);
    await expect(first).rejects.toThrow('task 0 failed');
    await settle();
    release(1);
    await expect(second).resolves.toBe(10);
    await expect(throwing).rejects.toThrow('synchronous');
    await settle();
    release(3);
    await expect(last).resolves.toBe(30);
    expect(stats.maxInFlight).toBe(1);
  });

  it('refuses a bound that would run nothing or everything', () => {
    expect(() => createLimiter(0)).toThrow(RangeError);
    expect(() => createLimiter(1.5)).toThrow(RangeError);
  });
});
