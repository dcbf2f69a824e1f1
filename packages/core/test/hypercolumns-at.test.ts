import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf, FEATURE_EXTRACTORS, VggFeatureExtractor } from '@strotss/core';
import { seededVggWeights } from '../../../test-support/seeded.js';
import { bilinearHypercolumns, nearestHypercolumns } from '../src/ops/hypercolumns.js';

describe('VggFeatureExtractor.hypercolumnsAt', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals bilinearHypercolumns(taps(image)) in value and in its gradient, and frees what it made', () => {
    const extractor = new VggFeatureExtractor(FEATURE_EXTRACTORS.vgg16, seededVggWeights(7));
    const image = tf.randomUniform([1, 32, 24, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const sets = [
      { rows: Int32Array.of(0, 5, 31, 17), cols: Int32Array.of(0, 23, 11, 4) },
      { rows: Int32Array.of(9, 30), cols: Int32Array.of(2, 21) },
    ];
    const weights = sets.map((s, r) => tf.randomUniform([s.rows.length, extractor.hypercolumnWidth], -1, 1, 'float32', 10 + r));
    const objective = (columns: (x: tf.Tensor4D) => tf.Tensor2D[]) => (x: tf.Tensor) =>
      tf.addN(columns(x as tf.Tensor4D).map((h, r) => tf.sum(tf.mul(h, weights[r])))) as tf.Scalar;
    const before = tf.memory().numTensors;
    const fused = tf.valueAndGrad(objective((x) => extractor.hypercolumnsAt(x, sets)))(image);
    const separate = tf.valueAndGrad(objective((x) => {
      const taps = extractor.taps(x);
      return sets.map((s) => bilinearHypercolumns(taps, s));
    }))(image);
    expect(fused.value.dataSync()[0]).toBe(separate.value.dataSync()[0]);
    // A map's gradient sums the chain's and every set's lookup in a different order here
    // ((chain + g1) + g0 instead of (g1 + g0) + chain): equal up to float32 rounding.
    const got = fused.grad.dataSync();
    const want = separate.grad.dataSync();
    const scale = Math.max(...Array.from(want, Math.abs));
    const worst = Math.max(...Array.from(got, (g, i) => Math.abs(g - want[i])));
    expect(worst / scale).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose([fused.value, fused.grad, separate.value, separate.grad, image, ...weights]);
    extractor.dispose();
  });

  it('lookUp gives the bilinear and nearest hypercolumns of taps(image) exactly, and frees what it made', () => {
    const extractor = new VggFeatureExtractor(FEATURE_EXTRACTORS.vgg16, seededVggWeights(7));
    const image = tf.randomUniform([1, 40, 20, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const a = { rows: Int32Array.of(0, 39, 17, 8), cols: Int32Array.of(0, 19, 3, 11) };
    const b = { rows: Int32Array.of(12, 1), cols: Int32Array.of(7, 18) };
    const before = tf.memory().numTensors;
    const [bilinear, nearest] = extractor.lookUp(image, [
      { locations: a, mode: 'bilinear' },
      { locations: b, mode: 'nearest' },
    ]);
    expect(tf.memory().numTensors).toBe(before + 2);
    const taps = extractor.taps(image);
    const wantBilinear = bilinearHypercolumns(taps, a);
    const wantNearest = nearestHypercolumns(taps, b);
    expect(Array.from(bilinear.dataSync())).toEqual(Array.from(wantBilinear.dataSync()));
    expect(Array.from(nearest.dataSync())).toEqual(Array.from(wantNearest.dataSync()));
    tf.dispose([bilinear, nearest, wantBilinear, wantNearest, ...taps.slice(1).map((t) => t.map), image]);
    extractor.dispose();
  });
});
