// `native`: the CPU backend on ONNX Runtime (MLAS, native threads, AVX-512 where the CPU has it).
// TF.js runs the small operations on the wasm backend's kernels and heap (the same backend instance,
// registered a second time as `native`); the heavy stages run as ONNX Runtime sessions through the
// core's fused named kernels (see native-kernels.ts).
import { availableParallelism } from 'node:os';
import { tf, type StrotssBackend } from '@strotss/core';
import { loadOrtRuntime } from './ort-runtime.js';
import { checkMachineWorkload, NATIVE_MEMORY } from '../memory-models.js';
import { NativeKernelState, registerNativeKernels, type NativeKernelStats } from './native-kernels.js';

/** Settings of the `native` backend; environment variables only fill the defaults. */
export interface NativeBackendOptions {
  /**
   * ONNX Runtime threads for the heavy stages. Default `$STROTSS_NATIVE_THREADS`, else every core
   * this process may use.
   */
  threads?: number;
  /**
   * Let ONNX Runtime's idle threads spin between its parallel sections (default true: measured
   * faster; turn off to leave the CPU to other work between runs). `$STROTSS_NATIVE_SPINNING=0` turns it off.
   */
  spinning?: boolean;
}

let activeState: NativeKernelState | undefined;

/**
 * Frees the native backend's ONNX Runtime sessions and their memory arenas. They are kept between
 * jobs with the same weights (a second job starts without building or loading them); a process that
 * is done stylising, or wants the memory for something else, can release them. Returns whether any were held.
 */
export function releaseNativeSessions(): boolean {
  if (!activeState) return false;
  activeState.releaseSessions();
  return true;
}

/** What the native backend's kernels did in this process so far (runs, milliseconds, sessions); undefined before it started. */
export function nativeBackendStats(): NativeKernelStats | undefined {
  return activeState && structuredClone(activeState.stats);
}

/** The most threads the setting accepts. */
export const MAX_NATIVE_THREADS = 256;

/** Validates a thread count (1…256); throws naming the value and the range. */
export function parseNativeThreads(value: string | number, label = 'native threads'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_NATIVE_THREADS) {
    throw new Error(`${label} must be an integer from 1 to ${MAX_NATIVE_THREADS}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The settings with every default filled from `env` and the machine. */
export function resolveNativeOptions(options: NativeBackendOptions = {}, env: NodeJS.ProcessEnv = process.env): Required<NativeBackendOptions> {
  const rawThreads = env.STROTSS_NATIVE_THREADS;
  const threads =
    options.threads != null
      ? parseNativeThreads(options.threads, 'native threads')
      : rawThreads != null && rawThreads !== ''
        ? parseNativeThreads(rawThreads, 'STROTSS_NATIVE_THREADS')
        : Math.max(1, availableParallelism());
  const spinning = options.spinning ?? env.STROTSS_NATIVE_SPINNING !== '0';
  return { threads, spinning };
}


/**
 * The `native` StrotssBackend. `initWasm` initialises TF.js' wasm backend (the small operations run
 * on its kernels and heap); the heavy stages run on onnxruntime-node, an optional dependency: when
 * it cannot load, the backend is unavailable with the reason.
 */
export function createNativeBackend(
  initWasm: () => Promise<void>,
  options: NativeBackendOptions = {},
  loadRuntime: () => ReturnType<typeof loadOrtRuntime> = loadOrtRuntime,
): StrotssBackend {
  const backend: StrotssBackend = {
    id: 'native',
    priority: 22,
    precision: 'fp32',
    description: 'native CPU (ONNX Runtime)',
    isSupported: async () => loadRuntime().runtime != null,
    unsupportedReason: async () => loadRuntime().reason,
    init: async () => {
      const { runtime, reason } = loadRuntime();
      if (!runtime) throw new Error(reason);
      const settings = resolveNativeOptions(options);
      await initWasm();
      const state = (activeState = new NativeKernelState(runtime, { threads: settings.threads, spinning: settings.spinning }));
      aliasWasmBackend('native', state);
      if (!(await tf.setBackend('native'))) throw new Error('the native backend failed to initialise');
      backend.description = `native CPU (ONNX Runtime ${runtime.version}, MLAS, ${settings.threads} thread${settings.threads === 1 ? '' : 's'})`;
    },
    checkWorkload: (workload) => checkMachineWorkload(workload, NATIVE_MEMORY, 'native'),
  };
  return backend;
}

/**
 * Registers TF.js backend `name` as the wasm backend's instance with the wasm kernels plus the
 * native ones: tensors need no copy between the two, and every op TF.js has runs as on wasm.
 */
function aliasWasmBackend(name: string, state: NativeKernelState): void {
  // Registered once per process (removeBackend would dispose the shared wasm instance).
  if (tf.findBackendFactory(name) != null) return;
  const wasm = tf.findBackend('wasm');
  if (!wasm) throw new Error('the wasm backend is not initialised');
  for (const kernel of tf.getKernelsForBackend('wasm')) {
    if (tf.getKernel(kernel.kernelName, name)) tf.unregisterKernel(kernel.kernelName, name);
    tf.registerKernel({ ...kernel, backendName: name });
  }
  registerNativeKernels(name, state);
  tf.registerBackend(name, () => wasm as unknown as tf.KernelBackend, 2);
}
