import { tf } from '../tfjs.js';
import {
  DEFAULT_COSINE_EPSILON,
  rowNorms,
  cosineDistanceMatrix,
  cosineDistancePairGrad,
  rmsEuclideanDistanceMatrix,
  rmsEuclideanPairGrad,
  type CosineOptions,
} from './distances.js';
import { relaxedEmd, type GroundMetric } from './remd.js';
import { customUnaryOp, exactSign, matMulABt, matMulAtB, meanAll } from './reductions.js';

/**
 * The cosine ground metric of the style REMD (spec §9.2). `yNorms` (`[m, 1]`), the row norms
 * of the constant Y, saves recomputing them every iteration.
 */
export function cosineMetric(options: CosineOptions = {}, yNorms?: tf.Tensor2D): GroundMetric {
  return {
    matrix: (x, y) => cosineDistanceMatrix(x, y, options, yNorms),
    pairGrad: (x, y) => cosineDistancePairGrad(x, y, options),
    nanAware: options.epsilon === 0,
  };
}

/** Style loss ℓ_r: relaxed EMD with cosine cost over the whole hypercolumn (spec §9.2); `bNorms` = B's row norms when precomputed. */
export function remdLoss(A: tf.Tensor2D, B: tf.Tensor2D, options: CosineOptions = {}, bNorms?: tf.Tensor2D): tf.Scalar {
  return relaxedEmd(A, B, cosineMetric(options, bNorms));
}

/**
 * The reference's fixed colour rotation ("YUV", spec §9.4), rows of T. Orthonormal, so a
 * numerical no-op for both distances; kept so float rounding follows the reference.
 */
const COLOUR_ROTATION = [
  [0.57735, 0.57735, 0.57735],
  [-0.57735, 0.788675, -0.211325],
  [-0.57735, -0.211325, 0.788675],
];

/** Palette ground metric: cosine + RMS Euclidean on rotated colours; `pairGrad` is w.r.t. the unrotated colours. */
export function paletteMetric(options: CosineOptions = {}): GroundMetric {
  const rotate = (c: tf.Tensor2D) => tf.matMul(c, tf.transpose(tf.tensor2d(COLOUR_ROTATION))) as tf.Tensor2D;
  return {
    matrix: (x, y) =>
      tf.tidy(() => {
        const xr = rotate(x);
        const yr = rotate(y);
        return tf.add(cosineDistanceMatrix(xr, yr, options), rmsEuclideanDistanceMatrix(xr, yr)) as tf.Tensor2D;
      }),
    pairGrad: (x, y) =>
      tf.tidy(() => {
        const xr = rotate(x);
        const yr = rotate(y);
        const g = tf.add(cosineDistancePairGrad(xr, yr, options), rmsEuclideanPairGrad(xr, yr));
        return tf.matMul(g, tf.tensor2d(COLOUR_ROTATION)) as tf.Tensor2D; // chain rule through x' = T x
      }),
    nanAware: options.epsilon === 0,
  };
}

/** The raw RGB channels (the first three columns) of hypercolumns `[n, d]` → `[n, 3]`. */
export function rgbColumns(x: tf.Tensor2D): tf.Tensor2D {
  return tf.slice(x, [0, 0], [-1, 3]) as tf.Tensor2D;
}

/**
 * Palette loss ℓ_p: relaxed EMD on the first three (raw RGB) channels with cosine +
 * RMS-Euclidean cost (spec §9.4). `bRgb` = B's RGB columns when precomputed (constant per scale).
 */
export function paletteLoss(A: tf.Tensor2D, B: tf.Tensor2D, options: CosineOptions = {}, bRgb?: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => relaxedEmd(rgbColumns(A), bRgb ?? rgbColumns(B), paletteMetric(options)));
}

/** Mean and biased covariance of the rows of `[n, d]` (spec §9.3). */
export interface Moments {
  mean: tf.Tensor2D; // [1, d]
  covariance: tf.Tensor2D; // [d, d]
}

/** Mean `[1,d]` and biased covariance `[d,d]` of the rows of X. */
export function moments(x: tf.Tensor2D): Moments {
  return tf.tidy(() => {
    const mean = tf.mean(x, 0, true) as tf.Tensor2D;
    const centred = tf.sub(x, mean);
    const covariance = tf.div(matMulAtB(centred as tf.Tensor2D, centred as tf.Tensor2D), x.shape[0]) as tf.Tensor2D;
    return { mean, covariance };
  });
}

/**
 * Moment loss ℓ_m = mean|μ_A − μ_B| + mean|Σ_A − Σ_B| against precomputed style moments
 * (spec §9.3). Custom backward: Σ_A's gradient uses the symmetry of sign(Σ_A − Σ_B), one d×d×N
 * product instead of two; |x| has PyTorch's zero gradient at 0.
 */
