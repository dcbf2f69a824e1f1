// The relaxed-EMD terms (spec §9.2 style, §9.4 palette) as programs: the row and column minima of
// the cost matrix with their indices in one pass each, and the backward through the picked pairs.
import { tf } from '@strotss/core';
import { cosineSnippet } from './content-programs.js';
import { runProgram, type ProgramBackend } from './program.js';

/** WGSL: keeps the first minimum, or with NAN_AWARE the first NaN (PyTorch's `min`). */
const PICK = `
fn better(k: f32, best: f32) -> bool {
  if (NAN_AWARE && isNanF(best)) { return false; }
  if (NAN_AWARE && isNanF(k)) { return true; }
  return k < best;
}`;

/** WGSL `cost(i, j)` of the cosine REMD from the dots `Dots [n, m]`, A's norms `QA` and B's `BN`. */
const COSINE_COST = 'fn cost(i: i32, j: i32) -> f32 { return cosd(Dots[i * M + j], QA[i], BN[j]); }';

/** WGSL `cost(i, j)` of the palette: cosine + RMS Euclidean on rotated colours (spec §9.1, §9.4). */
const PALETTE_COST = `
fn rotate(c: vec3<f32>) -> vec3<f32> {
  return vec3<f32>(dot(vec3<f32>(0.57735, 0.57735, 0.57735), c), dot(vec3<f32>(-0.57735, 0.788675, -0.211325), c), dot(vec3<f32>(-0.57735, -0.211325, 0.788675), c));
}
fn colourA(i: i32) -> vec3<f32> { return vec3<f32>(A[i * D], A[i * D + 1], A[i * D + 2]); }
fn colourB(j: i32) -> vec3<f32> { return vec3<f32>(BR[j * 3], BR[j * 3 + 1], BR[j * 3 + 2]); }
fn pairCost(x: vec3<f32>, y: vec3<f32>) -> f32 {
  let xr = rotate(x);
  let yr = rotate(y);
  let s = dot(xr, yr);
  let xs = dot(xr, xr);
  let ys = dot(yr, yr);
  let sq = clamp((xs + ys) - 2.0 * s, 1e-5, 1e5);
  return cosd(s, sqrt(xs), sqrt(ys)) + sqrt(sq / 3.0);
}
fn cost(i: i32, j: i32) -> f32 { return pairCost(colourA(i), colourB(j)); }`;

/** Inputs and helpers of one REMD's cost matrix: cosine over hypercolumns, or the palette's on RGB. */
export interface CostSource {
  kind: 'cosine' | 'palette';
  inputs: Record<string, tf.Tensor>;
  n: number;
  m: number;
  d: number;
  epsilon: number;
}

/** The cosine REMD's cost source: dots `A·Bᵀ`, norms of A and B. */
export function cosineCost(dots: tf.Tensor2D, qa: tf.Tensor1D, bNorms: tf.Tensor, epsilon: number): CostSource {
  const [n, m] = dots.shape;
  return { kind: 'cosine', inputs: { Dots: dots, QA: qa, BN: bNorms }, n, m, d: 0, epsilon };
}

/** The palette's cost source: A (its first three columns) and B's RGB columns `[m, 3]`. */
export function paletteCost(a: tf.Tensor2D, bRgb: tf.Tensor2D, epsilon: number): CostSource {
  return { kind: 'palette', inputs: { A: a, BR: bRgb }, n: a.shape[0], m: bRgb.shape[0], d: a.shape[1], epsilon };
}

function costHelpers(source: CostSource): string {
  return `${cosineSnippet(source.epsilon)}\n${PICK}\n${source.kind === 'cosine' ? COSINE_COST : PALETTE_COST}`;
}

/**
 * Minima of the cost matrix along rows (`axis` 1: for each A row, over B) or columns (`axis` 0)
 * with their first indices, as `[k, 2]` (value, index as float; exact below 2²⁴).
 */
export function costMinima(backend: ProgramBackend, source: CostSource, axis: 0 | 1): tf.Tensor2D {
  const { n, m } = source;
  const k = axis === 1 ? n : m;
  const [outer, inner] = axis === 1 ? ['i', 'j'] : ['j', 'i'];
  return runProgram(backend, {
    name: `remd_min_${source.kind}_${axis}`,
    inputs: source.inputs,
    outputShape: [k, 2],
    threads: k,
    constants: { N: n, M: m, D: source.d, EPS: ['f32', source.epsilon], LEN: axis === 1 ? m : n },
    helpers: `const NAN_AWARE: bool = ${source.epsilon === 0};\n${costHelpers(source)}`,
    body: `
  let ${outer} = t;
  var ${inner} = 0;
  var best = cost(i, j);
  var arg = 0;
  for (${inner} = 1; ${inner} < LEN; ${inner}++) {
    let c = cost(i, j);
    if (better(c, best)) { best = c; arg = ${inner}; }
  }
  result[2 * t] = best;
  result[2 * t + 1] = f32(arg);`,
  }) as tf.Tensor2D;
}

/**
 * The cosine REMD's gradient as dense pair weights `[n, m]`: −(wa/n)/D_ij where j is row i's
 * nearest, −(wb/m)/D_ij where i is column j's nearest (D = ‖a‖‖b‖ + ε); the gradient is then
 * r ⊙ A + W·B (r from {@link rowCoefficients}). `terms` holds wa/n and wb/m at 5 and 6.
 */
