import { tf } from '../tfjs.js';
import { customUnaryOp, takeRows } from './reductions.js';

/** Pixel locations as parallel row / column index arrays (zero-based, full-resolution image). */
export interface Locations {
  rows: Int32Array;
  cols: Int32Array;
}

/** One hypercolumn tap: an NHWC map `[1, H_l, W_l, C_l]`, its stride w.r.t. the image, and a scale for its values. */
export interface Tap {
  map: tf.Tensor4D;
  stride: number;
  scale?: number;
}

/**
 * Flat indices and weights of the four bilinear neighbours of each location in a map of
 * `height × width`, with the top-left-aligned mapping u = r/s (spec §8.2): weights are
 * computed before the indices are clamped to the map. Order: (u0,v0), (u0,v1), (u1,v0), (u1,v1).
 */
export function bilinearNeighbours(
  locations: Locations,
  stride: number,
  height: number,
  width: number,
): { indices: Int32Array; weights: Float32Array } {
  const n = locations.rows.length;
  const indices = new Int32Array(4 * n);
  const weights = new Float32Array(4 * n);
  const clampRow = (u: number) => Math.min(Math.max(u, 0), height - 1);
  const clampCol = (v: number) => Math.min(Math.max(v, 0), width - 1);
  for (let i = 0; i < n; i++) {
    const u = locations.rows[i] / stride;
    const v = locations.cols[i] / stride;
    const u0 = Math.floor(u);
    const v0 = Math.floor(v);
    const a = Math.fround(u - u0);
    const b = Math.fround(v - v0);
    const r0 = clampRow(u0) * width;
    const r1 = clampRow(u0 + 1) * width;
    const c0 = clampCol(v0);
    const c1 = clampCol(v0 + 1);
    indices[i] = r0 + c0;
    indices[n + i] = r0 + c1;
    indices[2 * n + i] = r1 + c0;
    indices[3 * n + i] = r1 + c1;
    weights[i] = (1 - a) * (1 - b);
    weights[n + i] = (1 - a) * b;
    weights[2 * n + i] = a * (1 - b);
    weights[3 * n + i] = a * b;
  }
  return { indices, weights };
}

/** Flat index of the nearest map cell of each location: clip(⌊r/s⌋) · W + clip(⌊c/s⌋) (spec §8.3). */
export function nearestIndices(locations: Locations, stride: number, height: number, width: number): Int32Array {
  const n = locations.rows.length;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.min(Math.max(Math.floor(locations.rows[i] / stride), 0), height - 1);
    const c = Math.min(Math.max(Math.floor(locations.cols[i] / stride), 0), width - 1);
    out[i] = r * width + c;
  }
  return out;
}

/** The map of a tap as a `[H_l·W_l, C_l]` matrix. */
function asMatrix(tap: Tap): tf.Tensor2D {
  const [, h, w, c] = tap.map.shape;
  return tf.reshape(tap.map, [h * w, c]);
}

/**
 * Bilinear columns `[N, C]` of one tap at `locations`, differentiable w.r.t. its map: one gather
 * of all 4·N neighbours, then the weighted sum (× the tap's scale). The backward scatters the
 * weighted gradient back into the map; as one custom op its intermediates and its incoming
 * gradient are freed as soon as they are used (TF.js' autograd of the same chain keeps a
 * map-sized tensor per tap alive until the whole backward ends).
 */
export function bilinearTapColumns(tap: Tap, locations: Locations): tf.Tensor2D {
  const n = locations.rows.length;
  const [, h, w, c] = tap.map.shape;
  const scale = tap.scale != null && tap.scale !== 1 ? tap.scale : undefined;
  const op = customUnaryOp<tf.Tensor4D, tf.Tensor2D>(
    (map, save) => {
      const { indices, weights } = bilinearNeighbours(locations, tap.stride, h, w);
      const cornerIds = tf.tensor1d(indices, 'int32');
      const cornerWeights = tf.reshape(tf.tensor1d(weights), [4, n, 1]);
      const corners = takeRows(tf.reshape(map, [h * w, c]), cornerIds);
      const summed = tf.sum(tf.mul(tf.reshape(corners, [4, n, c]), cornerWeights), 0) as tf.Tensor2D;
      save([cornerIds, cornerWeights]);
      return {
        value: scale != null ? (tf.mul(summed, scale) as tf.Tensor2D) : summed,
        gradFunc: (dy, [ids, cw]) => {
          const scaled = scale != null ? tf.mul(dy, scale) : dy;
          const perCorner = tf.reshape(tf.mul(tf.reshape(scaled, [1, n, c]), cw), [4 * n, c]);
          // scatterND sums the contributions of corners shared by several locations.
          return tf.reshape(tf.scatterND(tf.expandDims(ids, 1), perCorner, [h * w, c]), [1, h, w, c]);
        },
      };
    },
    { releaseOutputGradient: true },
  );
  return op(tap.map);
}

/**
 * Bilinear hypercolumns `[N, Σ C_l]` of the taps at `locations` (spec §8.2), differentiable
 * w.r.t. the maps: one gather of all 4·N neighbours per tap, then the weighted sum.
 */
export function bilinearHypercolumns(taps: readonly Tap[], locations: Locations): tf.Tensor2D {
  return tf.tidy(() => tf.concat(taps.map((tap) => bilinearTapColumns(tap, locations)), 1) as tf.Tensor2D);
}

/** Nearest-neighbour columns `[N, C]` of one tap at `locations` (× the tap's scale), no gradient (spec §8.3). */
export function nearestTapColumns(tap: Tap, locations: Locations): tf.Tensor2D {
  return tf.tidy(() => {
    const [, h, w] = tap.map.shape;
    const picked = takeRows(asMatrix(tap), tf.tensor1d(nearestIndices(locations, tap.stride, h, w), 'int32'));
    return tap.scale != null && tap.scale !== 1 ? (tf.mul(picked, tap.scale) as tf.Tensor2D) : picked;
  });
}

/** Nearest-neighbour hypercolumns `[N, Σ C_l]` of the taps at `locations` (style samples, spec §8.3). */
export function nearestHypercolumns(taps: readonly Tap[], locations: Locations): tf.Tensor2D {
  return tf.tidy(() => tf.concat(taps.map((tap) => nearestTapColumns(tap, locations)), 1) as tf.Tensor2D);
}
