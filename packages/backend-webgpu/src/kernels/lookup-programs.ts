// Bilinear and nearest hypercolumn lookups (spec §8.2, §8.3) as one program per tap, and the
// bilinear lookup's backward as one weighting program + TF.js' ScatterNd per tap.
import { tf } from '@strotss/core';
import { bilinearNeighbours, nearestIndices, type Locations } from '@strotss/core/ops';
import { runProgram, type ProgramBackend } from './program.js';

/** The four corners of each location in a `height × width` map, uploaded: flat indices `[4N]` and weights `[4N]`. */
export interface Corners {
  n: number;
  indices: tf.Tensor1D;
  weights: tf.Tensor1D;
}

/** Uploads the bilinear corners of `locations` on a map of stride `stride` (spec §8.2). */
export function uploadCorners(locations: Locations, stride: number, height: number, width: number): Corners {
  const { indices, weights } = bilinearNeighbours(locations, stride, height, width);
  return { n: locations.rows.length, indices: tf.tensor1d(indices, 'int32'), weights: tf.tensor1d(weights) };
}

/**
 * Bilinear columns `[N, C]` of `map` (`[1, H, W, C]`) at `corners`, × `scale`: the corners' values
 * weighted and added in the default's order ((c0 + c1) + c2) + c3.
 */
export function bilinearColumns(backend: ProgramBackend, map: tf.Tensor, corners: Corners, scale: number): tf.Tensor2D {
  const channels = map.shape[3]!;
  return runProgram(backend, {
    name: 'bilinear_columns',
    inputs: { Map: map, Idx: corners.indices, Wt: corners.weights },
    outputShape: [corners.n, channels],
    constants: { N: corners.n, CH: channels, SCALE: ['f32', scale] },
    body: `
  let i = t / CH;
  let c = t % CH;
  var s = 0.0;
  for (var k = 0; k < 4; k++) {
    let q = k * N + i;
    s = s + Wt[q] * Map[Idx[q] * CH + c];
  }
  result[t] = s * SCALE;`,
  }) as tf.Tensor2D;
}

/** Nearest-cell columns `[N, C]` of `map` at `locations` × `scale` (spec §8.3, style samples). */
export function nearestColumns(backend: ProgramBackend, map: tf.Tensor, locations: Locations, stride: number, scale: number): tf.Tensor2D {
  const [, h, w, channels] = map.shape as number[];
  const idx = tf.tensor1d(nearestIndices(locations, stride, h, w), 'int32');
  const out = runProgram(backend, {
    name: 'nearest_columns',
    inputs: { Map: map, Idx: idx },
    outputShape: [locations.rows.length, channels],
    constants: { CH: channels, SCALE: ['f32', scale] },
    body: `
  result[t] = Map[Idx[t / CH] * CH + t % CH] * SCALE;`,
  }) as tf.Tensor2D;
  idx.dispose();
  return out;
}

/**
 * The gradient `[1, H, W, C]` of a tap's map from the gradient `grad` `[N, d]` of the hypercolumns,
 * whose columns `offset … offset+C` are this tap's: each corner's weighted share (one program),
 * summed into the map by ScatterNd (corners shared by several locations add up).
 */
export function bilinearColumnsBackward(
  backend: ProgramBackend,
  grad: tf.Tensor2D,
  offset: number,
  corners: Corners,
  scale: number,
  mapShape: number[],
): tf.Tensor4D {
  const [, h, w, channels] = mapShape;
  const d = grad.shape[1];
  const shares = runProgram(backend, {
    name: 'bilinear_shares',
    inputs: { G: grad, Wt: corners.weights },
    outputShape: [4 * corners.n, channels],
    constants: { N: corners.n, CH: channels, D: d, OFF: offset, SCALE: ['f32', scale] },
    body: `
  let q = t / CH;
  let i = q % N;
  result[t] = (G[i * D + OFF + t % CH] * SCALE) * Wt[q];`,
  });
  return tf.tidy(() => {
    const summed = tf.scatterND(tf.reshape(corners.indices, [-1, 1]), shares, [h * w, channels]);
    shares.dispose();
    return tf.reshape(summed, [1, h, w, channels]) as tf.Tensor4D;
  });
}
