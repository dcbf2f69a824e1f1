// The worker side: runs the jobs a page starts through a JobChannel and posts their events back.
import { stylize, type JobSnapshot, type StyleTransferJob } from '../job.js';
import type { StyleTransferEvent } from '../strotss/stylize.js';
import { serializeError } from './errors-across.js';
import type { FromWorkerMessage, JobChannel, ToWorkerMessage, WorkerStatusFields } from './protocol.js';
import { weightsFromSpec, type WeightsEnvironment } from './weights-spec.js';

/** What the program hosting the worker provides (backends are registered by importing their packages there). */
export interface WorkerHost {
  /** Runs before each job with the `setup` the page sent (e.g. TF.js' .wasm file locations). */
  prepare?(setup: unknown): void | Promise<void>;
  /** Cache and fetch for weights given as `{ download }` or `{ url }`. */
  weights?: WeightsEnvironment;
}

/** Returns the image buffers an event carries, to transfer rather than copy. */
function transferables(event: StyleTransferEvent): ArrayBuffer[] {
  if (event.type !== 'preview' && event.type !== 'done') return [];
  const buffer = event.image.data.buffer;
  return buffer instanceof ArrayBuffer ? [buffer] : [];
}

/** Returns the snapshot fields the worker reports itself. */
function statusFields(s: JobSnapshot): WorkerStatusFields {
  return { status: s.status, backend: s.backend, backendSkipped: s.backendSkipped, seed: s.seed, queuedBehind: s.queuedBehind };
}

/** Returns true when two status reports say the same. */
function sameStatus(a: WorkerStatusFields | undefined, b: WorkerStatusFields): boolean {
  return (
    a !== undefined &&
    a.status === b.status &&
    a.backend === b.backend &&
    a.backendSkipped === b.backendSkipped &&
    a.seed === b.seed &&
    a.queuedBehind === b.queuedBehind
  );
}

/** Starts one job for a 'start' message and forwards its events and status changes; returns the job. */
async function startJob(channel: JobChannel, host: WorkerHost, message: Extract<ToWorkerMessage, { type: 'start' }>): Promise<StyleTransferJob> {
  const { id, options } = message;
  const post = (m: FromWorkerMessage, transfer: ArrayBuffer[] = []) => channel.post(m, transfer);
  let job: StyleTransferJob;
  try {
    await host.prepare?.(message.setup);
    job = stylize({ ...options, weights: weightsFromSpec(options.weights, options.model, host.weights) });
  } catch (error) {
    post({ type: 'status', id, fields: { status: 'error' }, error: serializeError(error) });
    throw error;
  }
  let last: WorkerStatusFields | undefined;
  job.onEvent((event) => post({ type: 'event', id, event }, transferables(event)));
  job.subscribe((snapshot) => {
    const fields = statusFields(snapshot);
    if (sameStatus(last, fields)) return;
    last = fields;
    post({ type: 'status', id, fields, error: snapshot.error ? serializeError(snapshot.error) : undefined });
  });
  return job;
}

/**
 * Serves STROTSS jobs on `channel` (inside a worker: its global scope or Node's parentPort) until the
 * returned function is called. Jobs run one at a time, as in a page; 'cancel' stops one.
 */
export function serveStyleTransferJobs(channel: JobChannel, host: WorkerHost = {}): () => void {
  const jobs = new Map<number, Promise<StyleTransferJob>>();
  return channel.listen((data) => {
    const message = data as ToWorkerMessage;
    if (message.type === 'start') {
      const started = startJob(channel, host, message);
      jobs.set(message.id, started);
      started.then(
        (job) => job.result.then(undefined, () => undefined).finally(() => jobs.delete(message.id)),
        () => jobs.delete(message.id),
      );
    } else if (message.type === 'cancel') {
      void jobs.get(message.id)?.then((job) => job.cancel(), () => undefined);
    }
  });
}
