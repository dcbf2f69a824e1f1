// The webgpu variants of the core's fused kernels (GPU speed issue) against the core's defaults on
// the same backend: the terms and the loss's gradient within float32 tolerances. (The ImageObjective
// comparison checks the VGG, lookups and backward: its ops path runs the Objective kernel, checked first.)
import { describe, expect, it } from 'vitest';
import { convLayers, hasBackendKernel, imageObjective, StrotssKernel, imageObjectiveOnOps, resolveBackend, tf, VGG16, VggFeatureExtractor, type VggWeights } from '@strotss/core';
import { fusedObjectiveTerms, laplacianPyramid, objectiveTermsOnOps, prepareStyleSamples, rmspropStep, stackTerms, synthesizePyramid, synthesizePyramidOnOps } from '@strotss/core/ops';
import { webgpuSkipReason } from '../../../test-support/webgpu.js';

const skip = await webgpuSkipReason('fused webgpu kernels');

/** Deterministic values in [lo, hi). */
function values(n: number, seed: number, lo = 0, hi = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return lo + ((hi - lo) * s) / 2 ** 32;
  });
}

/** Largest |a − b| relative to max |b| (and at least 1e-6). */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst / scale;
}

/** Synthetic VGG16 weights (He-scaled, seeded). */
function vgg16Weights(): VggWeights {
  const weights: Record<string, VggWeights[string]> = {};
  convLayers(VGG16).forEach((l, k) => {
    const fanIn = 9 * l.inChannels;
    const bound = Math.sqrt(6 / fanIn);
    weights[l.name] = { kernel: values(fanIn * l.outChannels, 11 + k, -bound, bound), bias: values(l.outChannels, 97 + k, -0.05, 0.05) };
  });
  return weights;
}

describe.skipIf(skip)('webgpu fused kernels vs the core defaults', () => {
  it('registers its variants of the named kernels for webgpu', async () => {
    await resolveBackend('webgpu');
    for (const name of ['ImageObjective', 'Objective', 'SynthesizePyramid', 'PyramidAdjoint', 'RmspropStep'] as const) {
      expect(hasBackendKernel(StrotssKernel[name]), name).toBe(true);
    }
  });

  it('StrotssRmspropStep: PyTorch RMSprop (v = ρv + (1−ρ)g², p − lr·g/(√v + ε))', async () => {
    await resolveBackend('webgpu');
    const [p, g, v] = [values(300, 21, -1, 1), values(300, 22, -1, 1), values(300, 23, 0, 1)];
    const options = { learningRate: 0.3, decay: 0.99, epsilon: 1e-8 };
    const [next, avg] = rmspropStep(tf.tensor1d(p), tf.tensor1d(g), tf.tensor1d(v), options);
    const expectedAvg = v.map((x, i) => 0.99 * x + 0.01 * g[i] * g[i]);
    const expectedNext = p.map((x, i) => x - (0.3 * g[i]) / (Math.sqrt(expectedAvg[i]) + 1e-8));
    expect(relativeError(await avg.data(), expectedAvg)).toBeLessThan(1e-6);
    expect(relativeError(await next.data(), expectedNext)).toBeLessThan(1e-6);
  });

  it('StrotssSynthesizePyramid / StrotssPyramidAdjoint: the image and the gradient of every level', async () => {
    await resolveBackend('webgpu');
    const levels = laplacianPyramid(tf.tensor4d(values(37 * 50 * 3, 31), [1, 37, 50, 3]), 5);
    const upstream = tf.tensor4d(values(37 * 50 * 3, 32, -1, 1), [1, 37, 50, 3]);
    const run = (f: (ls: tf.Tensor4D[]) => tf.Tensor4D) => ({
      image: f(levels),
      grads: tf.grads((...ls: tf.Tensor[]) => tf.sum(tf.mul(upstream, f(ls as tf.Tensor4D[]))))(levels),
    });
    const fused = run(synthesizePyramid);
    const ops = run(synthesizePyramidOnOps);
    expect(relativeError(await fused.image.data(), await ops.image.data())).toBeLessThan(1e-6);
    for (let k = 0; k < levels.length; k++) {
      expect(fused.grads[k].shape).toEqual(levels[k].shape);
      expect(relativeError(await fused.grads[k].data(), await ops.grads[k].data())).toBeLessThan(1e-5);
    }
  });

  it('StrotssObjective: the five terms and dLoss/dA', async () => {
    await resolveBackend('webgpu');
    const [n, m, d] = [48, 80, 24];
    const A = tf.tensor2d(values(n * d, 1), [n, d]);
    const C = tf.tensor2d(values(n * d, 2), [n, d]);
    const style = prepareStyleSamples(tf.tensor2d(values(m * d, 3), [m, d]));
    const loss = (f: (a: tf.Tensor2D) => tf.Tensor1D) => tf.valueAndGrad((a: tf.Tensor) => tf.squeeze(tf.slice(f(a as tf.Tensor2D), [0], [1])) as tf.Scalar);
    const fused = loss((a) => fusedObjectiveTerms(a, C, style, 4))(A);
    const ops = loss((a) => stackTerms(objectiveTermsOnOps(a, C, style, 4)))(A);
    const fusedTerms = await fusedObjectiveTerms(A, C, style, 4).data();
    const opsTerms = await stackTerms(objectiveTermsOnOps(A, C, style, 4)).data();
    for (let k = 0; k < 5; k++) expect(fusedTerms[k]).toBeCloseTo(opsTerms[k], 5);
    expect(relativeError(await fused.grad.data(), await ops.grad.data())).toBeLessThan(1e-4);
  });

  it('StrotssImageObjective: the terms of an image and dLoss/dImage', async () => {
    await resolveBackend('webgpu');
    const extractor = new VggFeatureExtractor(VGG16, vgg16Weights());
    const image = tf.tensor4d(values(24 * 32 * 3, 5), [1, 24, 32, 3]);
    const n = 40;
    const locations = { rows: Int32Array.from(values(n, 6, 0, 24), Math.floor), cols: Int32Array.from(values(n, 7, 0, 32), Math.floor) };
    const d = extractor.hypercolumnWidth;
    const content = tf.tensor2d(values(n * d, 8, 0, 2), [n, d]);
    const style = prepareStyleSamples(tf.tensor2d(values(64 * d, 9, 0, 2), [64, d]));
    const regions = [{ locations, content, style }];
    const loss = (f: (x: tf.Tensor4D) => tf.Tensor1D) => tf.valueAndGrad((x: tf.Tensor) => tf.squeeze(tf.slice(f(x as tf.Tensor4D), [0], [1])) as tf.Scalar);
    const fused = loss((x) => imageObjective(extractor, x, regions, 8))(image);
    const ops = loss((x) => imageObjectiveOnOps(extractor, x, regions, 8))(image);
    const fusedTerms = await imageObjective(extractor, image, regions, 8).data();
    const opsTerms = await imageObjectiveOnOps(extractor, image, regions, 8).data();
    for (let k = 0; k < 5; k++) expect(Math.abs(fusedTerms[k] - opsTerms[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(opsTerms[k])));
    expect(relativeError(await fused.grad.data(), await ops.grad.data())).toBeLessThan(1e-3);
    extractor.dispose();
  });
});
