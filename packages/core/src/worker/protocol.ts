// Messages between a page (or a Node thread) and a worker that runs STROTSS jobs. Everything in them
// survives structured cloning; image buffers travel as transferables.
import type { JobSnapshot } from '../job.js';
import type { StyleTransferEvent } from '../strotss/stylize.js';
import type { StyleTransferOptions } from '../strotss/options.js';
import type { WeightsSpec } from './weights-spec.js';

/** A job's options as sent to a worker: no functions or signals, weights as a {@link WeightsSpec}. */
export type WorkerJobOptions = Omit<StyleTransferOptions, 'weights' | 'signal' | 'samplingPlan'> & { weights: WeightsSpec };

/** Snapshot fields a worker reports itself (the rest follows from the events). */
export type WorkerStatusFields = Pick<JobSnapshot, 'status' | 'backend' | 'backendSkipped' | 'seed' | 'queuedBehind'>;

/** An error as it crosses the worker boundary. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  failures?: ReadonlyArray<{ id: string; reason: string }>;
}

/** Page → worker. `setup` is handed to the worker host's `prepare` (e.g. where TF.js' .wasm files are). */
export type ToWorkerMessage =
  | { type: 'start'; id: number; options: WorkerJobOptions; setup?: unknown }
  | { type: 'cancel'; id: number };

/** Worker → page. */
export type FromWorkerMessage =
  | { type: 'event'; id: number; event: StyleTransferEvent }
  | { type: 'status'; id: number; fields: WorkerStatusFields; error?: SerializedError };

/** One side of a message channel: a browser Worker or worker scope, a Node worker thread or its parentPort. */
export interface JobChannel {
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** Calls `onMessage` with each message's data and `onError` when the other side fails; returns the unsubscribe function. */
  listen(onMessage: (data: unknown) => void, onError?: (error: Error) => void): () => void;
}

/** The parts of a browser `Worker` or `DedicatedWorkerGlobalScope` a channel uses. */
export interface MessageTargetLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
  removeEventListener(type: 'message' | 'error' | 'messageerror', listener: (event: Event) => void): void;
}

/** Returns a channel over a browser Worker (page side) or the worker's global scope (worker side). */
export function messageTargetChannel(target: MessageTargetLike): JobChannel {
  return {
    post: (message, transfer) => target.postMessage(message, transfer),
    listen(onMessage, onError) {
      const message = (e: Event) => onMessage((e as MessageEvent).data);
      const error = (e: Event) => {
        const text = (e as ErrorEvent).message || 'the worker failed to start or threw outside a job';
        onError?.(new Error(`STROTSS worker: ${text}`));
      };
      target.addEventListener('message', message);
      target.addEventListener('error', error);
      target.addEventListener('messageerror', error);
      return () => {
        target.removeEventListener('message', message);
        target.removeEventListener('error', error);
        target.removeEventListener('messageerror', error);
      };
    },
  };
}
