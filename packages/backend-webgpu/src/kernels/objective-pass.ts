// The STROTSS objective (spec §9) of output samples A on WebGPU: the five terms and dLoss/dA from
// about 25 programs and matrix products, the hand-written backwards of the core's ops
// (selfSimilarityLoss, relaxedEmd, momentLossFromMoments) without an autograd tape.
import { tf } from '@strotss/core';
import { contentColumns, normalisedSelfSimilarity, rowNorms, symmetricContentGradient } from './content-programs.js';
import { centre, columnMeans, covarianceSigns, momentColumnCoefficients } from './moment-programs.js';
import { runProgram, type ProgramBackend } from './program.js';
import { cosineCost, costMinima, paletteCost, paletteGradient, remdPairWeights, rowCoefficients } from './remd-programs.js';
import { objectiveScalars } from './terms-program.js';

/** One region's inputs, named as the core's Objective kernels take them (see core `styleKernelInputs`). */
export interface ObjectiveInputs {
  A: tf.Tensor2D;
  C: tf.Tensor2D;
  B: tf.Tensor2D;
  bNorms: tf.Tensor;
  styleMean: tf.Tensor;
  styleCovariance: tf.Tensor;
  bRgb: tf.Tensor2D;
}

/** Terms `[9]` (see TERMS_LENGTH) and dLoss/dA × `gradScale`, for one region. Runs in the caller's tidy. */
export function objectivePass(
  backend: ProgramBackend,
  x: ObjectiveInputs,
  alpha: number,
  epsilon: number,
  gradScale = 1,
): { terms: tf.Tensor1D; grad: tf.Tensor2D } {
  const [n, d] = x.A.shape;
  const m = x.B.shape[0];
  // Content (spec §9.5): both self-similarities, the per-column backward.
  const qa = rowNorms(backend, x.A);
  const target = normalisedSelfSimilarity(backend, tf.matMul(x.C, x.C, false, true), rowNorms(backend, x.C), epsilon);
  const uv = contentColumns(backend, tf.matMul(x.A, x.A, false, true) as tf.Tensor2D, qa, target, epsilon);
  const contentSym = symmetricContentGradient(backend, uv, qa);
  // Style REMD (§9.2) and palette (§9.4): minima with indices.
  const dots = tf.matMul(x.A, x.B, false, true) as tf.Tensor2D;
  const remd = cosineCost(dots, qa, x.bNorms, epsilon);
  const palette = paletteCost(x.A, x.bRgb, epsilon);
  const [remdRows, remdCols] = [costMinima(backend, remd, 1), costMinima(backend, remd, 0)];
  const [paletteRows, paletteCols] = [costMinima(backend, palette, 1), costMinima(backend, palette, 0)];
  // Moments (§9.3).
  const mean = columnMeans(backend, x.A);
  const centred = centre(backend, x.A, mean);
  const signs = covarianceSigns(backend, tf.matMul(centred, centred, true, false) as tf.Tensor2D, n, x.styleCovariance, mean, x.styleMean);
  const terms = objectiveScalars(backend, { content: uv, remdRows, remdCols, paletteRows, paletteCols, moment: signs }, n, m, d, alpha);
  // Backward.
  const centredSigns = tf.matMul(centred, signs) as tf.Tensor2D;
  const grad = combineGradients(
    backend,
    {
    A: x.A,
    UA: tf.matMul(contentSym, x.A),
    RC: rowCoefficients(backend, remd, remdRows, remdCols, terms, contentSym),
    WB: tf.matMul(remdPairWeights(backend, remd, remdRows, remdCols, terms), x.B),
    GC: centredSigns,
    CC: momentColumnCoefficients(backend, centredSigns, mean, x.styleMean, d),
    PG: paletteGradient(backend, palette, paletteRows, paletteCols, terms),
  }, alpha, gradScale);
  return { terms, grad };
}

/**
 * dLoss/dA `[n, d]` × `scale` from each term's parts: content (U+Uᵀ)·A + A·dq/q, REMD r⊙A + W·B,
 * moment gCov − mean(gCov) + sign(μ_A − μ_B)/d/n, palette on the RGB columns, weighted as the loss
 * combines the terms (spec §9.6).
 */
function combineGradients(backend: ProgramBackend, parts: Record<'A' | 'UA' | 'RC' | 'WB' | 'GC' | 'CC' | 'PG', tf.Tensor>, alpha: number, scale: number): tf.Tensor2D {
  const [n, d] = parts.A.shape;
  const perTerm = 1 / (alpha + 2);
  return runProgram(backend, {
    name: 'objective_gradient',
    inputs: parts,
    outputShape: [n, d],
    constants: {
      D: d,
      GW: parts.GC.shape[1]!,
      K: ['f32', 2 / (n * d * d)],
      W_CONTENT: ['f32', alpha * perTerm],
      W_TERM: ['f32', perTerm],
      W_PALETTE: ['f32', perTerm / Math.max(alpha, 1)],
      SCALE: ['f32', scale],
    },
    body: `
  let i = t / D;
  let c = t % D;
  let a = A[t];
  let content = UA[t] + a * RC[2 * i + 1];
  let remd = RC[2 * i] * a + WB[t];
  let moment = (GC[i * GW + c] * K - CC[2 * c]) + CC[2 * c + 1];
  var palette = 0.0;
  if (c < 3) { palette = PG[3 * i + c]; }
  result[t] = (content * W_CONTENT + (remd + moment) * W_TERM + palette * W_PALETTE) * SCALE;`,
  }) as tf.Tensor2D;
}
