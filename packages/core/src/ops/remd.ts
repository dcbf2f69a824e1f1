import { tf } from '../tfjs.js';
import { customUnaryOp, takeRows } from './reductions.js';

/** A ground metric for the relaxed EMD: its full cost matrix, and the gradient of one pair's cost w.r.t. its first row. */
export interface GroundMetric {
  matrix(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
  pairGrad(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D;
  /** True when costs may be NaN (no epsilon): minima then pick NaN first, as PyTorch's `min` does. */
  nanAware?: boolean;
}

/** Index of the minimum along `axis`; with `nanAware`, the first NaN wins, as in PyTorch. */
function argMinTorch(cost: tf.Tensor2D, axis: 0 | 1, nanAware: boolean): tf.Tensor1D {
  const argMin = tf.argMin(cost, axis) as tf.Tensor1D;
  if (!nanAware) return argMin;
  const nan = tf.isNaN(cost);
  return tf.where(tf.any(nan, axis), tf.argMax(tf.cast(nan, 'int32'), axis), argMin) as tf.Tensor1D;
}

/**
 * Weights PyTorch's `max(a, b)` gives its two inputs' gradients: 1/0, 0/1, ½/½ at a tie,
 * and 1/1 when either is NaN (its backward masks with comparisons that NaN fails).
 */
function maxBranchWeights(a: tf.Scalar, b: tf.Scalar): [tf.Scalar, tf.Scalar] {
  const tie = tf.cast(tf.equal(a, b), 'float32');
  const wa = tf.sub(tf.sub(1, tf.cast(tf.less(a, b), 'float32')), tf.mul(0.5, tie));
  const wb = tf.sub(tf.sub(1, tf.cast(tf.greater(a, b), 'float32')), tf.mul(0.5, tie));
  return [wa as tf.Scalar, wb as tf.Scalar];
}

/**
 * Relaxed EMD ℓ = max(mean_i min_j K_ij, mean_j min_i K_ij) with K = metric(X, Y) (spec §9.2),
 * differentiable w.r.t. X. The backward runs through the selected minima only (spec §14.1):
 * O((N+M)·d) instead of a dense N×M×d product, with PyTorch's tie rule (first index).
 */
export function relaxedEmd(x: tf.Tensor2D, y: tf.Tensor2D, metric: GroundMetric): tf.Scalar {
  const nanAware = metric.nanAware ?? false;
  const op = customUnaryOp<tf.Tensor2D, tf.Scalar>((X, save) => {
    const n = X.shape[0];
    const m = y.shape[0];
    const cost = metric.matrix(X, y); // K, [n, m]
    const flat = tf.reshape(cost, [-1]) as tf.Tensor1D;
    const nearestY = argMinTorch(cost, 1, nanAware); // [n], for each X row
    const nearestX = argMinTorch(cost, 0, nanAware); // [m], for each Y row
    // The picked entries by their flat positions (a NaN, when one was picked, is kept).
    const rowMins = tf.gather(flat, tf.add(tf.mul(tf.range(0, n, 1, 'int32'), tf.scalar(m, 'int32')), nearestY));
    const colMins = tf.gather(flat, tf.add(tf.mul(nearestX, tf.scalar(m, 'int32')), tf.range(0, m, 1, 'int32')));
    const meanRows = tf.mean(rowMins) as tf.Scalar;
    const meanCols = tf.mean(colMins) as tf.Scalar;
    const value = tf.maximum(meanRows, meanCols) as tf.Scalar;
    // Y is saved too: it may be a temporary that is disposed before the backward runs.
    save([X, y, nearestY, nearestX, meanRows, meanCols]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [Xs, Y, nearY, nearX, a, b] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Scalar, tf.Scalar];
        const [wa, wb] = maxBranchWeights(a, b);
        // X side: each X row pays its own nearest Y.
        const gradRows = tf.mul(metric.pairGrad(Xs, takeRows(Y, nearY)), tf.div(wa, n));
        // Y side: each Y row's nearest X pays; several Y may pick the same X (scatter-add).
        const perY = tf.mul(metric.pairGrad(takeRows(Xs, nearX), Y), tf.div(wb, m));
        const gradCols = tf.scatterND(tf.expandDims(nearX, 1), perY, Xs.shape);
        return tf.mul(tf.add(gradRows, gradCols), dy);
      },
    };
  });
  return op(x);
}
