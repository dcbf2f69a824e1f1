import { tf, type StrotssBackend } from '@strotss/core';

interface GpuLike {
  requestAdapter(options?: Record<string, unknown>): Promise<unknown | null>;
}

/** The `navigator.gpu` of this environment, if any (browsers; Node once a WebGPU binding installs one). */
function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

/**
 * `webgpu`: TF.js' WebGPU backend over `navigator.gpu`. Priority between the native
 * TensorFlow backend and wasm. tfjs-backend-webgpu registers itself only when `navigator.gpu`
 * exists at import, hence the probe before the dynamic import.
 */
export function createWebGpuBackend(): StrotssBackend {
  let reason: string | undefined;
  return {
    id: 'webgpu',
    priority: 25,
    precision: 'fp32',
    description: 'WebGPU (@tensorflow/tfjs-backend-webgpu)',
    isSupported: async () => {
      const gpu = navigatorGpu();
      if (!gpu) {
        reason = 'navigator.gpu is not available (no WebGPU in this environment)';
        return false;
      }
      try {
        if ((await gpu.requestAdapter()) == null) {
          reason = 'navigator.gpu.requestAdapter() returned no adapter';
          return false;
        }
      } catch (e) {
        reason = `requestAdapter failed: ${(e as Error).message}`;
        return false;
      }
      return true;
    },
    unsupportedReason: async () => reason,
    init: async () => {
      await import('@tensorflow/tfjs-backend-webgpu');
      if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to initialise');
    },
  };
}
