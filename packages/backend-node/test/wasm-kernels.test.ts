import { describe, expect, it } from 'vitest';
import { tf, resolveBackend } from '@strotss/core';
import '../src/index.js';
import { shareWasmIdentityBuffers } from '../src/wasm-kernels.js';

describe('wasm Identity override', () => {
  it('clones share the buffer (no new allocation) and outlive the original', async () => {
    await resolveBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    shareWasmIdentityBuffers(); // idempotent: the backend's init installed it already
    const backend = tf.engine().backend;
    const x = tf.tensor2d([1, 2, 3, 4.5], [2, 2]);
    const before = backend.numDataIds();
    const saved = tf.clone(x);
    expect(backend.numDataIds()).toBe(before);
    x.dispose();
    expect(Array.from(await saved.data())).toEqual([1, 2, 3, 4.5]);
    saved.dispose();
    expect(backend.numDataIds()).toBe(before - 1);
  });

  it('gives the same gradient as before through ops that save their inputs', async () => {
    await resolveBackend('wasm');
    const x = tf.tensor1d([0.5, -1, 2]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.square(v), v)))(x);
    expect(Array.from(await g.data())).toEqual([0.75, 3, 12]);
    tf.dispose([x, g]);
  });
});
