import { tf } from './tfjs.js';
import { resolveBackend, type BackendWorkload } from './backend.js';
import { InvalidOptionError, StyleTransferAbortError } from './errors.js';
import { acquireEngine } from './engine-lock.js';
import { assertRgbaImage } from './image.js';
import { weightsModel } from './model/presets.js';
import type { RgbaImage } from './image.js';
import { resolveOptions, type StyleTransferOptions } from './strotss/options.js';
import { isStyleList, normaliseStyles, type StyleInput } from './strotss/styles.js';
import { runStrotss, type StyleTransferEvent } from './strotss/stylize.js';
import type { VggWeights } from './model/presets.js';
import { scaledSize } from './ops/resize.js';
import { JobProgress } from './job-progress.js';
import type { ResolvedOptions } from './strotss/options.js';
import { checkResumable, type RunFingerprint, type StrotssCheckpoint } from './strotss/checkpoint.js';
import { runFingerprint } from './strotss/run-fingerprint.js';

/**
 * Where a job is. `queued`: another job of this process holds the engine (jobs run one at a time);
 * `cancelled` is a status, not an error.
 */
export type JobStatus = 'queued' | 'starting' | 'running' | 'done' | 'error' | 'cancelled';

/** Everything a UI needs to render a job; a new object on every change (safe for useSyncExternalStore). */
export interface JobSnapshot {
  status: JobStatus;
  /** 0..1 over all iterations of all scales. */
  progress: number;
  backend?: string;
  /** Backends tried before `backend` and why each was skipped (e.g. webgpu without an adapter, then wasm). */
  backendSkipped?: ReadonlyArray<{ id: string; reason: string }>;
  scale?: number;
  scales?: number;
  iteration?: number;
  iterations?: number;
  loss?: number;
  etaSeconds?: number;
  weights?: { loaded: number; total: number };
  preview?: RgbaImage;
  result?: RgbaImage;
  error?: Error;
  seed?: number;
  /** While queued: jobs ahead of this one (the running one included). */
  queuedBehind?: number;
  /** The latest checkpoint (docs/guide/resume.md): with `checkpointEvery`, `checkpointOnCancel` or `requestCheckpoint()`. */
  checkpoint?: StrotssCheckpoint;
  /** Warnings so far (tiny images, guidance regions that vanish at a scale, …). */
  warnings?: ReadonlyArray<Extract<StyleTransferEvent, { type: 'warning' }>>;
}

type Listener<T> = (value: T) => void;

/**
 * A running STROTSS job: subscribable state (framework-free, TanStack-Query style), typed
 * events, a `result` promise and `cancel()`. One AbortController per job.
 */
export class StyleTransferJob {
  readonly result: Promise<RgbaImage>;
  private snapshot: JobSnapshot = { status: 'starting', progress: 0 };
  private readonly listeners = new Set<Listener<JobSnapshot>>();
  private readonly eventListeners = new Set<Listener<StyleTransferEvent>>();
  private readonly controller = new AbortController();
  private readonly progress = new JobProgress();
  /** Tensors this job allocated and did not free (counted when it settles; 0 for a correct job). */
  leakedTensors = 0;
  /** The last checkpoint this job took (docs/guide/resume.md), if any. */
  lastCheckpoint?: StrotssCheckpoint;
  private checkpointWaiters: Array<{ resolve: (c: StrotssCheckpoint) => void; reject: (e: Error) => void }> = [];
  private injectedSampling = false;

  constructor(options: StyleTransferOptions) {
    if (options.signal) {
      if (options.signal.aborted) this.controller.abort();
      else options.signal.addEventListener('abort', () => this.cancel(), { once: true });
    }
    this.injectedSampling = options.samplingPlan != null;
    this.result = this.run(options);
    // The promise is observed through subscribe() too; avoid an unhandled rejection warning.
    this.result.catch(() => undefined);
  }

  /** Current state. */
  getSnapshot = (): JobSnapshot => this.snapshot;

