// TF.js' .wasm files as build assets: the bundler copies them and gives their URLs, which the hook
// hands to the wasm backend (in the worker or on this thread).
import plain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import simd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

/** The .wasm file URLs by the names TF.js asks for, absolute (the worker resolves them against its own URL otherwise). */
export const WASM_PATHS: Record<string, string> = Object.fromEntries(
  Object.entries({
    'tfjs-backend-wasm.wasm': plain,
    'tfjs-backend-wasm-simd.wasm': simd,
    'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd,
  }).map(([name, url]) => [name, new URL(url, location.href).toString()]),
);
