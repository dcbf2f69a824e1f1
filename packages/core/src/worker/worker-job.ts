// The page side: a job that runs in a worker but looks like StyleTransferJob (snapshot, events,
// result, cancel), so a UI does not care where it runs.
import { StyleTransferAbortError } from '../errors.js';
import type { RgbaImage } from '../image.js';
import type { JobSnapshot, StyleTransferJob } from '../job.js';
import { JobProgress } from '../job-progress.js';
import { isStyleList } from '../strotss/styles.js';
import type { StyleTransferEvent } from '../strotss/stylize.js';
import { deserializeError } from './errors-across.js';
import type { FromWorkerMessage, JobChannel, ToWorkerMessage, WorkerJobOptions } from './protocol.js';

/** What a UI uses of a job, whether it runs in this thread ({@link StyleTransferJob}) or in a worker. */
export type StyleTransferHandle = Pick<StyleTransferJob, 'result' | 'getSnapshot' | 'subscribe' | 'onEvent' | 'cancel' | 'signal'>;

/** How a job is handed to a worker. */
export interface WorkerJobSettings {
  /** Given to the worker host's `prepare` before the job (e.g. `{ wasmPaths }`). */
  setup?: unknown;
  /** Transfer the content and style buffers instead of copying them (they become unusable here); default false. */
  transferInputs?: boolean;
  /** Cancels the job. */
  signal?: AbortSignal;
}

let nextJobId = 1;

/** Returns the (distinct) buffers of the job's input images. */
function inputBuffers(options: WorkerJobOptions): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const styles = isStyleList(options.style) ? options.style.map((s) => s.image) : [options.style];
  for (const image of [options.content, ...styles]) if (image.data.buffer instanceof ArrayBuffer) buffers.add(image.data.buffer);
  return [...buffers];
}

/** A STROTSS job running in a worker; same API as {@link StyleTransferJob}. */
export class WorkerStyleTransferJob implements StyleTransferHandle {
  readonly result: Promise<RgbaImage>;
  readonly id = nextJobId++;
  private snapshot: JobSnapshot = { status: 'starting', progress: 0 };
  private readonly listeners = new Set<(s: JobSnapshot) => void>();
  private readonly eventListeners = new Set<(e: StyleTransferEvent) => void>();
  private readonly controller = new AbortController();
  private readonly progress = new JobProgress();
  private settle!: { resolve: (image: RgbaImage) => void; reject: (error: Error) => void };
  private readonly stopListening: () => void;

  constructor(private readonly channel: JobChannel, options: WorkerJobOptions, settings: WorkerJobSettings = {}) {
    this.result = new Promise<RgbaImage>((resolve, reject) => (this.settle = { resolve, reject }));
    this.result.catch(() => undefined);
    this.stopListening = channel.listen(
      (data) => this.receive(data as FromWorkerMessage),
      (error) => this.fail(error),
    );
    const message: ToWorkerMessage = { type: 'start', id: this.id, options, setup: settings.setup };
    channel.post(message, settings.transferInputs ? inputBuffers(options) : []);
    if (settings.signal?.aborted) this.cancel();
    else settings.signal?.addEventListener('abort', () => this.cancel(), { once: true });
  }

  /** Current state. */
  getSnapshot = (): JobSnapshot => this.snapshot;

  /** Calls `listener` with every new snapshot; returns the unsubscribe function. */
  subscribe = (listener: (s: JobSnapshot) => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Calls `listener` with every event the worker's job emits; returns the unsubscribe function. */
  onEvent(listener: (e: StyleTransferEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Asks the worker to stop the job at its next iteration boundary; `result` then rejects with StyleTransferAbortError. */
  cancel(): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort();
    if (!this.settled()) this.channel.post({ type: 'cancel', id: this.id } satisfies ToWorkerMessage, []);
  }

  /** The job's AbortSignal (aborted by cancel()). */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private settled(): boolean {
    return ['done', 'error', 'cancelled'].includes(this.snapshot.status);
  }

  private update(patch: Partial<JobSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  private receive(message: FromWorkerMessage): void {
    if (message.id !== this.id || this.settled()) return;
    if (message.type === 'event') {
      for (const l of this.eventListeners) l(message.event);
      this.update(this.progress.patch(message.event, this.snapshot));
      if (message.event.type === 'done') this.finish();
      return;
    }
    const { fields } = message;
    if (fields.status === 'error') return this.fail(deserializeError(message.error ?? { name: 'Error', message: 'the worker job failed' }));
    if (fields.status === 'cancelled') {
      this.update({ ...fields, status: 'cancelled' });
      this.stopListening();
      this.settle.reject(new StyleTransferAbortError());
      return;
    }
    // 'done' is set by the done event (it carries the image); later fields only fill in the rest.
    this.update(fields.status === 'done' ? { ...fields, status: this.snapshot.status } : fields);
  }

  private finish(): void {
    this.stopListening();
    this.settle.resolve(this.snapshot.result!);
  }

  private fail(error: Error): void {
    if (this.settled()) return;
    this.update({ status: 'error', error });
    this.stopListening();
    this.settle.reject(error);
  }
}

/** Starts a job in the worker behind `channel` and returns its handle (same API as `stylize()`'s job). */
export function stylizeInWorker(channel: JobChannel, options: WorkerJobOptions, settings?: WorkerJobSettings): WorkerStyleTransferJob {
  return new WorkerStyleTransferJob(channel, options, settings);
}
