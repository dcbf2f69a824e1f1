// The backends a page or a Web Worker registers: WebGPU (navigator.gpu) and wasm (TF.js WebAssembly
// with this project's wasm kernels), plus the Cache API for downloaded weights.
import { registerBackend, type WeightsCache } from '@strotss/core';
import { CacheStorageWeightsCache, createWebGpuBackend } from '@strotss/backend-webgpu';
import { createBrowserWasmBackend, type WasmPaths } from '@strotss/backend-node/browser-wasm';

/** What the page tells the code that registers backends (sent to the worker as its setup). */
export interface BrowserSetup {
  /** Where TF.js' .wasm files are served (see createBrowserWasmBackend). */
  wasmPaths?: WasmPaths;
}

let registered = false;

/** Registers the webgpu and wasm backends once per page or worker (the first setup's wasm paths win); returns nothing. */
export function registerBrowserBackends(setup: BrowserSetup = {}): void {
  if (registered) return;
  registered = true;
  registerBackend(createWebGpuBackend());
  registerBackend(createBrowserWasmBackend({ wasmPaths: setup.wasmPaths }));
}

/** Returns the Cache API weights cache, or undefined where there is none (insecure origins). */
export function browserWeightsCache(): WeightsCache | undefined {
  try {
    return new CacheStorageWeightsCache();
  } catch {
    return undefined;
  }
}
