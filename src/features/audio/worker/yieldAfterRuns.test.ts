/**
 * The cancel of a transcription arrives as a message-queue task (the worker's message handler).
 * A decoder whose run resolves through microtasks only, as onnxruntime-web's WASM run does in the
 * worker, never lets that task in during a generate loop; yieldingAfterRuns does, before each run.
 */
import { describe, expect, it } from 'vitest';
import { yieldingAfterRuns, type RunnableSession } from './yieldAfterRuns';

/** Far more steps than a macrotask round trip allows before a 0 ms timer is due. */
const MAX_STEPS = 10_000;

/** A generate-like loop: one awaited run per token, stopping once `cancelled()` says so. */
async function generateLike(session: RunnableSession & { steps: number }, cancelled: () => boolean): Promise<number> {
  for (let step = 0; step < MAX_STEPS && !cancelled(); step++) await session.run();
  return session.steps;
}

function microtaskSession(): RunnableSession & { steps: number } {
  const session = {
    steps: 0,
    run: () => {
      session.steps++;
      return Promise.resolve(session.steps);
    },
  };
  return session;
}

describe('yieldingAfterRuns', () => {
  it('without it, a cancel scheduled as a task is seen only after the whole loop', async () => {
    const session = microtaskSession();
    let cancelled = false;
    setTimeout(() => (cancelled = true), 0);
    expect(await generateLike(session, () => cancelled)).toBe(MAX_STEPS);
  });

  it('with it, the cancel task runs between runs and the loop stops early; the session gets its own run back', async () => {
    const session = microtaskSession();
    const ownRun = session.run;
    let cancelled = false;
    setTimeout(() => (cancelled = true), 0);
    const steps = await yieldingAfterRuns(session, () => generateLike(session, () => cancelled));
    expect(cancelled).toBe(true);
    expect(steps).toBeLessThan(MAX_STEPS);
    expect(session.run).toBe(ownRun);
  });

  it('puts the run back when the body throws', async () => {
    const session = microtaskSession();
    const ownRun = session.run;
    await expect(yieldingAfterRuns(session, () => Promise.reject(new Error('decoder failed')))).rejects.toThrow('decoder failed');
    expect(session.run).toBe(ownRun);
  });
});