export function momentLossFromMoments(A: tf.Tensor2D, style: Moments): tf.Scalar {
  const op = customUnaryOp<tf.Tensor2D, tf.Scalar>((a, save) => {
    const [n, d] = a.shape;
    const mean = tf.mean(a, 0, true);
    const centred = tf.sub(a, mean);
    const covariance = tf.div(matMulAtB(centred as tf.Tensor2D, centred as tf.Tensor2D), n);
    const meanDiff = tf.sub(mean, style.mean);
    const covDiff = tf.sub(covariance, style.covariance);
    const value = tf.add(meanAll(tf.abs(meanDiff)), meanAll(tf.abs(covDiff))) as tf.Scalar;
    save([centred, meanDiff, covDiff]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [c, md, cd] = saved;
        const gMean = tf.div(exactSign(md), d); // [1, d], broadcast to every row, / n below
        const gCentred = tf.matMul(c as tf.Tensor2D, exactSign(cd) as tf.Tensor2D); // [n, d]
        const gCov = tf.mul(gCentred, 2 / (n * d * d));
        // centred = a − mean(a): subtract the column means of the centred-path gradient.
        const gA = tf.add(tf.sub(gCov, tf.mean(gCov, 0, true)), tf.div(gMean, n));
        return tf.mul(gA, dy);
      },
    };
  });
  return op(A);
}

/** Moment loss ℓ_m(A, B) computing B's moments on the fly (spec §9.3). */
export function momentLoss(A: tf.Tensor2D, B: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => momentLossFromMoments(A, moments(B)));
}

/** Self-similarity matrix of the rows, column-normalised: D_ij / Σ_k D_kj with D the cosine distance (spec §9.5). */
export function normalisedSelfSimilarity(x: tf.Tensor2D, options: CosineOptions = {}): tf.Tensor2D {
  return tf.tidy(() => {
    const distances = cosineDistanceMatrix(x, x, options);
    return tf.div(distances, tf.sum(distances, 0, true)) as tf.Tensor2D;
  });
}

/**
 * Content loss ℓ_c = (1/N) Σ_ij |D̃^A_ij − D̃^C_ij| — the code's scaling, N× the paper's (spec §9.5).
 * Hand-written backward: one N×N×d product, (U + Uᵀ)·A, instead of autograd's two transposed
 * ones (slow on wasm); |x| has PyTorch's zero gradient at 0.
 * `contentSelfSimilarity` may be passed when already computed for these samples.
 */
export function selfSimilarityLoss(
  A: tf.Tensor2D,
  C: tf.Tensor2D,
  options: CosineOptions = {},
  contentSelfSimilarity?: tf.Tensor2D,
): tf.Scalar {
  const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
  const dc = contentSelfSimilarity ?? normalisedSelfSimilarity(C, options);
  const op = customUnaryOp<tf.Tensor2D, tf.Scalar>((a, save) => {
    const n = a.shape[0];
    const norms = rowNorms(a); // [n, 1]
    const dots = matMulABt(a, a);
    const normProducts = epsilon === 0 ? tf.mul(norms, tf.transpose(norms)) : tf.add(tf.mul(norms, tf.transpose(norms)), epsilon);
    const distances = tf.sub(1, epsilon === 0 ? tf.div(tf.div(dots, norms), tf.transpose(norms)) : tf.div(dots, normProducts));
    const columnSums = tf.sum(distances, 0, true); // [1, n]
    const normalised = tf.div(distances, columnSums);
    const diff = tf.sub(normalised, dc);
    const value = tf.mul(meanAll(tf.abs(diff)), n) as tf.Scalar;
    save([a, norms, dots, normProducts, columnSums, normalised, diff]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [x, q, s, p, c, dn, d] = saved as tf.Tensor2D[];
        const g = tf.div(exactSign(d), n); // dℓ/dD̃
        const h = tf.div(tf.sub(g, tf.sum(tf.mul(g, dn), 0, true)), c); // dℓ/dD
        const u = tf.div(tf.neg(h), p); // dℓ/dS (S = A·Aᵀ)
        const v = tf.div(tf.mul(tf.neg(h), s), tf.square(p));
        const dq = tf.neg(tf.matMul(tf.add(v, tf.transpose(v)), q)); // dℓ/d‖a_i‖, [n, 1]
        const fromDots = tf.matMul(tf.add(u, tf.transpose(u)), x);
        const fromNorms = tf.mul(x, tf.div(dq, q));
        return tf.mul(tf.add(fromDots, fromNorms), dy);
      },
    };
  });
  return op(A);
}
