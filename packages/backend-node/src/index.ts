// @strotss/backend-node: registers the Node backends (tensorflow → wasm → cpu) with the core
// on import, and provides the Node adapters (image files, weights from disk or URL).
import { registerBackend } from '@strotss/core';
import { createCpuBackend, createTensorflowBackend, createWasmBackend } from './backends.js';

export * from './backends.js';
export { defaultWasmThreads, parseWasmThreads, MAX_WASM_THREADS } from './wasm-threads.js';
export * from './image-io.js';
export * from './atomic-write.js';
export * from './fs-byte-source.js';
export * from './weights.js';
export * from './fs-weights-cache.js';

registerBackend(createTensorflowBackend());
registerBackend(createWasmBackend());
registerBackend(createCpuBackend());
