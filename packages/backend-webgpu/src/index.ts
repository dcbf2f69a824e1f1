/**
 * @strotss/backend-webgpu: registers the WebGPU backend with the core on import. In browsers it
 * uses navigator.gpu; in Node, Dawn's bindings (the optional `webgpu` package).
 *
 * @module @strotss/backend-webgpu
 */
import { registerBackend } from '@strotss/core';
import { createWebGpuBackend } from './webgpu-backend.js';

export { createWebGpuBackend, type WebGpuBackendOptions, type WebGpuStrotssBackend } from './webgpu-backend.js';
export { navigatorAdapterSource, describeAdapter, softwareAdapterName, type AdapterChoice, type AdapterSource } from './adapter-source.js';
export { checkActivationFits, largestActivation, type BufferLimits } from './activation-limits.js';
export { maximisedLimits, openDevice } from './device.js';
export { importFailureReason, type ModuleImporter } from './import-module.js';
export { CacheStorageWeightsCache, type CacheStorageLike } from './browser-weights-cache.js';
export type { Gpu, GpuAdapter, GpuAdapterInfo, GpuDevice, GpuLimits, GpuRequestAdapterOptions } from './gpu-types.js';

registerBackend(createWebGpuBackend());
export { registerWebGpuKernels } from './kernels/register.js';
