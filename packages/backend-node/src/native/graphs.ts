// The three ONNX models the native backend runs, one per fused named kernel of the core. Sizes are
// symbolic (one model serves every scale and sample count); weights are initializers, so ONNX
// Runtime packs them once per session.
import type { FeatureExtractorPreset, VggWeights } from '@strotss/core';
import { objectiveGraph, type ObjectiveOutputs } from './objective-graph.js';
import { OnnxGraph, type Value } from './onnx-graph.js';
import { tapInputNames, tapNames, vggGraph, type TapLookupInputs } from './vgg-graph.js';

/** Per-region style inputs, in the order the kernels name them (plus the region's index as suffix). */
export const STYLE_INPUTS = ['B', 'bNorms', 'styleMean', 'styleCovariance', 'bRgb'] as const;

/** The image input NHWC `[1, H, W, 3]` and the lookup inputs of every tap (with the backward's groups when `withBackward`). */
function imageAndLookups(g: OnnxGraph, preset: FeatureExtractorPreset, withBackward: boolean): { image: Value; lookups: Map<string, TapLookupInputs> } {
  const image = g.input('image', 'float32', [1, 'height', 'width', 3]);
  const lookups = new Map<string, TapLookupInputs>();
  for (const tap of tapNames(preset)) {
    const names = tapInputNames(tap);
    lookups.set(tap, {
      indices: g.input(names.indices, 'int64', ['corners']),
      weights: g.input(names.weights, 'float32', [1, 'corners']),
      ...(withBackward
        ? { targets: g.input(names.targets, 'int64', [`${tap}_positions`, 1]), segments: g.input(names.segments, 'int64', [`${tap}_positions`, `${tap}_depth`]) }
        : {}),
    });
  }
  return { image, lookups };
}

/** Hypercolumn width: 3 + Σ tap channels. */
function width(preset: FeatureExtractorPreset): number {
  let d = 3;
  for (const layer of preset.layers) if (layer.kind === 'conv' && preset.taps.includes(layer.name)) d += layer.outChannels;
  return d;
}

/** Hypercolumns `columns` `[n, d]` of `image` at the lookups (no gradient): the core's StrotssHypercolumns. */
export function hypercolumnsModel(preset: FeatureExtractorPreset, weights: VggWeights): Uint8Array {
  const g = new OnnxGraph(`${preset.id}-hypercolumns`);
  const { image, lookups } = imageAndLookups(g, preset, false);
  const vgg = vggGraph(g, preset, weights, image, lookups, false);
  g.output(vgg.columns, 'columns', 'float32', ['locations', width(preset)]);
  return g.encode();
}

/** One region's style inputs, named with `suffix`. */
function styleInputs(g: OnnxGraph, suffix: string) {
  return {
    B: g.input(`B${suffix}`, 'float32', [`m${suffix}`, 'd']),
    bNorms: g.input(`bNorms${suffix}`, 'float32', [`m${suffix}`, 1]),
    styleMean: g.input(`styleMean${suffix}`, 'float32', [1, 'd']),
    styleCovariance: g.input(`styleCovariance${suffix}`, 'float32', ['d', 'd']),
    bRgb: g.input(`bRgb${suffix}`, 'float32', [`m${suffix}`, 3]),
  };
}

/** The five terms as `[5]`: loss, content, remd, moment, palette. */
function stackTerms(g: OnnxGraph, terms: Pick<ObjectiveOutputs, 'loss' | 'content' | 'remd' | 'moment' | 'palette'>): Value {
  return g.concat([terms.loss, terms.content, terms.remd, terms.moment, terms.palette].map((t) => g.reshape(t, [1])), 0);
}

/** `terms` `[5]` and `gradA` of output samples A: the core's StrotssObjective. */
export function objectiveModel(epsilon: number): Uint8Array {
  const g = new OnnxGraph('strotss-objective');
  const A = g.input('A', 'float32', ['n', 'd']);
  const C = g.input('C', 'float32', ['n', 'd']);
  const alpha = g.input('alpha', 'float32', [3]);
  const out = objectiveGraph(g, { A, C, alpha, ...styleInputs(g, ''), lossWeight: g.float(1) }, epsilon);
  g.output(stackTerms(g, out), 'terms', 'float32', [5]);
  g.output(out.gradA, 'gradA', 'float32', ['n', 'd']);
  return g.encode();
}

/**
 * `terms` `[5]` (means over `regions` regions) and `gradImage` `[1, H, W, 3]` of one iteration: the VGG
 * forward, all regions' lookups (their locations concatenated; `regionSizes` splits them), each
 * region's objective, and the backward to the image: the core's StrotssImageObjective.
 */
export function imageObjectiveModel(preset: FeatureExtractorPreset, weights: VggWeights, regions: number, epsilon: number): Uint8Array {
  const g = new OnnxGraph(`${preset.id}-image-objective`);
  const { image, lookups } = imageAndLookups(g, preset, true);
  const regionSizes = g.input('regionSizes', 'int64', [regions]);
  const alpha = g.input('alpha', 'float32', [3]);
  const vgg = vggGraph(g, preset, weights, image, lookups, true);
  const parts = g.split(vgg.columns, regionSizes, 0, regions);
  // mean over regions: each region's loss carries 1/R of the upstream gradient.
  const lossWeight = g.div(g.float(1), g.float(regions));
  const outputs = parts.map((A, r) =>
    g.scope(`region${r}`, () => {
      const C = g.input(`C${r}`, 'float32', [`n${r}`, 'd']);
      return objectiveGraph(g, { A, C, alpha, ...styleInputs(g, String(r)), lossWeight }, epsilon);
    }),
  );
  const mean = (k: 'loss' | 'content' | 'remd' | 'moment' | 'palette') =>
    g.div(outputs.map((o) => o[k]).reduce((a, b) => g.add(a, b)), g.float(regions));
  g.output(stackTerms(g, { loss: mean('loss'), content: mean('content'), remd: mean('remd'), moment: mean('moment'), palette: mean('palette') }), 'terms', 'float32', [5]);
  const gradImage = vgg.backward(g.concat(outputs.map((o) => o.gradA), 0));
  g.output(gradImage, 'gradImage', 'float32', [1, 'height', 'width', 3]);
  return g.encode();
}

/** `product` of `a` and `b` as aᵀ·b (`transposeA`) or a·bᵀ: the core's MatMulAtB / MatMulABt on MLAS. */
export function matMulModel(transposeA: boolean): Uint8Array {
  const g = new OnnxGraph(transposeA ? 'mat-mul-at-b' : 'mat-mul-a-bt');
  const a = g.input('a', 'float32', transposeA ? ['k', 'n'] : ['n', 'k']);
  const b = g.input('b', 'float32', transposeA ? ['k', 'm'] : ['m', 'k']);
  g.output(transposeA ? g.matMulAtB(a, b) : g.matMulABt(a, b), 'product', 'float32', ['n', 'm']);
  return g.encode();
}