export function remdPairWeights(backend: ProgramBackend, source: CostSource, rowMin: tf.Tensor, colMin: tf.Tensor, terms: tf.Tensor): tf.Tensor2D {
  const { n, m } = source;
  return runProgram(backend, {
    name: 'remd_weights',
    inputs: { QA: source.inputs.QA, BN: source.inputs.BN, RowMin: rowMin, ColMin: colMin, Terms: terms },
    outputShape: [n, m],
    constants: { M: m, EPS: ['f32', source.epsilon] },
    helpers: cosineSnippet(source.epsilon),
    body: `
  let i = t / M;
  let j = t % M;
  var w = 0.0;
  if (i32(RowMin[2 * i + 1]) == j) { w = w - Terms[5] / pnorm(QA[i], BN[j]); }
  if (i32(ColMin[2 * j + 1]) == i) { w = w - Terms[6] / pnorm(QA[i], BN[j]); }
  result[t] = w;`,
  }) as tf.Tensor2D;
}

/**
 * `[n, 2]` per output row i: the cosine REMD's coefficient of a_i (Σ over its picked pairs of
 * weight·(a·b)‖b‖/(‖a‖D²)) and the content gradient's dℓ/d‖a_i‖ / ‖a_i‖ (from `contentSym`'s row n).
 */
export function rowCoefficients(
  backend: ProgramBackend,
  source: CostSource,
  rowMin: tf.Tensor,
  colMin: tf.Tensor,
  terms: tf.Tensor,
  contentSym: tf.Tensor2D,
): tf.Tensor2D {
  const { n, m } = source;
  return runProgram(backend, {
    name: 'row_coefficients',
    inputs: { ...source.inputs, RowMin: rowMin, ColMin: colMin, Terms: terms, CS: contentSym },
    outputShape: [n, 2],
    threads: n,
    constants: { N: n, M: m, EPS: ['f32', source.epsilon] },
    helpers: `${cosineSnippet(source.epsilon)}
fn coef(i: i32, j: i32) -> f32 { let p = pnorm(QA[i], BN[j]); return (Dots[i * M + j] * BN[j]) / (QA[i] * (p * p)); }`,
    body: `
  let i = t;
  var r = coef(i, i32(RowMin[2 * i + 1])) * Terms[5];
  for (var j = 0; j < M; j++) {
    if (i32(ColMin[2 * j + 1]) == i) { r = r + coef(i, j) * Terms[6]; }
  }
  result[2 * i] = r;
  result[2 * i + 1] = CS[N * N + i] / QA[i];`,
  }) as tf.Tensor2D;
}

/**
 * The palette's gradient `[n, 3]` w.r.t. A's RGB columns: each row's nearest pair × wa/n, plus the
 * pairs of the columns that picked it × wb/m (`terms` 7, 8); cosine + RMS pair gradients on the
 * rotated colours, rotated back (spec §9.4).
 */
export function paletteGradient(backend: ProgramBackend, source: CostSource, rowMin: tf.Tensor, colMin: tf.Tensor, terms: tf.Tensor): tf.Tensor2D {
  const { n, m } = source;
  return runProgram(backend, {
    name: 'palette_gradient',
    inputs: { ...source.inputs, RowMin: rowMin, ColMin: colMin, Terms: terms },
    outputShape: [n, 3],
    threads: n,
    constants: { M: m, D: source.d, EPS: ['f32', source.epsilon] },
    helpers: `${costHelpers(source).replace(PICK, '')}
fn pairGrad(x: vec3<f32>, y: vec3<f32>) -> vec3<f32> {
  let xr = rotate(x);
  let yr = rotate(y);
  let xn = sqrt(dot(xr, xr));
  let yn = sqrt(dot(yr, yr));
  let s = dot(xr, yr);
  let denom = pnorm(xn, yn);
  let cosGrad = xr * ((s * yn) / (xn * (denom * denom))) - yr / denom;
  let sq = (dot(xr, xr) + dot(yr, yr)) - 2.0 * s;
  let inRange = select(0.0, 1.0, sq >= 1e-5 && sq <= 1e5);
  let dist = sqrt(clamp(sq, 1e-5, 1e5) / 3.0);
  let g = cosGrad + (xr - yr) * (inRange / (dist * 3.0));
  return vec3<f32>(dot(g, vec3<f32>(0.57735, -0.57735, -0.57735)), dot(g, vec3<f32>(0.57735, 0.788675, -0.211325)), dot(g, vec3<f32>(0.57735, -0.211325, 0.788675)));
}`,
    body: `
  let i = t;
  let a = colourA(i);
  var g = pairGrad(a, colourB(i32(RowMin[2 * i + 1]))) * Terms[7];
  for (var j = 0; j < M; j++) {
    if (i32(ColMin[2 * j + 1]) == i) { g = g + pairGrad(a, colourB(j)) * Terms[8]; }
  }
  result[3 * i] = g.x;
  result[3 * i + 1] = g.y;
  result[3 * i + 2] = g.z;`,
  }) as tf.Tensor2D;
}
