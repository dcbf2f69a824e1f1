// Starting the package's module worker. `new Worker(new URL('./worker-entry.js', import.meta.url))` is
// the form bundlers (Vite, webpack 5, esbuild with plugins) recognise and bundle as a worker.
import { messageTargetChannel, type JobChannel, type MessageTargetLike } from '@strotss/core';

/** A worker that serves STROTSS jobs, as the hook uses it. */
export interface StyleTransferWorker {
  channel: JobChannel;
  /** Ends the worker (its running job stops with it). */
  terminate(): void;
}

/** Returns a new module Web Worker running this package's job worker (browsers only). */
export function createStyleTransferWorker(): StyleTransferWorker {
  const worker = new Worker(new URL('./worker-entry.js', import.meta.url), { type: 'module', name: 'strotss' });
  return { channel: messageTargetChannel(worker as unknown as MessageTargetLike), terminate: () => worker.terminate() };
}
