import { useCallback, useEffect, useRef, useSyncExternalStore } from 'react';
import {
  stylize,
  stylizeInWorker,
  weightsFromSpec,
  type JobSnapshot,
  type RgbaImage,
  type StyleInput,
  type StyleTransferHandle,
  type StyleTransferOptions,
  type WeightsCache,
  type WeightsInput,
  type WeightsSpec,
} from '@strotss/core';
import type { WasmPaths } from '@strotss/backend-node/browser-wasm';
import { createStyleTransferWorker } from './default-worker.js';
import { toRgbaImage, type ImageInput } from './image-input.js';
import { JobStore, type RunPlace } from './job-store.js';
import { chooseRunPlace, inBrowserPage, type WorkerOption } from './run-place.js';

/** What `start()` takes for the style: one image, or several with their shares of the style samples. */
export type StyleImageInput = ImageInput | readonly { image: ImageInput; weight: number }[];

/**
 * Job options without the images, which `start` takes, plus where and how the job runs. Checkpoints
 * (`checkpointEvery`, `checkpointOnCancel`, `resume`) and `init` pass through; the latest checkpoint is `snapshot.checkpoint`.
 */
export interface UseStyleTransferOptions extends Omit<StyleTransferOptions, 'content' | 'style' | 'signal' | 'weights' | 'samplingPlan'> {
  /** Weights as data (`{ url }`, `{ download: {} }`, loaded weights; runs in the worker) or a loader function (this thread only). */
  weights: WeightsInput | WeightsSpec;
  /** Run the job in the package's module Web Worker (default where Worker exists), on this thread (false), or in a worker you create. */
  worker?: WorkerOption;
  /** Where TF.js' .wasm files are served, for the wasm backend (e.g. bundler asset URLs). */
  wasmPaths?: WasmPaths;
}

/** What the hook returns: the job's state plus controls. */
export interface UseStyleTransfer {
  status: JobSnapshot['status'] | 'idle';
  progress: number;
  /** Weights download progress in bytes while a weights loader runs. */
  weights?: { loaded: number; total: number };
  preview?: RgbaImage;
  result?: RgbaImage;
  error?: Error;
  /** The backend running the job, and those skipped before it with their reasons (e.g. webgpu → wasm). */
  backend?: string;
  backendSkipped?: JobSnapshot['backendSkipped'];
  /** Where the job runs ('worker' or 'main-thread') and why not in the worker when it is not. */
  runsIn?: RunPlace['runsIn'];
  runsInReason?: string;
  snapshot?: JobSnapshot;
  /** Starts a job (aborting any running one); `style` is one image or `[{ image, weight }]`; resolves with the result or undefined when cancelled or failed. */
  start: (content: ImageInput, style: StyleImageInput) => Promise<RgbaImage | undefined>;
  cancel: () => void;
  reset: () => void;
}

/** Starts the job for `content` and `style` where `place` says; returns its handle. */
async function startJob(store: JobStore, options: UseStyleTransferOptions, place: RunPlace, content: RgbaImage, style: StyleInput): Promise<StyleTransferHandle> {
  const { worker, wasmPaths, weights, ...jobOptions } = options;
  if (place.runsIn === 'worker' && typeof weights !== 'function') {
    store.worker ??= typeof worker === 'function' ? worker() : createStyleTransferWorker();
    const settings = { setup: { wasmPaths }, transferInputs: true };
    return stylizeInWorker(store.worker.channel, { ...jobOptions, weights, content, style }, settings);
  }
  // This thread: in a page, the browser backends are registered here (Node and tests register their own).
  const browser = inBrowserPage() ? await import('./browser-backends.js') : undefined;
  browser?.registerBrowserBackends({ wasmPaths });
  const cache: WeightsCache | undefined = browser?.browserWeightsCache();
  const input = typeof weights === 'function' ? weights : weightsFromSpec(weights, options.model, { cache });
  return stylize({ ...jobOptions, weights: input, content, style });
}

/** Returns the style as the core takes it: each image decoded to RGBA pixels, weights kept. */
async function toStyleInput(style: StyleImageInput): Promise<StyleInput> {
  if (!Array.isArray(style)) return toRgbaImage(style as ImageInput, 'style');
  const list = style as readonly { image: ImageInput; weight: number }[];
  return Promise.all(list.map(async ({ image, weight }) => ({ image: await toRgbaImage(image, 'style'), weight })));
}

/**
 * React binding of a STROTSS job: the job lives outside React (in the package's Web Worker by
 * default in browsers) and is read through useSyncExternalStore. A new start or an unmount aborts
 * the old job; cancellation is a status ('cancelled'), not an error. Safe to import during SSR.
 */
export function useStyleTransfer(options: UseStyleTransferOptions): UseStyleTransfer {
  const storeRef = useRef<JobStore>(undefined);
  storeRef.current ??= new JobStore();
  const store = storeRef.current;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const snapshot = useSyncExternalStore(store.subscribe, store.getSnapshot, () => undefined);

  useEffect(() => {
    // StrictMode mounts, unmounts and mounts again: revive the store on the second mount.
    store.disposed = false;
    return () => store.dispose();
  }, [store]);

  const start = useCallback(
    async (content: ImageInput, style: StyleImageInput) => {
      store.cancel();
      const generation = ++store.generation;
      const current = optionsRef.current;
      const place = chooseRunPlace(current.worker, current.weights);
      store.place = place;
      store.setSnapshot({ status: 'starting', progress: 0 });
      let job: StyleTransferHandle;
      try {
        const [c, s] = await Promise.all([toRgbaImage(content, 'content'), toStyleInput(style)]);
        if (generation !== store.generation) return undefined;
        job = await startJob(store, current, place, c, s);
      } catch (error) {
        if (generation === store.generation) store.setSnapshot({ status: 'error', progress: 0, error: error as Error });
        return undefined;
      }
      if (generation !== store.generation) {
        job.cancel();
        return undefined;
      }
      store.setJob(job, place);
      return job.result.catch(() => undefined); // the error or the cancellation is in the snapshot
    },
    [store],
  );
  const cancel = useCallback(() => {
    store.generation++;
    // Before the job exists (images still decoding) there is nothing to stop but the start itself.
    if (!store.cancel() && store.getSnapshot()?.status === 'starting') store.setSnapshot({ status: 'cancelled', progress: 0 });
  }, [store]);
  const reset = useCallback(() => {
    store.generation++;
    store.cancel();
    store.setSnapshot(undefined);
  }, [store]);

  return {
    status: snapshot?.status ?? 'idle',
    progress: snapshot?.progress ?? 0,
    weights: snapshot?.weights,
    preview: snapshot?.preview,
    result: snapshot?.result,
    error: snapshot?.error,
    backend: snapshot?.backend,
    backendSkipped: snapshot?.backendSkipped,
    runsIn: snapshot ? store.place?.runsIn : undefined,
    runsInReason: snapshot ? store.place?.reason : undefined,
    snapshot,
    start,
    cancel,
    reset,
  };
}
