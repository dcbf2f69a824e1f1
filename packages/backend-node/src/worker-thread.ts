// STROTSS jobs in a Node worker thread: the same job API as stylize(), with the optimisation off the
// calling thread (a server's event loop, a CLI's progress display stay responsive).
import { Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stylizeInWorker, type JobChannel, type WorkerJobOptions, type WorkerJobSettings, type WorkerStyleTransferJob } from '@strotss/core';

/** The parts of a worker_threads Worker or MessagePort (parentPort) a channel uses. */
export interface MessageEmitterLike {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: 'message' | 'error', listener: (value: never) => void): unknown;
  off(event: 'message' | 'error', listener: (value: never) => void): unknown;
}

/** Returns a JobChannel over a Node worker thread (caller side) or its parentPort (worker side). */
export function messageEmitterChannel(emitter: MessageEmitterLike): JobChannel {
  return {
    post: (message, transfer) => emitter.postMessage(message, transfer),
    listen(onMessage, onError) {
      const message = (data: unknown) => onMessage(data);
      const error = (e: Error) => onError?.(new Error(`STROTSS worker thread: ${e.message}`, { cause: e }));
      emitter.on('message', message);
      emitter.on('error', error);
      return () => {
        emitter.off('message', message);
        emitter.off('error', error);
      };
    },
  };
}

/**
 * Returns the file of the worker thread's entry: `dist/job-worker-entry.js` beside this module, or the
 * built one when this module runs from its TypeScript source (tests run the sources).
 */
export function jobWorkerEntry(): URL {
  const here = new URL('./job-worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL('../dist/job-worker-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(`the worker thread entry is missing (${fileURLToPath(built)}); build @strotss/backend-node first (npm run build).`);
}

/** A worker thread that serves STROTSS jobs, and how to end it. */
export interface JobWorkerThread {
  channel: JobChannel;
  worker: Worker;
  /** Ends the thread (running jobs stop with it); resolves with its exit code. */
  terminate(): Promise<number>;
}

/** Starts a worker thread that registers this package's backends and serves jobs (see stylizeInWorker). */
export function startJobWorkerThread(options: { entry?: URL } = {}): JobWorkerThread {
  // The thread waits for messages until terminate(): end it when done, or the process stays alive.
  const worker = new Worker(options.entry ?? jobWorkerEntry());
  return { channel: messageEmitterChannel(worker as unknown as MessageEmitterLike), worker, terminate: () => worker.terminate() };
}

/** Runs one job in `thread` (started with startJobWorkerThread); returns its handle, same API as stylize()'s job. */
export function stylizeInThread(thread: JobWorkerThread, options: WorkerJobOptions, settings?: WorkerJobSettings): WorkerStyleTransferJob {
  return stylizeInWorker(thread.channel, options, settings);
}
