// The webgpu variants of the core's fused objective kernels (GPU speed issue): StrotssImageObjective
// (VGG forward, lookups, the objective and the whole backward of one iteration) and
// StrotssObjective (the terms and dLoss/dA of given samples), from the programs of this folder,
// TF.js' convolutions, pools, matrix products and ScatterNd — no autograd tape.
import { tf, type FeatureExtractorPreset } from '@strotss/core';
import type { Locations } from '@strotss/core/ops';
import { bilinearColumns, bilinearColumnsBackward, uploadCorners, type Corners } from './lookup-programs.js';
import { objectivePass, type ObjectiveInputs } from './objective-pass.js';
import { handOver, type ProgramBackend } from './program.js';
import { preprocess, preprocessBackward, vggBackward, vggForward } from './vgg-passes.js';

type Inputs = Record<string, tf.Tensor>;

/** Region `r`'s objective inputs from the kernel's inputs (core `styleKernelInputs` names), with samples `A`. */
function regionInputs(inputs: Inputs, A: tf.Tensor2D, suffix: string, content: string): ObjectiveInputs {
  return {
    A,
    C: inputs[content] as tf.Tensor2D,
    B: inputs[`B${suffix}`] as tf.Tensor2D,
    bNorms: inputs[`bNorms${suffix}`],
    styleMean: inputs[`styleMean${suffix}`],
    styleCovariance: inputs[`styleCovariance${suffix}`],
    bRgb: inputs[`bRgb${suffix}`] as tf.Tensor2D,
  };
}

/** StrotssObjective: `[terms[5], dLoss/dA]`. */
export const objectiveKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { alpha, epsilon } = attrs as unknown as { alpha: number; epsilon: number };
  const x = inputs as unknown as Inputs;
  const outputs = tf.tidy(() => {
    const { terms, grad } = objectivePass(backend as unknown as ProgramBackend, regionInputs(x, x.A as tf.Tensor2D, '', 'C'), alpha, epsilon);
    return [tf.slice(terms, [0], [5]), grad];
  });
  return handOver(backend, outputs);
};

/** Strides of the preset's taps w.r.t. the image (VGG taps only). */
function tapStrides(preset: FeatureExtractorPreset): number[] {
  const strides: number[] = [];
  let stride = 1;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') stride *= 2;
    else if (preset.taps.includes(layer.name)) strides.push(stride);
  }
  return strides;
}

/** One hypercolumn tap as the kernel looks it up: raw RGB (index 0) or a VGG map. */
interface TapLookup {
  shape: number[];
  offset: number;
  scale: number;
  corners: Corners[];
}

/** StrotssImageObjective: `[terms[5] averaged over regions, dLoss/dImage]` (spec §20). */
export const imageObjectiveKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { preset, locations, alpha, epsilon } = attrs as unknown as { preset: FeatureExtractorPreset; locations: Locations[]; alpha: number; epsilon: number };
  const x = inputs as unknown as Inputs;
  const gpu = backend as unknown as ProgramBackend;
  const image = x.image as tf.Tensor4D;
  const outputs = tf.tidy(() => {
    const strides = [1, ...tapStrides(preset)];
    const taps: TapLookup[] = [];
    const columns = locations.map(() => [] as tf.Tensor2D[]);
    const lookUp = (map: tf.Tensor4D, tap: number) => {
      const [, h, w] = map.shape;
      const previous = taps[taps.length - 1];
      const scale = tap === 0 ? 1 : preset.featureScale;
      const corners = locations.map((l) => uploadCorners(l, strides[tap], h, w));
      taps.push({ shape: map.shape, offset: previous ? previous.offset + previous.shape[3] : 0, scale, corners });
      corners.forEach((k, r) => columns[r].push(bilinearColumns(gpu, map, k, scale)));
    };
    lookUp(image, 0);
    const records = vggForward(preset, x, preprocess(gpu, preset, image), (map, tap) => lookUp(map, tap + 1));
    const passes = columns.map((c, r) =>
      objectivePass(gpu, regionInputs(x, tf.concat(c, 1) as tf.Tensor2D, String(r), `C${r}`), alpha, epsilon, 1 / locations.length),
    );
    const tapGrad = (tap: number) => {
      const t = taps[tap];
      const parts = passes.map((p, r) => bilinearColumnsBackward(gpu, p.grad, t.offset, t.corners[r], t.scale, t.shape));
      return parts.length === 1 ? parts[0] : tf.addN(parts);
    };
    const d0 = vggBackward(gpu, x, records, (tap) => tapGrad(tap + 1));
    const gradImage = preprocessBackward(gpu, preset, d0, tapGrad(0) as tf.Tensor4D);
    const terms = passes.length === 1 ? passes[0].terms : tf.div(tf.addN(passes.map((p) => p.terms)), passes.length);
    return [tf.slice(terms, [0], [5]), gradImage];
  });
  return handOver(backend, outputs);
};
