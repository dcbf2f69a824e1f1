import { tf } from '../tfjs.js';
import type { CosineOptions } from './distances.js';
import { rowNorms } from './distances.js';
import { moments, momentLossFromMoments, paletteLoss, remdLoss, rgbColumns, selfSimilarityLoss, type Moments } from './losses.js';

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

/** All objective terms for output samples A, content samples C and style samples (spec §9). */
export function objectiveTerms(
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
