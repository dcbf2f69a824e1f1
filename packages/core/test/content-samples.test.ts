import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '@strotss/core';
import { bilinearHypercolumns, type Tap } from '../src/ops/hypercolumns.js';
import { ContentSampleTable } from '../src/strotss/content-samples.js';
import { gridCandidates, gridStrides } from '../src/strotss/sampling.js';

describe('ContentSampleTable', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives exactly the on-demand bilinear hypercolumns at grid points, paired or mixed rows/columns', () => {
    const [h, w] = [300, 170]; // 51 000 px: strides (1, 2), lattice of 300 × 85, two chunks
    const strides = gridStrides(h, w);
    expect(strides).toEqual([1, 2]);
    const offsets: [number, number] = [0, 1];
    const taps: Tap[] = [
      { map: tf.randomUniform([1, h, w, 3], 0, 1, 'float32', 1) as tf.Tensor4D, stride: 1 },
      { map: tf.randomUniform([1, h / 2, w / 2, 8], 0, 1, 'float32', 2) as tf.Tensor4D, stride: 2, scale: 0.5 },
      { map: tf.randomUniform([1, Math.floor(h / 4), Math.floor(w / 4), 5], 0, 1, 'float32', 3) as tf.Tensor4D, stride: 4, scale: 0.25 },
    ];
    const lattice = ContentSampleTable.lattice(h, w, strides, offsets);
    expect(lattice).toEqual(gridCandidates(h, w, strides, offsets));
    const table = new ContentSampleTable(bilinearHypercolumns(taps, lattice), h, strides, offsets);
    // Paired picks, and rows/cols shuffled independently (the reference sampler).
    const pick = (k: number) => (k * 7919) % lattice.rows.length;
    const paired = { rows: Int32Array.from({ length: 500 }, (_, k) => lattice.rows[pick(k)]), cols: Int32Array.from({ length: 500 }, (_, k) => lattice.cols[pick(k)]) };
    const mixed = { rows: paired.rows, cols: Int32Array.from(paired.cols).reverse() };
    for (const locations of [paired, mixed]) {
      const before = tf.memory().numTensors;
      const got = table.samples(locations);
      const want = bilinearHypercolumns(taps, locations);
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([got, want]);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(() => table.indicesOf({ rows: Int32Array.of(3), cols: Int32Array.of(2) })).toThrow(/\(3, 2\) is not on the sampling grid/);
    table.dispose();
    tf.dispose(taps.map((t) => t.map));
  });
});
