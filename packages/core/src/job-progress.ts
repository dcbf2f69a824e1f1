import type { JobSnapshot } from './job.js';
import type { StyleTransferEvent } from './strotss/stylize.js';

/**
 * Turns a job's events into snapshot changes (progress over all scales, previews, warnings, the
 * result). One per job; shared by the in-thread job and the worker job so both report the same.
 */
export class JobProgress {
  private total = 0;
  private done = 0;

  /** Returns the snapshot fields `event` changes, given the current `snapshot`. */
  patch(event: StyleTransferEvent, snapshot: JobSnapshot): Partial<JobSnapshot> {
    switch (event.type) {
      case 'weights':
        return { weights: { loaded: event.loaded, total: event.total } };
      case 'scale':
        this.total = this.total || event.iterations * event.scales;
        return { scale: event.scale, scales: event.scales, iterations: event.iterations, iteration: 0 };
      case 'step':
        this.done++;
        return { iteration: event.iteration + 1, loss: event.loss, etaSeconds: event.etaSeconds, progress: this.total ? this.done / this.total : 0 };
      case 'preview':
        return { preview: event.image };
      case 'warning':
        return { warnings: [...(snapshot.warnings ?? []), event] };
      case 'checkpoint':
        return { checkpoint: event.checkpoint };
      case 'done':
        return { status: 'done', progress: 1, result: event.image, etaSeconds: 0 };
    }
  }
}
