import { WorkloadTooLargeError, type Wording } from './errors.js';
import type { BackendWorkload } from './backend.js';
import type { FeatureExtractorPreset } from './model/presets.js';

/** Floats of VGG activations per input pixel: Σ over convs of channels / 4^(pools before it) (270 for VGG16). */
export function activationFloatsPerPixel(preset: FeatureExtractorPreset): number {
  let area = 1;
  let floats = 0;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') area /= 4;
    else floats += layer.outChannels * area;
  }
  return floats;
}

/**
 * How much memory a backend needs for a job, measured (bench/RESULTS.md, "Memory model"): a fixed
 * part (weights, style samples, runtime) plus `activationCopies` times the VGG activations of the
 * largest image at the last scale.
 */
export interface MemoryModel {
  fixedBytes: number;
  activationCopies: number;
}

/** The largest image of `workload` at long side `size`, in pixels, and which it is. */
function largestImage(workload: BackendWorkload, size: number): { pixels: number; label: string; width: number; height: number } {
  let worst = { pixels: 0, label: '', width: 0, height: 0 };
  for (const img of workload.imagesAt(size)) {
    if (img.width * img.height > worst.pixels) worst = { pixels: img.width * img.height, ...img };
  }
  return worst;
}

/** Bytes a job needs at long side `size` under `model` (default: the job's own size). */
export function workloadBytes(workload: BackendWorkload, model: MemoryModel, size = workload.size): number {
  const floats = activationFloatsPerPixel(workload.model) * largestImage(workload, size).pixels;
  return model.fixedBytes + model.activationCopies * floats * workload.bytesPerElement;
}

/** The largest long side ≤ `workload.size` for which `fits(size)` holds (0 when none does); `fits` must be monotone. */
export function largestFittingSize(workload: BackendWorkload, fits: (size: number) => boolean): number {
  let lo = 0;
  let hi = workload.size;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** `n` bytes as GiB (or MiB below 1 GiB) for messages. */
export function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`;
}

/** Options of {@link checkWorkloadMemory}. */
export interface MemoryCheck {
  model: MemoryModel;
  /** Bytes the backend can give the job. */
  limitBytes: number;
  /** What that limit is, e.g. "the wasm backend's 4 GiB memory". */
  limitName: string;
  /** What else to do, worded per front end (e.g. "or use the native backend (--backend native)"). */
  alternative?: (w: Wording) => string;
}

/**
 * Throws WorkloadTooLargeError, before the job runs, when its estimated memory exceeds the limit,
 * naming the estimate, the limit, the image that sets it and the largest `size` that fits.
 */
export function checkWorkloadMemory(workload: BackendWorkload, check: MemoryCheck): void {
  const need = workloadBytes(workload, check.model);
  if (need <= check.limitBytes) return;
  const fits = largestFittingSize(workload, (size) => workloadBytes(workload, check.model, size) <= check.limitBytes);
  const worst = largestImage(workload, workload.size);
  throw new WorkloadTooLargeError(
    (w) => {
      const size = w.option('size') ?? 'size';
      return (
        `${size} ${workload.size} is too large here: the ${w.input(worst.label, `${worst.label} image`)} becomes ${worst.width}×${worst.height} ` +
        `at the last scale, and the job needs about ${formatBytes(need)}, over ${check.limitName} (${formatBytes(check.limitBytes)}). ` +
        (fits > 0 ? `Use ${size} ${fits} or less` : `No size fits`) +
        (check.alternative ? `, ${check.alternative(w)}.` : '.')
      );
    },
    { details: { option: 'size', value: workload.size, limit: check.limitBytes, fits } },
  );
}
