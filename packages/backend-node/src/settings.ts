import { registerBackend, unregisterBackend } from '@strotss/core';
import { createCpuBackend, createTensorflowBackend, createWasmBackend, wasmInitializer, type ModuleImporter, type WasmBackendOptions } from './backends.js';
import { createNativeBackend, type NativeBackendOptions } from './native/native-backend.js';

/**
 * The settings of @strotss/backend-node: which backends it registers and how each runs. `false`
 * leaves a backend out (`auto` never picks it, `--backend` cannot name it); environment variables
 * (`STROTSS_NATIVE_THREADS`, `STROTSS_NATIVE_SPINNING`, `STROTSS_WASM_THREADS`) only fill defaults.
 */
export interface NodeBackendSettings {
  /** `tensorflow` (optional peers @tensorflow/tfjs-node-gpu / @tensorflow/tfjs-node). Default on. */
  tensorflow?: boolean;
  /** `native`: ONNX Runtime on the CPU (optional dependency onnxruntime-node). Default on. */
  native?: boolean | NativeBackendOptions;
  /** `wasm`: TF.js WebAssembly (XNNPACK). Default on. Its threads also serve `native`'s small operations. */
  wasm?: boolean | WasmBackendOptions;
  /** `cpu`: TF.js plain JavaScript. Default on. */
  cpu?: boolean;
  /** Loads optional packages; injectable for tests. */
  importModule?: ModuleImporter;
}

const NODE_BACKENDS = ['tensorflow', 'native', 'wasm', 'cpu'] as const;

/**
 * Registers this package's backends with the core under `settings` (the package does this with the
 * defaults when imported; call it again, before the first job, to change them).
 */
export function registerNodeBackends(settings: NodeBackendSettings = {}): void {
  const importModule = settings.importModule ?? ((s: string) => import(s));
  const wasmOptions = typeof settings.wasm === 'object' ? settings.wasm : {};
  const initWasm = wasmInitializer(importModule, wasmOptions);
  for (const id of NODE_BACKENDS) unregisterBackend(id);
  if (settings.tensorflow !== false) registerBackend(createTensorflowBackend(importModule));
  if (settings.native !== false) {
    registerBackend(createNativeBackend(async () => void (await initWasm()), typeof settings.native === 'object' ? settings.native : {}));
  }
  if (settings.wasm !== false) registerBackend(createWasmBackend(importModule, wasmOptions, initWasm));
  if (settings.cpu !== false) registerBackend(createCpuBackend(importModule));
}
