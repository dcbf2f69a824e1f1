// The VGG feature extractor with its hypercolumn lookups (spec §7, §8) as ONNX nodes, forward and
// input gradient, in NCHW (ONNX Runtime's MLAS convolutions run blocked NCHWc internally). It
// mirrors VggFeatureExtractor.lookUp / hypercolumnsAt of the core: the same preprocessing, convs,
// ReLUs, 2×2 pools, bilinear four-corner lookups (indices and weights computed on the host by the
// core's bilinearNeighbours), and as backward the ReLU masks, conv with the flipped kernel, the max
// pool's argmax routing and the lookups' scatter-add.
import { convLayers, type FeatureExtractorPreset, type VggWeights } from '@strotss/core';
import type { OnnxGraph, Value } from './onnx-graph.js';

/**
 * One tap's lookup inputs: `indices` int64 `[4·n]` (corner-major flat map positions) and `weights`
 * `[1, 4·n]`; for the backward also the corners grouped by map position: `targets` `[U, 1]` (each
 * distinct position once) and `segments` `[U, K]` (the corners at each, in order, padded with 4·n,
 * which points at a zero row).
 */
export interface TapLookupInputs {
  indices: Value;
  weights: Value;
  targets?: Value;
  segments?: Value;
}

/**
 * Where a tap is: its map `[1, C, h, w]` and, for the lookups, its `[h·w, C]` view (NHWC rows, as
 * TF.js holds maps: a lookup gathers whole rows, and ONNX Runtime turns its blocked NCHWc layout
 * into NHWC in the one reorder it does anyway), channels and feature scale.
 */
interface TapMap {
  name: string;
  map: Value;
  rows: Value;
  /** `[1, h, w, C]` as an int64 value, computed from the image's size (not from the map, which the backward must not keep alive). */
  nhwcShape: Value;
  channels: number;
  scale: number;
}

/** What the backward of one layer needs. */
type SavedLayer =
  | { kind: 'conv'; name: string; mask: Value; flippedKernel: Value; tap?: TapMap }
  | { kind: 'pool'; indices: Value; inputShape: Value };

/**
 * Shapes of the maps as int64 values, from the image's height and width alone: ⌊H/s⌋ × ⌊W/s⌋ at
 * stride s (floor halving per pool). The backward reads shapes from here, so that no forward map
 * is kept alive just to be measured.
 */
function mapShapes(g: OnnxGraph, image: Value) {
  const hw = g.gather(g.shape(image), g.int64([1, 2]), 0); // [H, W]
  const at = (stride: number) => (stride === 1 ? hw : g.div(hw, g.int64([stride, stride])));
  return {
    nhwc: (stride: number, channels: number) => g.concat([g.int64([1]), at(stride), g.int64([channels])], 0),
    nchw: (stride: number, channels: number) => g.concat([g.int64([1, channels]), at(stride)], 0),
  };
}

/** The forward's results: hypercolumns `[n, d]` and, when built with a backward, the function that adds it. */
export interface VggGraph {
  /** Hypercolumns `[n, d]` (d = 3 + Σ tap channels). */
  columns: Value;
  /** Adds the input gradient for dColumns `[n, d]`; returns d/dImage, NHWC `[1, H, W, 3]`. */
  backward(dColumns: Value): Value;
}

/** Names of the lookup inputs of a tap (`rgb` for the raw RGB tap, else the conv's name). */
export function tapInputNames(tap: string): { indices: string; weights: string; targets: string; segments: string } {
  return { indices: `lookup/${tap}/indices`, weights: `lookup/${tap}/weights`, targets: `lookup/${tap}/targets`, segments: `lookup/${tap}/segments` };
}

/** The taps of a preset in hypercolumn order: raw RGB, then the tapped convs. */
export function tapNames(preset: FeatureExtractorPreset): string[] {
  return ['rgb', ...preset.taps];
}

/** An HWIO `[3,3,in,out]` kernel as ONNX OIHW `[out,in,3,3]`, and its flip for the input gradient, OIHW `[in,out,3,3]`. */
export function onnxKernels(hwio: Float32Array, inChannels: number, outChannels: number): { forward: Float32Array; flipped: Float32Array } {
  const forward = new Float32Array(hwio.length);
  const flipped = new Float32Array(hwio.length);
  for (let h = 0; h < 3; h++) {
    for (let w = 0; w < 3; w++) {
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++) {
          const v = hwio[((h * 3 + w) * inChannels + i) * outChannels + o];
          forward[((o * inChannels + i) * 3 + h) * 3 + w] = v;
          flipped[((i * outChannels + o) * 3 + (2 - h)) * 3 + (2 - w)] = v;
        }
      }
    }
  }
  return { forward, flipped };
}

