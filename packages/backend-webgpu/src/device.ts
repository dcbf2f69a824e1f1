import type { GpuAdapter, GpuDevice } from './gpu-types.js';

/**
 * Limits requested at the adapter's maximum rather than WebGPU's defaults: the binding and buffer
 * sizes bound the largest activation (a 64-channel 1024×768 float32 map is 201 MB, over the 128 MiB
 * default); the others let tfjs' shaders use big workgroups and many bindings (compatibility mode
 * defaults to 4 storage buffers per stage).
 */
const MAXIMISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** The requiredLimits that ask `adapter` for its maximum of every limit in MAXIMISED_LIMITS it reports. */
export function maximisedLimits(adapter: GpuAdapter): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of MAXIMISED_LIMITS) {
    const value = adapter.limits[name];
    if (typeof value === 'number' && Number.isFinite(value)) out[name] = value;
  }
  return out;
}

/**
 * Opens a device on `adapter` with its maximum buffer limits. Uncaptured GPU errors (validation,
 * out-of-memory) would otherwise vanish and leave wrong numbers; the first one is reported on stderr.
 */
export async function openDevice(adapter: GpuAdapter, label: string): Promise<GpuDevice> {
  let device: GpuDevice;
  try {
    device = await adapter.requestDevice({ label: 'strotss', requiredLimits: maximisedLimits(adapter) });
  } catch (e) {
    throw new Error(`${label}: requestDevice() failed: ${(e as Error).message}`);
  }
  let reported = false;
  device.addEventListener?.('uncapturederror', (event) => {
    if (reported) return;
    reported = true;
    console.error(`strotss webgpu: GPU error on ${label}: ${event.error.message}`);
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`strotss webgpu: device lost on ${label}: ${info.message}`);
  });
  return device;
}
