import { tf, importFailureReason, type StrotssBackend } from '@strotss/core';
import { activateThreadedWasm, defaultWasmThreads, parseWasmThreads } from './wasm-threads.js';
import { registerWasmKernels } from './wasm-kernels.js';
import { checkMachineWorkload, checkWasmWorkload, JS_MEMORY } from './memory-models.js';

/** Imports a module by name; injectable so the optional-peer paths can be tested where the peers are absent. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const defaultImporter: ModuleImporter = (specifier) => import(specifier);

// Shared with @strotss/backend-webgpu and the CLI; re-exported here for existing importers.
export { importFailureReason };

/**
 * `tensorflow`: TensorFlow's native runtime through the optional peers
 * `@tensorflow/tfjs-node-gpu` (CUDA) or else `@tensorflow/tfjs-node` (oneDNN CPU). Both
 * download libtensorflow at install time, so they are never in the default install path.
 */
export function createTensorflowBackend(importModule: ModuleImporter = defaultImporter): StrotssBackend {
  const candidates = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];
  let probe: Promise<{ module?: string; reasons: string[] }> | undefined;
  const load = () =>
    (probe ??= (async () => {
      const reasons: string[] = [];
      for (const specifier of candidates) {
        try {
          await importModule(specifier);
          return { module: specifier, reasons };
        } catch (error) {
          reasons.push(importFailureReason(specifier, error));
        }
      }
      return { reasons };
    })());
  return {
    id: 'tensorflow',
    priority: 30,
    precision: 'fp32',
    description: 'TensorFlow native (CUDA via @tensorflow/tfjs-node-gpu, else CPU via @tensorflow/tfjs-node)',
    isSupported: async () => (await load()).module != null,
    unsupportedReason: async () => {
      const { module, reasons } = await load();
      return module ? undefined : reasons.join('; ');
    },
    init: async () => {
      const { module, reasons } = await load();
      if (!module) throw new Error(reasons.join('; '));
      if (tf.findBackend('tensorflow') == null) throw new Error(`${module} loaded but registered no 'tensorflow' backend`);
    },
    // Unmeasured here (libtensorflow cannot be installed on the build machine): the JS backends' model.
    checkWorkload: (workload) => checkMachineWorkload(workload, JS_MEMORY, 'tensorflow'),
  };
}

/** Options of the `wasm` backend. */
export interface WasmBackendOptions {
  /**
   * Threads for XNNPACK (1…8). Default: `$STROTSS_WASM_THREADS`, else every core this process
   * may use. More than one starts the threaded build (see wasm-threads.ts); if that cannot
   * start, the backend falls back to one thread and says why in its description.
   */
  threads?: number;
}

/**
 * Initialises TF.js' wasm backend once (threaded XNNPACK where possible, this package's wasm
 * kernels registered) and leaves it selected; resolves to its description. Shared by the `wasm`
 * and `native` backends (the latter runs its small operations on wasm's kernels).
 */
export function wasmInitializer(importModule: ModuleImporter = defaultImporter, options: WasmBackendOptions = {}): () => Promise<string> {
  let started: Promise<string> | undefined;
  const start = async (): Promise<string> => {
    const wanted = options.threads != null ? parseWasmThreads(options.threads, 'wasm threads') : defaultWasmThreads();
    const wasmPackage = (await importModule('@tensorflow/tfjs-backend-wasm')) as Parameters<typeof activateThreadedWasm>[0];
    registerWasmKernels('wasm');
    let description = 'WebAssembly (XNNPACK, SIMD), 1 thread';
    if (wanted > 1) {
      try {
        const threads = await activateThreadedWasm(wasmPackage, wanted);
        return `WebAssembly (XNNPACK, SIMD), ${threads} threads`;
      } catch (error) {
        description = `WebAssembly (XNNPACK, SIMD), 1 thread (the threaded build failed: ${String((error as Error)?.message ?? error).split('\n')[0]})`;
      }
    }
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    return description;
  };
  return () => {
    started ??= start();
    started.catch(() => (started = undefined));
    return started;
  };
}

/** `wasm`: TF.js WebAssembly with SIMD (XNNPACK), on every core through the threaded build. */
export function createWasmBackend(
  importModule: ModuleImporter = defaultImporter,
  options: WasmBackendOptions = {},
  init: () => Promise<string> = wasmInitializer(importModule, options),
): StrotssBackend {
  const backend: StrotssBackend = {
    id: 'wasm',
    priority: 20,
    precision: 'fp32',
    description: 'WebAssembly (XNNPACK, SIMD)',
    isSupported: async () => typeof WebAssembly === 'object',
    unsupportedReason: async () => (typeof WebAssembly === 'object' ? undefined : 'WebAssembly is not available'),
    init: async () => {
      backend.description = await init();
      if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialise');
    },
    checkWorkload: checkWasmWorkload,
  };
  return backend;
}

/** `cpu`: TF.js' plain JavaScript backend; always works, ≈30× slower than wasm. */
export function createCpuBackend(importModule: ModuleImporter = defaultImporter): StrotssBackend {
  return {
    id: 'cpu',
    priority: 10,
    precision: 'fp32',
    description: 'plain JavaScript (slowest; always available)',
    isSupported: async () => true,
    init: async () => {
      await importModule('@tensorflow/tfjs-backend-cpu');
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
    },
    checkWorkload: (workload) => checkMachineWorkload(workload, JS_MEMORY, 'cpu'),
  };
}
