import { WorkloadTooLargeError, type BackendWorkload } from '@strotss/core';

/** The buffer limits an activation must fit, in bytes (a device's granted limits). */
export interface BufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/** The largest full-resolution activation of `workload` at long side `size`, in bytes, and the image it comes from. */
export function largestActivation(workload: BackendWorkload, size: number): { bytes: number; label: string; width: number; height: number } {
  let worst = { bytes: 0, label: '', width: 0, height: 0 };
  for (const img of workload.imagesAt(size)) {
    const bytes = workload.channels * img.width * img.height * workload.bytesPerElement;
    if (bytes > worst.bytes) worst = { bytes, ...img };
  }
  return worst;
}

/** `n` bytes in MiB with one decimal, e.g. "192.0 MiB". */
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/**
 * Throws WorkloadTooLargeError when the workload's largest activation exceeds the storage-binding or
 * buffer limit, naming the largest `size` that fits; returns the bytes that activation needs otherwise.
 */
export function checkActivationFits(workload: BackendWorkload, limits: BufferLimits, adapterLabel: string): number {
  const limit = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const limitName = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  const worst = largestActivation(workload, workload.size);
  if (worst.bytes <= limit) return worst.bytes;
  // Activations grow with size²: start from that estimate and step to the largest size that fits.
  let fits = Math.max(1, Math.floor(workload.size * Math.sqrt(limit / worst.bytes)));
  while (fits > 1 && largestActivation(workload, fits).bytes > limit) fits--;
  while (fits + 1 < workload.size && largestActivation(workload, fits + 1).bytes <= limit) fits++;
  throw new WorkloadTooLargeError(
    (w) =>
      `${w.option('size') ?? 'size'} is ${workload.size}: the ${w.input(worst.label, `${worst.label} image`)} becomes ${worst.width}×${worst.height} at the last scale, and its ` +
      `${workload.channels}-channel float32 activation needs ${mib(worst.bytes)} (${workload.channels} × ${worst.height} × ${worst.width} × ${workload.bytesPerElement} B), ` +
      `over this WebGPU device's ${limitName} of ${mib(limit)} (${adapterLabel}). ` +
      `Lower ${w.option('size') ?? 'size'} to ${fits} or less, or use another backend (${w.option('backend') ?? 'backend'} native or wasm).`,
    { details: { option: 'size', value: workload.size, limit, fits } },
  );
}