  /** Calls `listener` with every new snapshot; returns the unsubscribe function. */
  subscribe = (listener: Listener<JobSnapshot>): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Calls `listener` with every event ('weights', 'scale', 'step', 'preview', 'done'); returns the unsubscribe function. */
  onEvent(listener: Listener<StyleTransferEvent>): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Stops the job at the next iteration boundary; `result` rejects with StyleTransferAbortError. */
  cancel(): void {
    this.controller.abort();
  }

  /**
   * Asks for a checkpoint at the next iteration boundary; resolves with it (also delivered as a
   * 'checkpoint' event). Rejects when the job ends before one is reached or injects its samplingPlan.
   */
  requestCheckpoint(): Promise<StrotssCheckpoint> {
    if (this.injectedSampling) {
      return Promise.reject(new InvalidOptionError('A job with an injected samplingPlan cannot be checkpointed; pass a seed instead.', { details: { option: 'samplingPlan' } }));
    }
    if (['done', 'error', 'cancelled'].includes(this.snapshot.status)) {
      return Promise.reject(new Error(`The job is ${this.snapshot.status}; there is nothing left to checkpoint.`));
    }
    return new Promise((resolve, reject) => this.checkpointWaiters.push({ resolve, reject }));
  }

  /** The job's AbortSignal. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  private update(patch: Partial<JobSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l(this.snapshot);
  }

  private emit(event: StyleTransferEvent): void {
    for (const l of this.eventListeners) l(event);
  }

  private async run(options: StyleTransferOptions): Promise<RgbaImage> {
    // Never throw from the constructor: every error, option errors included, arrives through `result`.
    await Promise.resolve();
    const signal = this.controller.signal;
    let release: (() => void) | undefined;
    let tensorsBefore: number | undefined;
    try {
      const resolved = resolveOptions(options);
      checkJobInputs(options, resolved);
      release = await acquireEngine(signal, (ahead) => this.update({ status: 'queued', queuedBehind: ahead }));
      this.update({ status: 'starting', queuedBehind: undefined });
      const { backend, skipped } = await resolveBackend(options.backend ?? 'auto');
      // Counted once this job holds the engine: no other job allocates until it releases it.
      tensorsBefore = tf.memory().numTensors;
      this.update({ backend: backend.id, seed: resolved.seed, ...(skipped.length > 0 ? { backendSkipped: skipped } : {}) });
      backend.checkWorkload?.(jobWorkload(resolved, options.content, options.style));
      const weights = await this.loadWeights(options);
      checkWeightsFitModel(weights, resolved.model);
      let fingerprint: RunFingerprint | undefined;
      const fingerprintOnce = () => (fingerprint ??= runFingerprint(backend.id, resolved, { ...options, weights }));
      if (options.resume) checkResumable(options.resume, fingerprintOnce());
      if (signal.aborted) throw new StyleTransferAbortError();
      this.update({ status: 'running' });
      return await this.follow(
        runStrotss({
          content: options.content,
          style: options.style,
          weights,
          options: resolved,
          samplingPlan: options.samplingPlan,
          guidance: options.guidance,
          points: options.points,
          signal,
          readbackLag: backend.readbackLag,
          resume: options.resume,
          init: options.init,
          checkpoints: options.samplingPlan
            ? undefined
            : {
                every: resolved.checkpointEvery,
                onCancel: options.checkpointOnCancel ?? false,
                requested: () => this.checkpointWaiters.length > 0,
                fingerprint: fingerprintOnce,
              },
        }),
      );
    } catch (e) {
      const error = e as Error;
      if (error instanceof StyleTransferAbortError || signal.aborted) {
        this.update({ status: 'cancelled' });
        throw error instanceof StyleTransferAbortError ? error : new StyleTransferAbortError();
      }
      this.update({ status: 'error', error });
      throw error;
    } finally {
      if (tensorsBefore !== undefined) {
        const leaked = tf.memory().numTensors - tensorsBefore;
        this.leakedTensors = Math.max(0, leaked);
        if (leaked > 0 && typeof console !== 'undefined') console.warn(`strotss: ${leaked} tensors leaked by a job`);
      }
      release?.();
      for (const w of this.checkpointWaiters.splice(0)) w.reject(new Error(`The job ended (${this.snapshot.status}) before an iteration boundary where a checkpoint could be taken.`));
    }
  }

  /** Forwards the algorithm's events to listeners and the snapshot; returns its image. */
  private async follow(generator: AsyncGenerator<StyleTransferEvent, RgbaImage, void>): Promise<RgbaImage> {
    for (;;) {
      const next = await generator.next();
      if (next.done) return next.value;
      this.record(next.value);
    }
  }

