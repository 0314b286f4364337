/**
 * Per-run times of `run`, one figure per repetition: after `warmupRuns` untimed calls, each
 * repetition calls it at least twice and for at least `minSeconds`, and gives the mean time per call.
 * The same loop in the browser worker and in Node, so both sides of a ratio are timed alike.
 */
export async function timeRepeatedRuns(run: () => Promise<unknown>, minSeconds: number, reps: number, warmupRuns: number): Promise<number[]> {
  for (let i = 0; i < warmupRuns; i++) await run();
  const msPerRun: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    let runs = 0;
    const started = performance.now();
    while (runs < 2 || performance.now() - started < minSeconds * 1000) {
      await run();
      runs++;
    }
    msPerRun.push((performance.now() - started) / runs);
  }
  return msPerRun;
}
