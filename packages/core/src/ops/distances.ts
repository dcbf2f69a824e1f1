import { tf } from '../tfjs.js';
import { matMulABt } from './reductions.js';

/**
 * Options shared by the cosine-based costs. `epsilon` is added to the product of norms so a
 * zero vector (a pure black style pixel) gives a finite distance instead of the reference's NaN
 * (spec §9.1, issue #12). 1e-12 changes no value beyond float32 rounding; 0 reproduces the
 * reference exactly, NaN included.
 */
export interface CosineOptions {
  epsilon?: number;
}

export const DEFAULT_COSINE_EPSILON = 1e-12;

/** Euclidean norm of each row of `[n, d]`, as `[n, 1]`. */
export function rowNorms(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.sqrt(tf.sum(tf.square(x), 1, true)) as tf.Tensor2D);
}

/**
 * Cosine-distance matrix `1 − x·y / (‖x‖‖y‖)` between the rows of X `[n,d]` and Y `[m,d]` → `[n, m]`
 * (spec §9.1). `yNorms` (`[m, 1]`) may be passed when Y is constant (the style samples of a scale).
 */
export function cosineDistanceMatrix(x: tf.Tensor2D, y: tf.Tensor2D, options: CosineOptions = {}, yNorms?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
    const dots = matMulABt(x, y);
    const xn = rowNorms(x); // [n, 1]
    const yn = tf.transpose(yNorms ?? rowNorms(y)); // [1, m]
    const similarity =
      epsilon === 0 ? tf.div(tf.div(dots, xn), yn) : tf.div(dots, tf.add(tf.mul(xn, yn), epsilon));
    return tf.sub(1, similarity) as tf.Tensor2D;
  });
}

/**
 * Gradient of the cosine distance `1 − x_i·y_i/(‖x_i‖‖y_i‖+ε)` w.r.t. each row x_i, for row pairs
 * `[k, d]` × `[k, d]` → `[k, d]`: −( y/D − (x·y)‖y‖ x / (‖x‖ D²) ), D = ‖x‖‖y‖ + ε.
 */
export function cosineDistancePairGrad(x: tf.Tensor2D, y: tf.Tensor2D, options: CosineOptions = {}): tf.Tensor2D {
  const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
  return tf.tidy(() => {
    const xn = rowNorms(x);
    const yn = rowNorms(y);
    const dots = tf.sum(tf.mul(x, y), 1, true);
    const denom = tf.add(tf.mul(xn, yn), epsilon);
    const towardsY = tf.div(y, denom);
    const alongX = tf.mul(x, tf.div(tf.mul(dots, yn), tf.mul(xn, tf.square(denom))));
    return tf.sub(alongX, towardsY) as tf.Tensor2D;
  });
}

/** Clamp bounds and divisor of the palette's RMS Euclidean distance (spec §9.1). */
const SQ_MIN = 1e-5;
const SQ_MAX = 1e5;

/** Squared-distance matrix in the reference's expanded form ‖x‖² + ‖y‖² − 2x·y → `[n, m]`. */
function expandedSquaredDistances(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  const xs = tf.sum(tf.square(x), 1, true);
  const ys = tf.transpose(tf.sum(tf.square(y), 1, true));
  return tf.sub(tf.add(xs, ys), tf.mul(2, matMulABt(x, y))) as tf.Tensor2D;
}

/** RMS Euclidean distance matrix sqrt(clamp(‖x−y‖², 1e-5, 1e5) / d) → `[n, m]` (spec §9.1, palette only). */
export function rmsEuclideanDistanceMatrix(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    return tf.sqrt(tf.div(tf.clipByValue(expandedSquaredDistances(x, y), SQ_MIN, SQ_MAX), d)) as tf.Tensor2D;
  });
}

/** Gradient of the RMS Euclidean distance w.r.t. each row x_i of row pairs → `[k, d]`; zero where the clamp is active. */
export function rmsEuclideanPairGrad(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    const sq = tf.sub(
      tf.add(tf.sum(tf.square(x), 1, true), tf.sum(tf.square(y), 1, true)),
      tf.mul(2, tf.sum(tf.mul(x, y), 1, true)),
    );
    const inRange = tf.cast(tf.logicalAnd(tf.greaterEqual(sq, SQ_MIN), tf.lessEqual(sq, SQ_MAX)), 'float32');
    const dist = tf.sqrt(tf.div(tf.clipByValue(sq, SQ_MIN, SQ_MAX), d));
    // dE/dx = (x − y) / (d · E)
    return tf.mul(tf.sub(x, y), tf.div(inRange, tf.mul(dist, d))) as tf.Tensor2D;
  });
}
