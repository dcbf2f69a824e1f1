// The hook's external store: the current job (in this thread or in a worker) read by React through
// useSyncExternalStore. Progress and previews are published at most once per animation frame; a
// status change is published at once.
import type { JobSnapshot, StyleTransferHandle } from '@strotss/core';
import type { StyleTransferWorker } from './default-worker.js';

/** Where the current job runs, and why it is not the worker when it is not. */
export interface RunPlace {
  runsIn: 'worker' | 'main-thread';
  reason?: string;
}

type FrameScheduler = { request(callback: () => void): number; cancel(handle: number): void };

/** Returns the page's animation-frame scheduler, or undefined where there is none (SSR, Node, workers without rAF). */
function animationFrames(): FrameScheduler | undefined {
  const g = globalThis as { requestAnimationFrame?: (cb: () => void) => number; cancelAnimationFrame?: (h: number) => void };
  if (typeof g.requestAnimationFrame !== 'function' || typeof g.cancelAnimationFrame !== 'function') return undefined;
  return { request: (cb) => g.requestAnimationFrame!(cb), cancel: (h) => g.cancelAnimationFrame!(h) };
}

/** One hook instance's job, worker and published snapshot. */
export class JobStore {
  /** Bumped by every start(), so a start overtaken by a newer one (or by unmount) does nothing. */
  generation = 0;
  disposed = false;
  place?: RunPlace;
  worker?: StyleTransferWorker;
  private job?: StyleTransferHandle;
  private published?: JobSnapshot;
  private unsubscribeJob?: () => void;
  private frame?: number;
  private readonly frames = animationFrames();
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): JobSnapshot | undefined => this.published;

  /** Follows `job` from now on (the previous one is cancelled by the caller). */
  setJob(job: StyleTransferHandle, place: RunPlace): void {
    this.detach();
    this.job = job;
    this.place = place;
    this.unsubscribeJob = job.subscribe(() => this.changed());
    this.publish(job.getSnapshot());
  }

  /** Shows a snapshot that belongs to no job (idle: undefined; an error before a job could start). */
  setSnapshot(snapshot: JobSnapshot | undefined): void {
    this.detach();
    this.publish(snapshot);
  }

  /** Cancels the current job; returns false when there is none. */
  cancel(): boolean {
    this.job?.cancel();
    return this.job !== undefined;
  }

  /** Stops everything for good (unmount): the job is cancelled, the worker ended, no listener called again. */
  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.job?.cancel();
    this.detach();
    this.listeners.clear();
    this.worker?.terminate();
    this.worker = undefined;
  }

  private detach(): void {
    this.unsubscribeJob?.();
    this.unsubscribeJob = undefined;
    this.job = undefined;
    if (this.frame !== undefined) this.frames?.cancel(this.frame);
    this.frame = undefined;
  }

  private changed(): void {
    const next = this.job?.getSnapshot();
    if (!next) return;
    if (!this.frames || next.status !== this.published?.status) return this.publish(next);
    // Progress and previews: one publication per frame, with the newest snapshot then.
    this.frame ??= this.frames.request(() => {
      this.frame = undefined;
      const latest = this.job?.getSnapshot();
      if (latest) this.publish(latest);
    });
  }

  private publish(snapshot: JobSnapshot | undefined): void {
    if (this.frame !== undefined) this.frames?.cancel(this.frame);
    this.frame = undefined;
    if (snapshot === this.published || this.disposed) return;
    this.published = snapshot;
    for (const l of this.listeners) l();
  }
}
