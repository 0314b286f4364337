/** A function that runs the tasks given to it at most a fixed number at a time. */
export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/**
 * Runs tasks at most `maxConcurrent` at a time, in the order they were given; each call settles
 * with its own task's result. Reading or decoding hundreds of dropped files at once would hold all
 * their bytes (or decoded samples) in memory together and flood the main thread with callbacks,
 * while a few at a time keep the next stage just as busy.
 */
export function createLimiter(maxConcurrent: number): Limiter {
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError(`maxConcurrent must be a positive integer, got ${maxConcurrent}`);
  const waiting: Array<() => void> = [];
  let running = 0;

  const startNext = () => {
    while (running < maxConcurrent && waiting.length > 0) {
      running += 1;
      waiting.shift()!();
    }
  };

  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        // A task that throws synchronously counts as a rejected one, so its slot is still given back.
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            running -= 1;
            startNext();
          });
      });
      startNext();
    });
}
