import { StyleTransferAbortError } from './errors.js';

/**
 * One job at a time per process. TF.js has one active backend and one tensor registry per
 * process: two jobs interleaving their iterations would fight over `tf.setBackend` and each
 * would count the other's tensors as its own. Jobs therefore queue here (in start order) and run
 * one after another; a queued job can be cancelled without waiting.
 */
const waiting: Array<{ grant: () => void }> = [];
let busy = false;

/** Jobs holding or waiting for the engine (the running one included). */
export function engineQueueLength(): number {
  return waiting.length + (busy ? 1 : 0);
}

/**
 * Resolves with a release function once no other job holds the engine; rejects with
 * StyleTransferAbortError if `signal` aborts first. `onQueued` is called when the caller has to wait.
 */
export function acquireEngine(signal?: AbortSignal, onQueued?: (ahead: number) => void): Promise<() => void> {
  if (signal?.aborted) return Promise.reject(new StyleTransferAbortError());
  const release = () => {
    const next = waiting.shift();
    if (next) next.grant();
    else busy = false;
  };
  if (!busy) {
    busy = true;
    return Promise.resolve(once(release));
  }
  onQueued?.(engineQueueLength());
  return new Promise((resolve, reject) => {
    const entry = {
      grant: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve(once(release));
      },
    };
    const onAbort = () => {
      const i = waiting.indexOf(entry);
      if (i >= 0) waiting.splice(i, 1);
      reject(new StyleTransferAbortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    waiting.push(entry);
  });
}

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) {
      done = true;
      f();
    }
  };
}
