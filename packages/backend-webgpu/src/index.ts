// @strotss/backend-webgpu: registers the WebGPU backend with the core on import.
import { registerBackend } from '@strotss/core';
import { createWebGpuBackend } from './webgpu-backend.js';

export { createWebGpuBackend } from './webgpu-backend.js';
export { CacheStorageWeightsCache, type CacheStorageLike } from './browser-weights-cache.js';

registerBackend(createWebGpuBackend());