  /** Emits `event` and applies it to the snapshot. */
  private record(event: StyleTransferEvent): void {
    this.emit(event);
    this.update(this.progress.patch(event, this.snapshot));
    if (event.type === 'checkpoint') {
      this.lastCheckpoint = event.checkpoint;
      for (const w of this.checkpointWaiters.splice(0)) w.resolve(event.checkpoint);
    }
  }

  private async loadWeights(options: StyleTransferOptions): Promise<VggWeights> {
    if (typeof options.weights !== 'function') return options.weights;
    return options.weights((loaded, total) => this.record({ type: 'weights', loaded, total }));
  }
}

/** The job's full-resolution activation footprint: both images at the last scale and the first conv's channels. */
function jobWorkload(options: ResolvedOptions, content: RgbaImage, style: StyleInput): BackendWorkload {
  const firstConv = options.model.layers.find((l) => l.kind === 'conv');
  return {
    size: options.size,
    channels: firstConv?.kind === 'conv' ? firstConv.outChannels : 64,
    bytesPerElement: 4,
    model: options.model,
    imagesAt: (longSide) =>
      ([['content', content], ...(isStyleList(style) ? style.map((s, i) => [`style ${i + 1}`, s?.image] as const) : [['style', style] as const])] as const)
        // Malformed images are reported by runStrotss' own checks; leave them out here.
        .filter(([, img]) => img != null && Number.isInteger(img.width) && Number.isInteger(img.height))
        .map(([label, img]) => {
          const [height, width] = scaledSize(img.height, img.width, longSide);
          return { label, width, height };
        }),
  };
}

/** Checks what can be checked before the job queues: the images' shapes and weights given as an object. */
function checkJobInputs(options: StyleTransferOptions, resolved: ResolvedOptions): void {
  assertRgbaImage(options.content, 'content image', 'content');
  normaliseStyles(options.style);
  if (options.weights == null) {
    throw new InvalidOptionError('weights is missing; pass loaded VGG weights or a loader (e.g. vggWeightsLoader()).', { details: { option: 'weights' } });
  }
  if (typeof options.weights !== 'function') checkWeightsFitModel(options.weights, resolved.model);
  if (options.init) assertRgbaImage(options.init, 'initial image', 'init');
  if (options.samplingPlan && (options.resume || options.checkpointOnCancel || resolved.checkpointEvery)) {
    throw new InvalidOptionError('Checkpoints need the seeded sampler: drop samplingPlan (injected choices cannot be saved) and pass a seed.', {
      details: { option: 'samplingPlan' },
    });
  }
}

/** Throws when `weights` were made for another feature extractor than `model` (VGG19 weights read as VGG16 run silently wrong). */
function checkWeightsFitModel(weights: VggWeights, model: ResolvedOptions['model']): void {
  const of = weightsModel(weights);
  if (of && of !== model.id) {
    throw new InvalidOptionError(
      (w) => `model is '${model.id}' but the weights are ${of} weights; pass ${w.option('model') ?? 'model'} ${of}, or ${model.id} weights.`,
      { details: { option: 'model', value: model.id } },
    );
  }
}

/** Starts a STROTSS job (weights, backend and images in `options`) and returns its handle. */
export function stylize(options: StyleTransferOptions): StyleTransferJob {
  return new StyleTransferJob(options);
}
