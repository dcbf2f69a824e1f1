/**
 * The `wasm` backend for pages and Web Workers: TF.js' WebAssembly backend with this package's wasm
 * kernels (accurate sums, exact sign). Browser-safe: it imports neither Node built-ins nor the Node backends.
 *
 * @module @strotss/backend-node/browser-wasm
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { tf, type StrotssBackend } from '@strotss/core';
import { registerWasmKernels } from './wasm-kernels.js';

/** Where TF.js finds its .wasm files: a folder URL ending in '/', or one URL per file name (bundlers' asset URLs). */
export type WasmPaths = string | Record<string, string>;

/** Options of {@link createBrowserWasmBackend}. */
export interface BrowserWasmBackendOptions {
  /** Where the .wasm files are served (default: TF.js' own default, next to its script). */
  wasmPaths?: WasmPaths;
}

/**
 * Returns the browser `wasm` backend: single-threaded SIMD unless the page is cross-origin isolated
 * (TF.js then picks its threaded build itself). Register it with registerBackend().
 */
export function createBrowserWasmBackend(options: BrowserWasmBackendOptions = {}): StrotssBackend {
  const backend: StrotssBackend = {
    id: 'wasm',
    priority: 20,
    precision: 'fp32',
    description: 'WebAssembly (TF.js wasm, SIMD) in the browser',
    isSupported: async () => typeof WebAssembly === 'object',
    unsupportedReason: async () => (typeof WebAssembly === 'object' ? undefined : 'WebAssembly is not available'),
    init: async () => {
      // Paths are read when the backend first initialises; later calls cannot move them.
      if (options.wasmPaths) setWasmPaths(options.wasmPaths as Parameters<typeof setWasmPaths>[0]);
      registerWasmKernels('wasm');
      if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed: the .wasm files could not be loaded (check wasmPaths)');
    },
  };
  return backend;
}
