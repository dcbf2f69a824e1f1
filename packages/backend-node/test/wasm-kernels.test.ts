import { describe, expect, it } from 'vitest';
import { tf, resolveBackend, StrotssKernel } from '@strotss/core';
import '../src/index.js';
import { registerWasmKernels } from '../src/wasm-kernels.js';

describe('wasm Identity override', () => {
  it('clones share the buffer (no new allocation) and outlive the original', async () => {
    await resolveBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    registerWasmKernels('wasm'); // idempotent: the backend's init installed them already
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

describe('wasm variants of the core named kernels', () => {
  /** Runs `f` on the cpu backend (the core defaults) and on wasm (this package's variants); returns both results. */
  async function onBoth(f: () => tf.Tensor): Promise<{ cpu: Float32Array; wasm: Float32Array }> {
    await resolveBackend('cpu');
    const c = f();
    const cpu = (await c.data()) as Float32Array;
    c.dispose();
    await resolveBackend('wasm');
    const w = f();
    const wasm = (await w.data()) as Float32Array;
    w.dispose();
    return { cpu, wasm };
  }
  const seeded = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, 'float32', seed);

  it('are registered for wasm and run instead of the defaults', async () => {
    await resolveBackend('wasm');
    // The fused objective kernels are native's; the pyramid and RMSprop kernels are webgpu's (on wasm the core's ops are as fast).
    for (const name of Object.values(StrotssKernel).filter((n) => !/Objective|Hypercolumns|Pyramid|Rmsprop/.test(n))) {
      expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
    }
    expect(tf.getKernel(StrotssKernel.SumAll, 'cpu')).toBeUndefined();
  });

  it('give the defaults’ values (within float32 rounding) and their gradients', async () => {
    const { ops } = await import('@strotss/core/ops').then((m) => ({ ops: m }));
    const cases: Array<[string, () => tf.Tensor, number]> = [
      ['sumAll', () => tf.tidy(() => ops.sumAll(seeded([300, 700], 1))), 1e-4],
      ['exactSign', () => tf.tidy(() => ops.exactSign(tf.tensor1d([1e-8, -1e-8, 0, 3, -2]))), 0],
      ['takeRows', () => tf.tidy(() => ops.takeRows(seeded([50, 33], 2) as tf.Tensor2D, tf.tensor1d([4, 0, 4, 49], 'int32'))), 0],
      ['matMulABt (a taller)', () => tf.tidy(() => ops.matMulABt(seeded([70, 40], 3) as tf.Tensor2D, seeded([20, 40], 4) as tf.Tensor2D)), 1e-5],
      ['matMulABt (b taller)', () => tf.tidy(() => ops.matMulABt(seeded([20, 40], 5) as tf.Tensor2D, seeded([70, 40], 6) as tf.Tensor2D)), 1e-5],
      ['matMulAtB (chunked)', () => tf.tidy(() => ops.matMulAtB(seeded([300, 17], 7) as tf.Tensor2D, seeded([300, 9], 8) as tf.Tensor2D)), 1e-5],
      [
        'gradient through matMulABt',
        () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(ops.matMulABt(a as tf.Tensor2D, seeded([9, 5], 9) as tf.Tensor2D))))(seeded([6, 5], 10))),
        1e-5,
      ],
      [
        'gradient through matMulAtB',
        () => tf.tidy(() => tf.grad((a: tf.Tensor) => tf.sum(tf.square(ops.matMulAtB(a as tf.Tensor2D, seeded([100, 4], 11) as tf.Tensor2D))))(seeded([100, 3], 12))),
        1e-4,
      ],
    ];
    for (const [name, f, tol] of cases) {
      const { cpu, wasm } = await onBoth(f);
      expect(wasm.length, name).toBe(cpu.length);
      const scale = Math.max(1, ...Array.from(cpu, Math.abs));
      const worst = Math.max(0, ...Array.from(wasm, (v, i) => Math.abs(v - cpu[i])));
      expect(worst / scale, name).toBeLessThanOrEqual(tol);
    }
    const { wasm: signs } = await onBoth(() => ops.exactSign(tf.tensor1d([1e-8, -1e-8, 0])));
    expect(Array.from(signs)).toEqual([1, -1, 0]);
  });

  it('Conv2DBackpropInput by the flipped kernel equals the cpu backend’s, and other cases still run', async () => {
    const dy = () => seeded([1, 7, 5, 6], 20) as tf.Tensor4D;
    const filter = () => seeded([3, 3, 4, 6], 21) as tf.Tensor4D;
    const same = await onBoth(() => tf.tidy(() => tf.conv2dTranspose(dy(), filter(), [1, 7, 5, 4], 1, 'same')));
    const worst = Math.max(...Array.from(same.wasm, (v, i) => Math.abs(v - same.cpu[i])));
    expect(worst).toBeLessThan(1e-5);
    const strided = await onBoth(() =>
      tf.tidy(() => tf.conv2dTranspose(seeded([1, 4, 3, 6], 22) as tf.Tensor4D, filter(), [1, 8, 6, 4], 2, 'same')),
    );
    expect(Math.max(...Array.from(strided.wasm, (v, i) => Math.abs(v - strided.cpu[i])))).toBeLessThan(1e-5);
  });
});
