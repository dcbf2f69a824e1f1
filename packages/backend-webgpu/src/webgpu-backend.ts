import { tf, type BackendWorkload, type StrotssBackend } from '@strotss/core';
import { navigatorAdapterSource, type AdapterChoice, type AdapterSource } from './adapter-source.js';
import { checkActivationFits } from './activation-limits.js';
import { openDevice } from './device.js';
import type { GpuDevice } from './gpu-types.js';
import { importFailureReason, type ModuleImporter } from './import-module.js';
import { registerWebGpuKernels } from './kernels/register.js';

/** Options of {@link createWebGpuBackend}. */
export interface WebGpuBackendOptions {
  /**
   * Where the adapter comes from. Default: `navigator.gpu` where it exists (browsers), else in Node
   * Dawn's bindings (the optional `webgpu` package; see dawnAdapterSource for its env variables).
   */
  adapterSource?: AdapterSource;
  /** Loads `@tensorflow/tfjs-backend-webgpu` and, in Node, `webgpu`; injectable for tests. */
  importModule?: ModuleImporter;
  /**
   * In Node, probe Dawn's adapters in a child process, keeping what Dawn, Vulkan and Mesa print on
   * stderr out of this process's output (default: true, unless `importModule` is injected).
   */
  probeInChild?: boolean;
}

/** The webgpu StrotssBackend, which also tells which adapter it found. */
export interface WebGpuStrotssBackend extends StrotssBackend {
  /** The adapter isSupported() found (probing if needed), or undefined when there is none. */
  adapterChoice(): Promise<AdapterChoice | undefined>;
}

type WebGpuModule = { WebGPUBackend: new (device: GpuDevice, adapterInfo?: unknown) => tf.KernelBackend };

const isNode = () => typeof process === 'object' && typeof process.versions?.node === 'string';

/** The default adapter source of this runtime: navigator.gpu, else Dawn in Node, else none (with the reason). */
async function defaultAdapterSource(
  importModule: ModuleImporter,
  probeInChild: boolean,
  onDiagnostics: (text: string) => void,
): Promise<AdapterSource> {
  if ((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu) return navigatorAdapterSource();
  if (isNode()) {
    const { dawnAdapterSource } = await import('./dawn-adapter-source.js');
    return dawnAdapterSource({ importModule, probeInChild, onDiagnostics });
  }
  return navigatorAdapterSource();
}

/**
 * `webgpu`: TF.js' WebGPU backend on an adapter from `navigator.gpu` (browsers) or Dawn (Node), on a
 * device opened with the adapter's maximum buffer limits. Priority 25: after the native TensorFlow
 * backend (30), before wasm (20). isSupported() finds the adapter; init() opens the device and
 * registers the tfjs backend on it; checkWorkload() refuses a job whose activations cannot bind.
 */
export function createWebGpuBackend(options: WebGpuBackendOptions = {}): WebGpuStrotssBackend {
  // The tfjs package is imported by a literal specifier so that bundlers (browser apps) include
  // it; 'webgpu' and node:fs stay dynamic: they exist only in Node.
  const importModule =
    options.importModule ??
    ((s: string) => (s === '@tensorflow/tfjs-backend-webgpu' ? import('@tensorflow/tfjs-backend-webgpu') : import(/* @vite-ignore */ s)));
  let probe: Promise<{ choice?: AdapterChoice; reason?: string }> | undefined;
  let diagnostics: string | undefined;
  const probeInChild = options.probeInChild ?? options.importModule === undefined;
  const find = () =>
    (probe ??= (async () => {
      try {
        const source = options.adapterSource ?? (await defaultAdapterSource(importModule, probeInChild, (t) => (diagnostics = t)));
        return { choice: await source.find() };
      } catch (e) {
        return { reason: (e as Error).message };
      }
    })());
  let device: GpuDevice | undefined;
  let label = '';
  const backend: WebGpuStrotssBackend = {
    id: 'webgpu',
    priority: 25,
    precision: 'fp32',
    description: 'WebGPU (@tensorflow/tfjs-backend-webgpu)',
    isSupported: async () => {
      const { choice } = await find();
      if (choice) backend.description = `WebGPU on ${choice.label}`;
      return choice != null;
    },
    unsupportedReason: async () => (await find()).reason,
    diagnostics: () => diagnostics,
    adapterChoice: async () => (await find()).choice,
    init: async () => {
      const { choice, reason } = await find();
      if (!choice) throw new Error(reason);
      let webgpu: WebGpuModule;
      try {
        // Imported before the globals are installed: with navigator.gpu absent at import, the package
        // registers its kernels but not its own 'webgpu' factory (which would pick its own adapter).
        webgpu = (await importModule('@tensorflow/tfjs-backend-webgpu')) as WebGpuModule;
      } catch (e) {
        throw new Error(importFailureReason('@tensorflow/tfjs-backend-webgpu', e));
      }
      choice.installGlobals();
      device = await openDevice(choice.adapter, choice.label);
      label = choice.label;
      const opened = device;
      // A factory registered by the package itself (browsers) is replaced by one on our device.
      if (tf.findBackendFactory('webgpu') != null) tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(opened, choice.adapter.info), 3);
      if (!(await tf.setBackend('webgpu'))) throw new Error(`the webgpu backend failed to initialise on ${label}`);
      // The core's fused kernels as WebGPU programs: a few hundred dispatches per iteration fewer.
      registerWebGpuKernels();
    },
    checkWorkload: (workload: BackendWorkload) => {
      if (device) checkActivationFits(workload, device.limits, label);
    },
    // The losses of step t are read while steps t+1 and t+2 are queued: the loop never waits on the GPU.
    readbackLag: 2,
  };
  return backend;
}
