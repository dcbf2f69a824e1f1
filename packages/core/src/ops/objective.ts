import { tf } from '../tfjs.js';
import type { CosineOptions } from './distances.js';
import { rowNorms } from './distances.js';
import { moments, momentLossFromMoments, paletteLoss, remdLoss, rgbColumns, selfSimilarityLoss, type Moments } from './losses.js';
import { DEFAULT_COSINE_EPSILON } from './distances.js';
import { hasBackendKernel, StrotssKernel } from './kernels.js';
import { customUnaryOp } from './reductions.js';

/** The four terms of the STROTSS objective and their combination, all scalars. */
export interface ObjectiveTerms {
  loss: tf.Scalar;
  content: tf.Scalar;
  remd: tf.Scalar;
  moment: tf.Scalar;
  palette: tf.Scalar;
}

/** Combines the terms as the code does: (α·ℓ_c + ℓ_r + (ℓ_m + ℓ_p/max(α,1))) / (α+2) (spec §9.6). */
export function combineObjective(
  alpha: number,
  terms: { content: tf.Scalar; remd: tf.Scalar; moment: tf.Scalar; palette: tf.Scalar },
): tf.Scalar {
  return tf.tidy(() => {
    const style = tf.add(terms.moment, tf.div(terms.palette, Math.max(alpha, 1)));
    return tf.div(tf.add(tf.add(tf.mul(alpha, terms.content), terms.remd), style), alpha + 2) as tf.Scalar;
  });
}

/** Precomputed per-scale style statistics (constant while a scale runs, spec §14.1). */
export interface StyleSamples {
  B: tf.Tensor2D;
  moments: Moments;
  /** Row norms of B `[M, 1]` (REMD cosine costs). */
  norms: tf.Tensor2D;
  /** B's raw RGB columns `[M, 3]` (palette loss). */
  rgb: tf.Tensor2D;
}

/** Style samples with their moments, norms and RGB columns computed once. */
export function prepareStyleSamples(B: tf.Tensor2D): StyleSamples {
  return { B, moments: moments(B), norms: rowNorms(B), rgb: rgbColumns(B) };
}

/** Frees everything {@link prepareStyleSamples} made, B included. */
export function disposeStyleSamples(style: StyleSamples): void {
  tf.dispose([style.B, style.moments.mean, style.moments.covariance, style.norms, style.rgb]);
}

/** Order of the terms in the stacked `[5]` form: loss, content, remd, moment, palette. */
export const TERM_ORDER = ['loss', 'content', 'remd', 'moment', 'palette'] as const;

/**
 * All objective terms for output samples A, content samples C and style samples (spec §9),
 * differentiable w.r.t. A. A named kernel: a backend may compute the terms and the loss's
 * gradient in one pass (see {@link fusedObjectiveTerms}); the other terms then carry no gradient
 * (each has its own differentiable op: selfSimilarityLoss, remdLoss, momentLossFromMoments, paletteLoss).
 */
export function objectiveTerms(
  A: tf.Tensor2D,
  C: tf.Tensor2D,
  style: StyleSamples,
  alpha: number,
  options: CosineOptions = {},
): ObjectiveTerms {
  if (!hasBackendKernel(StrotssKernel.Objective)) return objectiveTermsOnOps(A, C, style, alpha, options);
  return tf.tidy(() => {
    const [loss, content, remd, moment, palette] = tf.unstack(fusedObjectiveTerms(A, C, style, alpha, options)) as tf.Scalar[];
    return { loss, content, remd, moment, palette };
  });
}

/** {@link objectiveTerms} on TF.js ops, with autograd through the custom ops of each term. */
export function objectiveTermsOnOps(
  A: tf.Tensor2D,
  C: tf.Tensor2D,
  style: StyleSamples,
  alpha: number,
  options: CosineOptions = {},
): ObjectiveTerms {
  return tf.tidy(() => {
    const content = selfSimilarityLoss(A, C, options);
    const remd = remdLoss(A, style.B, options, style.norms);
    const moment = momentLossFromMoments(A, style.moments);
    const palette = paletteLoss(A, style.B, options, style.rgb);
    const loss = combineObjective(alpha, { content, remd, moment, palette });
    return { loss, content, remd, moment, palette };
  });
}

/** The terms of {@link objectiveTermsOnOps} stacked as `[5]` in {@link TERM_ORDER}. */
export function stackTerms(terms: ObjectiveTerms): tf.Tensor1D {
  return tf.stack(TERM_ORDER.map((k) => terms[k])) as tf.Tensor1D;
}

/** The style inputs of the Objective kernels, named as the kernels take them (suffix: region index). */
export function styleKernelInputs(style: StyleSamples, suffix = ''): tf.NamedTensorMap {
  return {
    [`B${suffix}`]: style.B,
    [`bNorms${suffix}`]: style.norms,
    [`styleMean${suffix}`]: style.moments.mean,
    [`styleCovariance${suffix}`]: style.moments.covariance,
    [`bRgb${suffix}`]: style.rgb,
  };
}

/**
 * The terms `[5]` from the backend's Objective kernel, which returns them with dLoss/dA:
 * differentiable through the loss only (see {@link gradientOfLoss}; the other terms' gradient is 0).
 */
export function fusedObjectiveTerms(A: tf.Tensor2D, C: tf.Tensor2D, style: StyleSamples, alpha: number, options: CosineOptions = {}): tf.Tensor1D {
  const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
  const op = customUnaryOp<tf.Tensor2D, tf.Tensor1D>((a, save) => {
    const [terms, gradLoss] = tf.engine().runKernel(
      StrotssKernel.Objective,
      { A: a, C, ...styleKernelInputs(style) },
      { alpha, epsilon } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    save([gradLoss]);
    return { value: terms as tf.Tensor1D, gradFunc: (dy, [g]) => gradientOfLoss(dy, g) };
  });
  return op(A);
}

/**
 * The input gradient of a fused kernel's terms `[5]` for upstream gradient `dy`: the kernel's
 * dLoss/dx (`gradLoss`) × dy[0], on the device (no read: the optimisation differentiates the
 * loss only, and reading dy would block a GPU backend every step).
 */
export function gradientOfLoss(dy: tf.Tensor, gradLoss: tf.Tensor): tf.Tensor {
  return tf.mul(gradLoss, tf.slice(dy, [0], [1]));
}

/** The STROTSS objective for hypercolumns A (output), C (content), B (style) and content weight α (spec §9.6). */
export function strotssObjective(
  A: tf.Tensor2D,
  C: tf.Tensor2D,
  B: tf.Tensor2D,
  alpha: number,
  options: CosineOptions = {},
): tf.Scalar {
  return tf.tidy(() => objectiveTerms(A, C, prepareStyleSamples(B), alpha, options).loss);
}
