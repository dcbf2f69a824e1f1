/**
 * @strotss/backend-node: registers the Node backends (tensorflow → native → wasm → cpu) with the
 * core on import, and provides the Node adapters (image files, weights from disk or URL).
 *
 * @module @strotss/backend-node
 */
import { registerNodeBackends } from './settings.js';

export * from './backends.js';
export * from './settings.js';
export { createNativeBackend, nativeBackendStats, releaseNativeSessions, resolveNativeOptions, parseNativeThreads, MAX_NATIVE_THREADS, type NativeBackendOptions } from './native/native-backend.js';
export { defaultWasmThreads, parseWasmThreads, MAX_WASM_THREADS } from './wasm-threads.js';
export * from './image-io.js';
export * from './memory-models.js';
export * from './atomic-write.js';
export * from './fs-byte-source.js';
export * from './weights.js';
export * from './fs-weights-cache.js';

registerNodeBackends();
export * from './worker-thread.js';
export * from './checkpoint-file.js';
