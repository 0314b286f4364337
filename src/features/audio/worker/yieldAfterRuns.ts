/** The part of an ONNX Runtime session (as transformers.js keeps it in `model.sessions`) this wraps. */
export interface RunnableSession {
  run: (...args: never[]) => Promise<unknown>;
}

/**
 * Lets waiting messages in (a macrotask) after each run of `session` while `body` runs, then puts
 * the session's own run back. Why: the worker marks a request cancelled from its message handler,
 * which only runs between tasks, and on WASM onnxruntime-web's run and transformers.js's generate
 * loop resolve through microtasks only (no postMessage, no timer: the worker doesn't proxy ORT and
 * pthreads are waited on synchronously), so a whole transcript would decode before a cancel is
 * seen. A MessageChannel message, unlike a nested setTimeout, isn't clamped to 4 ms.
 */
export async function yieldingAfterRuns<T>(session: RunnableSession, body: () => Promise<T>): Promise<T> {
  const ownRun = session.run;
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => waiting.shift()?.();
  const yieldToMessages = () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      channel.port2.postMessage(null);
    });
  session.run = async (...args: never[]) => {
    const result = await ownRun.apply(session, args);
    // After the run, so a cancel that came in during it is seen by the stop check that follows.
    await yieldToMessages();
    return result;
  };
  try {
    return await body();
  } finally {
    session.run = ownRun;
    channel.port1.close();
  }
}
