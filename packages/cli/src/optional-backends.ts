import { registerBackend, type StrotssBackend } from '@strotss/core';
import { importFailureReason } from '@strotss/backend-node';

let loading: Promise<void> | undefined;

/**
 * Registers the backends of optional packages (WebGPU: @strotss/backend-webgpu, Dawn in Node) once.
 * A package that cannot load still shows in `strotss backends`, as unavailable with the reason.
 */
export function registerOptionalBackends(importModule: (specifier: string) => Promise<unknown> = (s) => import(s)): Promise<void> {
  return (loading ??= (async () => {
    const specifier = '@strotss/backend-webgpu';
    try {
      await importModule(specifier);
    } catch (e) {
      const reason = importFailureReason(specifier, e);
      const placeholder: StrotssBackend = {
        id: 'webgpu',
        priority: 25,
        precision: 'fp32',
        description: 'WebGPU (@strotss/backend-webgpu)',
        isSupported: async () => false,
        unsupportedReason: async () => reason,
        init: async () => {
          throw new Error(reason);
        },
      };
      registerBackend(placeholder);
    }
  })());
}