/** The network input for an NCHW RGB [0,1] image under the preset's convention (VggFeatureExtractor.preprocess). */
function preprocess(g: OnnxGraph, preset: FeatureExtractorPreset, image: Value): Value {
  const input = preset.input;
  if (input.kind === 'torchvision') return g.div(g.sub(image, g.float(input.mean, [1, 3, 1, 1])), g.float(input.std, [1, 3, 1, 1]));
  const bgr = g.gather(image, g.int64([2, 1, 0]), 1);
  return g.sub(g.mul(bgr, g.float(255)), g.float(input.meanBgr, [1, 3, 1, 1]));
}

/** The gradient through {@link preprocess}. */
function preprocessBackward(g: OnnxGraph, preset: FeatureExtractorPreset, grad: Value): Value {
  const input = preset.input;
  if (input.kind === 'torchvision') return g.div(grad, g.float(input.std, [1, 3, 1, 1]));
  return g.gather(g.mul(grad, g.float(255)), g.int64([2, 1, 0]), 1);
}

/** Columns `[n, C]` of a tap at the four-corner lookups: Σ_k w_k·F[idx_k] (bilinearTapColumns), × the tap's scale. */
function lookUpTap(g: OnnxGraph, tap: TapMap, lookup: TapLookupInputs): Value {
  const corners = g.gather(tap.rows, lookup.indices, 0); // [4n, C]
  const weighted = g.mul(g.reshape(corners, [4, -1, tap.channels]), g.reshape(lookup.weights, [4, -1, 1])); // [4, n, C]
  const summed = g.sum(weighted, [0], false); // [n, C]
  return tap.scale !== 1 ? g.mul(summed, g.float(tap.scale)) : summed;
}

/**
 * The gradient of a tap's map `[1, C, h, w]` from its columns' gradient `[n, C]`: the weighted
 * corners added per map position (the corners of each position summed in order, then written once:
 * a deterministic scatter-add, as TF.js' scatterND).
 */
function lookUpTapBackward(g: OnnxGraph, tap: TapMap, lookup: TapLookupInputs, dColumns: Value): Value {
  const scaled = tap.scale !== 1 ? g.mul(dColumns, g.float(tap.scale)) : dColumns;
  const perCorner = g.reshape(g.mul(g.unsqueeze(scaled, [0]), g.reshape(lookup.weights, [4, -1, 1])), [-1, tap.channels]); // [4n, C]
  const padded = g.concat([perCorner, g.zerosOfShape(g.int64([1, tap.channels]))], 0); // row 4n is zero
  const sums = g.sum(g.gather(padded, lookup.segments!, 0), [1], false); // [U, C]
  const zeros = g.reshape(g.zerosOfShape(tap.nhwcShape), [-1, tap.channels]); // [h·w, C]
  const rows = g.scatterRows(zeros, lookup.targets!, sums);
  return g.transpose(g.reshape(rows, tap.nhwcShape), [0, 3, 1, 2]);
}

/** The `[h·w, C]` rows of an NCHW map. */
function mapRows(g: OnnxGraph, map: Value, channels: number): Value {
  return g.reshape(g.transpose(map, [0, 2, 3, 1]), [-1, channels]);
}

/**
 * Adds the VGG of `preset` with `weights` to `g`: `image` NHWC `[1, H, W, 3]` in [0,1], lookups per
 * tap (see {@link tapInputNames}). With `withBackward`, the forward keeps what its gradient needs
 * (1-byte ReLU masks, pool argmax indices) and {@link VggGraph.backward} adds the input gradient.
 */
