import { describe, expect, it } from 'vitest';
import { tf } from '@strotss/core';
import * as wasmPackage from '@tensorflow/tfjs-backend-wasm';
import { activateThreadedWasm, defaultWasmThreads, parseWasmThreads } from '../src/wasm-threads.js';

/** A conv + matmul workload large enough for XNNPACK to split it across threads. */
function workload(): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.randomUniform([1, 40, 56, 32], -1, 1, 'float32', 7);
    const w = tf.randomUniform([3, 3, 32, 48], -1, 1, 'float32', 8);
    const a = tf.randomUniform([300, 517], -1, 1, 'float32', 9);
    const b = tf.randomUniform([517, 260], -1, 1, 'float32', 10);
    return [tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync() as Float32Array, tf.matMul(a, b).dataSync() as Float32Array];
  });
}

describe('threaded wasm in Node', () => {
  it('validates thread counts with an error naming the value', () => {
    expect(parseWasmThreads('4')).toBe(4);
    expect(() => parseWasmThreads('0', 'STROTSS_WASM_THREADS')).toThrow(/STROTSS_WASM_THREADS must be an integer from 1 to 8, got "0"/);
    expect(() => parseWasmThreads(9)).toThrow(/from 1 to 8, got 9/);
    expect(defaultWasmThreads({ STROTSS_WASM_THREADS: '3' })).toBe(3);
    expect(defaultWasmThreads({})).toBeGreaterThanOrEqual(1);
  });

  it('runs two XNNPACK threads and gives the same numbers as the single-threaded build', async () => {
    const original = tf.findBackendFactory('wasm');
    expect(original).toBeDefined();
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    expect(await tf.setBackend('wasm')).toBe(true);
    expect(wasmPackage.getThreadsCount()).toBe(1);
    const single = workload();

    const threads = await activateThreadedWasm(wasmPackage, 2);
    expect(threads).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const threaded = workload();
    expect(tf.memory().numTensors).toBe(before);
    for (let k = 0; k < single.length; k++) {
      let worst = 0;
      for (let i = 0; i < single[k].length; i++) worst = Math.max(worst, Math.abs(single[k][i] - threaded[k][i]));
      // XNNPACK splits the output across threads; each output element keeps its summation order.
      expect(worst, `output ${k}`).toBe(0);
    }
  });
});
