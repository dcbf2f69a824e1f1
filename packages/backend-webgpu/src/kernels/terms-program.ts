// The objective's scalars from the per-row and per-column partial results (spec §9.6): the five
// terms and the relaxed-EMD branch weights the backward needs, in one single-thread program.
import { tf } from '@strotss/core';
import { runProgram, type ProgramBackend } from './program.js';

/** Layout of the terms buffer: TERM_ORDER, then wa/n, wb/m of the style REMD and of the palette. */
export const TERMS_LENGTH = 9;

/** Partial results of one region's objective. */
export interface TermParts {
  /** {@link contentColumns}' output (row 2n: Σ_i |D̃ − D̃ᶜ| per column). */
  content: tf.Tensor;
  remdRows: tf.Tensor;
  remdCols: tf.Tensor;
  paletteRows: tf.Tensor;
  paletteCols: tf.Tensor;
  /** {@link covarianceSigns}' output. */
  moment: tf.Tensor;
}

/** The terms `[9]` (loss, content, remd, moment, palette, then the REMD branch weights / counts). */
export function objectiveScalars(backend: ProgramBackend, parts: TermParts, n: number, m: number, d: number, alpha: number): tf.Tensor1D {
  return runProgram(backend, {
    name: 'objective_scalars',
    inputs: { UV: parts.content, RR: parts.remdRows, RC: parts.remdCols, PR: parts.paletteRows, PC: parts.paletteCols, CS: parts.moment },
    outputShape: [TERMS_LENGTH],
    threads: 1,
    constants: { N: n, M: m, D: d, NF: ['f32', n], MF: ['f32', m], DF: ['f32', d], ALPHA: ['f32', alpha], AMAX: ['f32', Math.max(alpha, 1)] },
    helpers: `
fn meanOfPairs(which: i32, len: i32) -> f32 {
  var s = 0.0;
  for (var k = 0; k < len; k++) {
    switch which {
      case 0: { s = s + RR[2 * k]; }
      case 1: { s = s + RC[2 * k]; }
      case 2: { s = s + PR[2 * k]; }
      default: { s = s + PC[2 * k]; }
    }
  }
  return s / f32(len);
}
fn maxNan(a: f32, b: f32) -> f32 { if (isNanF(a) || isNanF(b)) { return a + b; } return max(a, b); }
// PyTorch's max(a, b) backward weights: 1/0, 0/1, ½/½ at a tie, 1/1 with a NaN.
fn weightA(a: f32, b: f32) -> f32 { return (1.0 - select(0.0, 1.0, a < b)) - 0.5 * select(0.0, 1.0, a == b); }
fn weightB(a: f32, b: f32) -> f32 { return (1.0 - select(0.0, 1.0, a > b)) - 0.5 * select(0.0, 1.0, a == b); }`,
    body: `
  var absSum = 0.0;
  for (var j = 0; j < N; j++) { absSum = absSum + UV[2 * N * N + j]; }
  let content = (absSum / (NF * NF)) * NF;
  let ra = meanOfPairs(0, N);
  let rb = meanOfPairs(1, M);
  let pa = meanOfPairs(2, N);
  let pb = meanOfPairs(3, M);
  var covAbs = 0.0;
  var meanAbs = 0.0;
  for (var i = 0; i < D; i++) { covAbs = covAbs + CS[i * (D + 2) + D]; meanAbs = meanAbs + CS[i * (D + 2) + D + 1]; }
  let moment = meanAbs / DF + covAbs / (DF * DF);
  let remd = maxNan(ra, rb);
  let palette = maxNan(pa, pb);
  result[0] = ((ALPHA * content + remd) + (moment + palette / AMAX)) / (ALPHA + 2.0);
  result[1] = content;
  result[2] = remd;
  result[3] = moment;
  result[4] = palette;
  result[5] = weightA(ra, rb) / NF;
  result[6] = weightB(ra, rb) / MF;
  result[7] = weightA(pa, pb) / NF;
  result[8] = weightB(pa, pb) / MF;`,
  }) as tf.Tensor1D;
}