export function vggGraph(
  g: OnnxGraph,
  preset: FeatureExtractorPreset,
  weights: VggWeights,
  image: Value,
  lookups: ReadonlyMap<string, TapLookupInputs>,
  withBackward: boolean,
): VggGraph {
  const rgb = g.transpose(image, [0, 3, 1, 2]);
  const shapes = mapShapes(g, image);
  const taps: TapMap[] = [{ name: 'rgb', map: rgb, rows: g.reshape(image, [-1, 3]), nhwcShape: shapes.nhwc(1, 3), channels: 3, scale: 1 }];
  const saved: SavedLayer[] = [];
  const lastTap = preset.taps[preset.taps.length - 1];
  const convs = new Map(convLayers(preset).map((c) => [c.name, c]));
  let x = g.scope('preprocess', () => preprocess(g, preset, rgb));
  let stride = 1;
  let channels = 3;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') {
      const inputShape = withBackward ? shapes.nchw(stride, channels) : '';
      stride *= 2;
      const [y, indices] = g.op('MaxPool', [x], { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } }, withBackward ? 2 : 1);
      if (withBackward) saved.push({ kind: 'pool', indices, inputShape });
      x = y;
      continue;
    }
    const conv = convs.get(layer.name)!;
    const w = weights[layer.name];
    const kernels = onnxKernels(w.kernel, conv.inChannels, conv.outChannels);
    let y = g.scope(layer.name, () => {
      const kernel = g.weights(`${layer.name}/kernel`, [conv.outChannels, conv.inChannels, 3, 3], kernels.forward);
      const bias = g.weights(`${layer.name}/bias`, [conv.outChannels], w.bias);
      return g.op('Relu', [g.op('Conv', [x, kernel, bias], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } })]);
    });
    let mask: Value | undefined;
    if (withBackward) {
      // The backward needs only where y > 0. ONNX Runtime runs a node when its first consumer needs
      // it: a mask read only by the backward would be made there, keeping every activation alive
      // through the loss. Passing y through Where(mask, y, 0) (y ≥ 0: the same values) makes the
      // forward consume the mask, so each activation can be freed after its layer.
      mask = g.greater(y, g.float(0));
      y = g.where(mask, y, g.float(0));
    }
    const tap = preset.taps.includes(layer.name)
      ? {
          name: layer.name,
          map: y,
          rows: mapRows(g, y, conv.outChannels),
          nhwcShape: shapes.nhwc(stride, conv.outChannels),
          channels: conv.outChannels,
          scale: preset.featureScale,
        }
      : undefined;
    channels = conv.outChannels;
    if (tap) taps.push(tap);
    if (withBackward) {
      const flippedKernel = g.weights(`${layer.name}/kernel_flipped`, [conv.inChannels, conv.outChannels, 3, 3], kernels.flipped);
      saved.push({ kind: 'conv', name: layer.name, mask: mask!, flippedKernel, tap });
    }
    x = y;
    if (layer.name === lastTap) break;
  }
  const columns = g.concat(
    taps.map((tap) => g.scope(`lookup/${tap.name}`, () => lookUpTap(g, tap, lookups.get(tap.name)!))),
    1,
  );
  return {
    columns,
    backward: (dColumns) => {
      if (!withBackward) throw new Error('this VGG graph was built without its backward');
      return g.scope('backward', () => vggBackward(g, preset, taps, saved, lookups, dColumns));
    },
  };
}

/** The input gradient (NHWC) of the lookups and layers, deepest first. */
function vggBackward(
  g: OnnxGraph,
  preset: FeatureExtractorPreset,
  taps: readonly TapMap[],
  saved: readonly SavedLayer[],
  lookups: ReadonlyMap<string, TapLookupInputs>,
  dColumns: Value,
): Value {
  const parts = g.split(dColumns, g.int64(taps.map((t) => t.channels)), 1, taps.length);
  const tapGrad = (tap: TapMap) => lookUpTapBackward(g, tap, lookups.get(tap.name)!, parts[taps.indexOf(tap)]);
  let grad: Value | undefined;
  for (let i = saved.length - 1; i >= 0; i--) {
    const layer = saved[i];
    if (layer.kind === 'pool') {
      // Each window's gradient goes to its (first) maximum; windows do not overlap.
      const flat = g.scatterElements(
        g.reshape(g.zerosOfShape(layer.inputShape), [-1]),
        g.reshape(layer.indices, [-1]),
        g.reshape(grad!, [-1]),
        0,
      );
      grad = g.reshape(flat, layer.inputShape);
      continue;
    }
    if (layer.tap) grad = grad ? g.add(grad, tapGrad(layer.tap)) : tapGrad(layer.tap);
    if (!grad) continue; // layers after the last tap (none in the presets)
    const active = g.where(layer.mask, grad, g.float(0));
    grad = g.op('Conv', [active, layer.flippedKernel], { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] } });
  }
  const total = g.add(preprocessBackward(g, preset, grad!), tapGrad(taps[0]));
  return g.transpose(total, [0, 2, 3, 1]);
}
