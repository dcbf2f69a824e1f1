// The dispatch counter of @strotss/core/testing (kernels and host reads per iteration, for the
// GPU speed work): exact counts on known op sequences on TF.js' cpu backend, everything put back.
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { DispatchCounter } from '../src/testing/dispatch-counter.js';

let counter: DispatchCounter | undefined;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  counter?.uninstall();
  counter = undefined;
});

describe('DispatchCounter', () => {
  it('counts one kernel per op, reads by kind, and nothing after reset', async () => {
    const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    counter = DispatchCounter.install('cpu');
    const b = tf.tidy(() => tf.add(tf.matMul(a, a), 1));
    let c = counter.snapshot();
    expect(c.byKernel).toEqual({ BatchMatMul: 1, Add: 1 });
    expect(c.kernels).toBe(2);
    expect(c.syncReads + c.asyncReads).toBe(0);
    b.dataSync();
    await b.data();
    await b.data();
    c = counter.snapshot();
    expect(c.syncReads).toBe(1);
    // cpu's read() calls readSync(): still one read each, counted as asynchronous.
    expect(c.asyncReads).toBe(2);
    counter.reset();
    expect(counter.snapshot()).toMatchObject({ kernels: 0, composites: 0, syncReads: 0, asyncReads: 0, byKernel: {} });
    tf.dispose([a, b]);
  });

  it('a kernel made of other kernels is a composite; only its leaves are dispatches', () => {
    // As the backend packages register their variants: a kernelFunc written with TF.js ops.
    tf.registerKernel({
      kernelName: 'TestDoublePlusOne',
      backendName: 'cpu',
      kernelFunc: ({ inputs, backend }) => {
        const out = tf.tidy(() => tf.add(tf.mul(inputs.x as tf.Tensor, 2), 1));
        (backend as unknown as { incRef(id: object): void }).incRef(out.dataId);
        const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
        out.dispose();
        return info;
      },
    });
    const x = tf.tensor1d([1, -2, 3]);
    counter = DispatchCounter.install('cpu');
    const y = tf.engine().runKernel('TestDoublePlusOne', { x }, {}) as tf.Tensor;
    const c = counter.snapshot();
    expect(Array.from(y.dataSync())).toEqual([3, -3, 7]);
    expect(c.composites).toBe(1);
    expect(c.byKernel).toEqual({ Multiply: 1, Add: 1 });
    expect(c.kernels).toBe(2);
    counter.uninstall();
    counter = undefined;
    tf.unregisterKernel('TestDoublePlusOne', 'cpu');
    tf.dispose([x, y]);
  });

  it('uninstall puts the kernels and read methods back', () => {
    const original = tf.getKernel('Add', 'cpu')!.kernelFunc;
    const backend = tf.findBackend('cpu') as unknown as Record<string, unknown>;
    const hadOwnReadSync = Object.prototype.hasOwnProperty.call(backend, 'readSync');
    counter = DispatchCounter.install('cpu');
    expect(tf.getKernel('Add', 'cpu')!.kernelFunc).not.toBe(original);
    counter.uninstall();
    counter = undefined;
    expect(tf.getKernel('Add', 'cpu')!.kernelFunc).toBe(original);
    expect(Object.prototype.hasOwnProperty.call(backend, 'readSync')).toBe(hadOwnReadSync);
  });

  it('names the backend when it is not initialised', () => {
    expect(() => DispatchCounter.install('no-such-backend')).toThrow(/"no-such-backend" is not initialised/);
  });
});
