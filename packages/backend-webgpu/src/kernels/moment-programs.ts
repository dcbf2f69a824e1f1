// The moment term ℓ_m (spec §9.3) as programs: column means, centring, the covariance difference
// and its sign in one pass, and the per-column coefficients of the core's custom backward.
import { tf } from '@strotss/core';
import { runProgram, type ProgramBackend } from './program.js';

/** Column means `[k]` of the first `k` columns of a row-major `[rows, width]` matrix. */
export function columnMeans(backend: ProgramBackend, x: tf.Tensor2D, k = x.shape[1]): tf.Tensor1D {
  const [rows, width] = x.shape;
  return runProgram(backend, {
    name: 'column_means',
    inputs: { X: x },
    outputShape: [k],
    constants: { R: rows, W: width },
    body: `
  var s = 0.0;
  for (var i = 0; i < R; i++) { s = s + X[i * W + t]; }
  result[t] = s / f32(R);`,
  }) as tf.Tensor1D;
}

/** `x − mean` row by row. */
export function centre(backend: ProgramBackend, x: tf.Tensor2D, mean: tf.Tensor1D): tf.Tensor2D {
  return runProgram(backend, {
    name: 'centre',
    inputs: { X: x, MU: mean },
    outputShape: x.shape,
    constants: { D: x.shape[1] },
    body: '  result[t] = X[t] - MU[t % D];',
  }) as tf.Tensor2D;
}

/**
 * Per row i of the covariance: sign(Σ_A − Σ_B) (columns 0…d−1), Σ_j |Σ_A − Σ_B|_ij (column d) and
 * |μ_A − μ_B|_i (column d+1), as `[d, d + 2]`; Σ_A = `gram` / n. The first d columns are the
 * right operand of the backward's centred·sign product.
 */
export function covarianceSigns(
  backend: ProgramBackend,
  gram: tf.Tensor2D,
  n: number,
  styleCovariance: tf.Tensor,
  mean: tf.Tensor1D,
  styleMean: tf.Tensor,
): tf.Tensor2D {
  const d = gram.shape[0];
  return runProgram(backend, {
    name: 'covariance_signs',
    inputs: { G: gram, SB: styleCovariance, MA: mean, MB: styleMean },
    outputShape: [d, d + 2],
    threads: d,
    constants: { D: d, N: ['f32', n] },
    body: `
  let i = t;
  var s = 0.0;
  for (var j = 0; j < D; j++) {
    let diff = G[i * D + j] / N - SB[i * D + j];
    result[i * (D + 2) + j] = sign(diff);
    s = s + abs(diff);
  }
  result[i * (D + 2) + D] = s;
  result[i * (D + 2) + D + 1] = abs(MA[i] - MB[i]);`,
  }) as tf.Tensor2D;
}

/**
 * Per column c, `[d, 2]`: the column mean of gCov = (centred·sign)·2/(n·d²) and sign(μ_A − μ_B)/d/n —
 * the core's moment backward gA = gCov − mean(gCov) + sign(μ_A − μ_B)/d/n.
 */
export function momentColumnCoefficients(backend: ProgramBackend, centredSigns: tf.Tensor2D, mean: tf.Tensor1D, styleMean: tf.Tensor, d: number): tf.Tensor2D {
  const [n, width] = centredSigns.shape;
  return runProgram(backend, {
    name: 'moment_columns',
    inputs: { GC: centredSigns, MA: mean, MB: styleMean },
    outputShape: [d, 2],
    threads: d,
    constants: { R: n, W: width, K: ['f32', 2 / (n * d * d)], DF: ['f32', d], NF: ['f32', n] },
    body: `
  var s = 0.0;
  for (var i = 0; i < R; i++) { s = s + GC[i * W + t] * K; }
  result[2 * t] = s / NF;
  result[2 * t + 1] = (sign(MA[t] - MB[t]) / DF) / NF;`,
  }) as tf.Tensor2D;
}
