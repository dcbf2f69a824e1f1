import { tf } from './tfjs.js';
import { BackendUnavailableError } from './errors.js';
import type { FeatureExtractorPreset } from './model/presets.js';

/**
 * What a backend package registers (DESIGN: backend.ts): an id, a priority (higher is tried
 * first by 'auto'), a cheap support probe and a lazy init that registers and selects the
 * TF.js backend. Modelled on tfjs' engine registry and onnxruntime's backend resolution.
 */
export interface StrotssBackend {
  id: string;
  priority: number;
  precision: 'fp32' | 'fp16';
  /** Human description, e.g. "WebAssembly SIMD, 1 thread". */
  description?: string;
  /** Resolves to true when init() can be expected to work here; never throws. */
  isSupported(): Promise<boolean>;
  /** Loads and selects the backend (tf.setBackend); throws with a reason when it cannot. */
  init(): Promise<void>;
  /** Why isSupported() said no, when known. */
  unsupportedReason?(): Promise<string | undefined>;
  /**
   * What third-party code printed while this backend was probed or initialised (e.g. Dawn's and
   * Mesa's warnings on stderr), captured so it is not shown by default; front ends show it on request
   * (the CLI's --verbose). Undefined when nothing was captured.
   */
  diagnostics?(): string | undefined;
  /**
   * Throws, before a job runs, when its largest tensors cannot fit this backend (e.g. a WebGPU
   * adapter's binding size), naming the option value to lower. Called after init().
   */
  checkWorkload?(workload: BackendWorkload): void;
  /**
   * Steps by which a job's loss values may trail its optimisation here. A device backend (webgpu)
   * sets it above 0: each step's losses are read asynchronously while the next steps are already
   * queued, so the loop never waits on the device; events keep their order and values, and a
   * scale's last values come before its next event. 0 or absent: read before the next step.
   */
  readbackLag?: number;
}

/** The largest tensors of a job, for {@link StrotssBackend.checkWorkload}. */
export interface BackendWorkload {
  /** The job's `size` option: the long side of the last (largest) scale, in px. */
  size: number;
  /** Channels of the widest full-resolution activation (the first conv's outputs, 64 for the VGGs). */
  channels: number;
  /** Bytes per element of those activations (4: float32). */
  bytesPerElement: number;
  /** The feature extractor (its layers set the activation memory). */
  model: FeatureExtractorPreset;
  /** The job's images (content, style) at the last scale, in px, if `size` were `longSide`. */
  imagesAt(longSide: number): Array<{ label: string; width: number; height: number }>;
}

const registry = new Map<string, StrotssBackend>();
const initialised = new Map<string, Promise<void>>();

/** Registers (or replaces) a backend under its id. A replaced backend's initialisation is forgotten. */
export function registerBackend(backend: StrotssBackend): void {
  if (registry.get(backend.id) !== backend) initialised.delete(backend.id);
  registry.set(backend.id, backend);
}

/** Removes the backend registered under `id`, if any; returns whether there was one. */
export function unregisterBackend(id: string): boolean {
  initialised.delete(id);
  return registry.delete(id);
}

/** Registered backends, highest priority first. */
export function listBackends(): StrotssBackend[] {
  return [...registry.values()].sort((a, b) => b.priority - a.priority);
}

/** One line per registered backend: whether it can run here and, if not, why. */
export interface BackendAvailability {
  id: string;
  priority: number;
  available: boolean;
  reason?: string;
  description?: string;
}

/** Probes every registered backend (without initialising any) and says which can run here and why not. */
export async function describeBackends(): Promise<BackendAvailability[]> {
  const out: BackendAvailability[] = [];
  for (const b of listBackends()) {
    let available = false;
    let reason: string | undefined;
    try {
      available = await b.isSupported();
      if (!available) reason = (await b.unsupportedReason?.()) ?? 'not supported in this environment';
    } catch (e) {
      reason = (e as Error).message;
    }
    out.push({ id: b.id, priority: b.priority, available, reason, description: b.description });
  }
  return out;
}

/** The outcome of {@link resolveBackend}: the backend now active and those skipped on the way, with reasons. */
export interface ResolvedBackend {
  backend: StrotssBackend;
  skipped: Array<{ id: string; reason: string }>;
}

/**
 * Initialises and selects the first backend that works among `preference` ('auto' = every
 * registered backend by priority; or an id, or a list of ids). Skips failures and reports them
 * all in one BackendUnavailableError when none works.
 */
export async function resolveBackend(preference: string | readonly string[] = 'auto'): Promise<ResolvedBackend> {
  const wanted = typeof preference === 'string' ? [preference] : [...preference];
  const candidates: Array<StrotssBackend | string> = [];
  for (const id of wanted) {
    if (id === 'auto') candidates.push(...listBackends());
    else candidates.push(registry.get(id) ?? id);
  }
  const skipped: Array<{ id: string; reason: string }> = [];
  for (const candidate of candidates) {
    if (typeof candidate === 'string') {
      skipped.push({
        id: candidate,
        reason: `no backend named '${candidate}' is registered (registered: ${[...registry.keys()].join(', ') || 'none'})`,
      });
      continue;
    }
    if (skipped.some((s) => s.id === candidate.id)) continue;
    try {
      if (!(await candidate.isSupported())) {
        skipped.push({ id: candidate.id, reason: (await candidate.unsupportedReason?.()) ?? 'not supported here' });
        continue;
      }
      let init = initialised.get(candidate.id);
      if (!init) {
        init = candidate.init();
        initialised.set(candidate.id, init);
        init.catch(() => initialised.delete(candidate.id));
      }
      await init;
      if (tf.getBackend() !== candidate.id) await tf.setBackend(candidate.id);
      await tf.ready();
      return { backend: candidate, skipped };
    } catch (e) {
      skipped.push({ id: candidate.id, reason: (e as Error).message });
    }
  }
  const lines = skipped.map((s) => `  - ${s.id}: ${s.reason}`).join('\n');
  throw new BackendUnavailableError(
    (w) =>
      `No usable backend for '${wanted.join(', ')}'.\n${lines}\n` +
      `Install or register a backend (e.g. import '@strotss/backend-node'), or pick another with ${w.option('backend') ?? 'backend'}.`,
    skipped,
  );
}
