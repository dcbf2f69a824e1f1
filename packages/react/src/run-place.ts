// Where a job of the hook runs: the package's Web Worker by default in browsers, else this thread (with the reason).
import type { WeightsInput, WeightsSpec } from '@strotss/core';
import type { StyleTransferWorker } from './default-worker.js';
import type { RunPlace } from './job-store.js';

/** The hook's `worker` option: true (default where Worker exists), false (this thread), or a factory. */
export type WorkerOption = boolean | (() => StyleTransferWorker);

/** Returns where a job with these options runs and, for the main thread, why. */
export function chooseRunPlace(worker: WorkerOption | undefined, weights: WeightsInput | WeightsSpec): RunPlace {
  if (worker === false) return { runsIn: 'main-thread', reason: 'worker: false was given' };
  if (typeof weights === 'function') {
    return { runsIn: 'main-thread', reason: 'weights is a loader function, which cannot be sent to a worker; give { url } or { download } instead' };
  }
  if (typeof worker === 'function') return { runsIn: 'worker' };
  if (typeof (globalThis as { Worker?: unknown }).Worker !== 'function') return { runsIn: 'main-thread', reason: 'this environment has no Web Worker' };
  return { runsIn: 'worker' };
}

/** True in a real browser page (not SSR, not a DOM emulation inside Node). */
export function inBrowserPage(): boolean {
  const g = globalThis as { window?: unknown; process?: { versions?: { node?: string } } };
  return typeof g.window !== 'undefined' && typeof g.process?.versions?.node !== 'string';
}
