// The content term ℓ_c (spec §9.5) and its gradient as programs: one thread per column of the
// N×N self-similarity matrices, the hand-written backward of the core's selfSimilarityLoss.
import { tf } from '@strotss/core';
import { runProgram, type ProgramBackend } from './program.js';

/** Row norms `[n]` of `x` `[n, d]`: √Σ x². */
export function rowNorms(backend: ProgramBackend, x: tf.Tensor2D): tf.Tensor1D {
  const [n, d] = x.shape;
  return runProgram(backend, {
    name: 'row_norms',
    inputs: { X: x },
    outputShape: [n],
    constants: { D: d },
    body: `
  var s = 0.0;
  for (var c = 0; c < D; c++) { let v = X[t * D + c]; s = s + v * v; }
  result[t] = sqrt(s);`,
  }) as tf.Tensor1D;
}

/** WGSL of the cosine distance 1 − s/(qi·qj + ε) (with ε = 0: 1 − (s/qi)/qj, as the core). */
export function cosineSnippet(epsilon: number): string {
  return epsilon === 0
    ? 'fn cosd(s: f32, qi: f32, qj: f32) -> f32 { return 1.0 - (s / qi) / qj; }\nfn pnorm(qi: f32, qj: f32) -> f32 { return qi * qj; }'
    : 'fn cosd(s: f32, qi: f32, qj: f32) -> f32 { return 1.0 - s / (qi * qj + EPS); }\nfn pnorm(qi: f32, qj: f32) -> f32 { return qi * qj + EPS; }';
}

/** The column-normalised self-similarity D̃ `[n, n]` of samples with Gram matrix `s` and row norms `q`. */
export function normalisedSelfSimilarity(backend: ProgramBackend, s: tf.Tensor2D, q: tf.Tensor1D, epsilon: number): tf.Tensor2D {
  const n = s.shape[0];
  return runProgram(backend, {
    name: `self_similarity_${epsilon === 0}`,
    inputs: { S: s, Q: q },
    outputShape: [n, n],
    threads: n,
    constants: { N: n, EPS: ['f32', epsilon] },
    helpers: cosineSnippet(epsilon),
    body: `
  let j = t;
  var c = 0.0;
  for (var i = 0; i < N; i++) { c = c + cosd(S[i * N + j], Q[i], Q[j]); }
  for (var i = 0; i < N; i++) { result[i * N + j] = cosd(S[i * N + j], Q[i], Q[j]) / c; }`,
  }) as tf.Tensor2D;
}

/**
 * Per column j of the output's self-similarity: U = dℓ/dS and V = dℓ/d(norm product)·… as the
 * core's backward (u = −h/P, v = −h·S/P², h = (g − Σ g·D̃)/c, g = sign(D̃ − D̃ᶜ)/n), and Σ_i |D̃ − D̃ᶜ|.
 * Layout `[2n + 1, n]`: rows 0…n−1 U, n…2n−1 V, row 2n the column sums of |D̃ − D̃ᶜ|.
 */
export function contentColumns(backend: ProgramBackend, s: tf.Tensor2D, q: tf.Tensor1D, target: tf.Tensor2D, epsilon: number): tf.Tensor2D {
  const n = s.shape[0];
  return runProgram(backend, {
    name: `content_columns_${epsilon === 0}`,
    inputs: { S: s, Q: q, DC: target },
    outputShape: [2 * n + 1, n],
    threads: n,
    constants: { N: n, EPS: ['f32', epsilon], INV_N: ['f32', 1 / n] },
    helpers: cosineSnippet(epsilon),
    body: `
  let j = t;
  var c = 0.0;
  for (var i = 0; i < N; i++) { c = c + cosd(S[i * N + j], Q[i], Q[j]); }
  var absSum = 0.0;
  var gDn = 0.0;
  for (var i = 0; i < N; i++) {
    let dn = cosd(S[i * N + j], Q[i], Q[j]) / c;
    let diff = dn - DC[i * N + j];
    absSum = absSum + abs(diff);
    gDn = gDn + (sign(diff) * INV_N) * dn;
  }
  for (var i = 0; i < N; i++) {
    let sij = S[i * N + j];
    let dn = cosd(sij, Q[i], Q[j]) / c;
    let g = sign(dn - DC[i * N + j]) * INV_N;
    let h = (g - gDn) / c;
    let p = pnorm(Q[i], Q[j]);
    result[i * N + j] = -h / p;
    result[(N + i) * N + j] = (-h * sij) / (p * p);
  }
  result[2 * N * N + j] = absSum;`,
  }) as tf.Tensor2D;
}

/** `[n + 1, n]`: rows 0…n−1 U + Uᵀ, row n dℓ/d‖a_j‖ = −Σ_k (V_jk + V_kj)·q_k (from {@link contentColumns}' layout). */
export function symmetricContentGradient(backend: ProgramBackend, uv: tf.Tensor2D, q: tf.Tensor1D): tf.Tensor2D {
  const n = uv.shape[1];
  return runProgram(backend, {
    name: 'content_symmetric',
    inputs: { UV: uv, Q: q },
    outputShape: [n + 1, n],
    constants: { N: n },
    body: `
  let i = t / N;
  let j = t % N;
  if (i < N) {
    result[t] = UV[i * N + j] + UV[j * N + i];
    return;
  }
  var s = 0.0;
  for (var k = 0; k < N; k++) { s = s + (UV[(N + j) * N + k] + UV[(N + k) * N + j]) * Q[k]; }
  result[t] = -s;`,
  }) as tf.Tensor2D;
}
