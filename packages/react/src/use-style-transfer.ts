import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import { stylize, type JobSnapshot, type RgbaImage, type StyleTransferJob, type StyleTransferOptions } from '@strotss/core';

/**
 * Job options without the images, which `start` takes. Checkpoints (`checkpointEvery`,
 * `checkpointOnCancel`, `resume`) and `init` pass through; the latest checkpoint is `snapshot.checkpoint`.
 */
export type UseStyleTransferOptions = Omit<StyleTransferOptions, 'content' | 'style' | 'signal'>;

/** What the hook returns: the job's state plus controls. */
export interface UseStyleTransfer {
  status: JobSnapshot['status'] | 'idle';
  progress: number;
  /** Weights download progress in bytes while a weights loader runs (e.g. vggWeightsLoader from @strotss/core). */
  weights?: { loaded: number; total: number };
  preview?: RgbaImage;
  result?: RgbaImage;
  error?: Error;
  snapshot?: JobSnapshot;
  /** Starts a job (aborting any running one); resolves with the result or undefined when cancelled. */
  start: (content: RgbaImage, style: RgbaImage) => Promise<RgbaImage | undefined>;
  cancel: () => void;
  reset: () => void;
}

/** A tiny external store holding the current job, so React reads it through useSyncExternalStore. */
class JobStore {
  job: StyleTransferJob | undefined;
  private unsubscribeJob?: () => void;
  private readonly listeners = new Set<() => void>();

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): JobSnapshot | undefined => this.job?.getSnapshot();

  setJob(job: StyleTransferJob | undefined): void {
    this.unsubscribeJob?.();
    this.job = job;
    this.unsubscribeJob = job?.subscribe(() => this.notify());
    this.notify();
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }
}

/**
 * React binding of a STROTSS job (TanStack-Query style: the job lives outside React, this is
 * a thin `useSyncExternalStore` adapter). A new start or an unmount aborts the old job;
 * cancellation is a status ('cancelled'), not an error.
 */
export function useStyleTransfer(options: UseStyleTransferOptions): UseStyleTransfer {
  const storeRef = useRef<JobStore>(undefined);
  storeRef.current ??= new JobStore();
  const store = storeRef.current;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, store.getSnapshot);

  useEffect(() => () => store.job?.cancel(), [store]);

  const start = useCallback(
    async (content: RgbaImage, style: RgbaImage) => {
      store.job?.cancel();
      const job = stylize({ ...optionsRef.current, content, style });
      store.setJob(job);
      try {
        return await job.result;
      } catch {
        return undefined; // the error or the cancellation is in the snapshot
      }
    },
    [store],
  );
  const cancel = useCallback(() => store.job?.cancel(), [store]);
  const reset = useCallback(() => {
    store.job?.cancel();
    store.setJob(undefined);
  }, [store]);

  return {
    status: snapshot?.status ?? 'idle',
    progress: snapshot?.progress ?? 0,
    weights: snapshot?.weights,
    preview: snapshot?.preview,
    result: snapshot?.result,
    error: snapshot?.error,
    snapshot,
    start,
    cancel,
    reset,
  };
}
