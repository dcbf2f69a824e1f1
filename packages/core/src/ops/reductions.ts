import { tf } from '../tfjs.js';
import { runNamedKernel, StrotssKernel } from './kernels.js';

/**
 * Sum of every element → scalar (named kernel; the wasm backend registers a staged sum, rows
 * then totals, because one flat float32 reduction over millions of values loses ~1 % there).
 */
export function sumAll(x: tf.Tensor): tf.Scalar {
  return runNamedKernel(StrotssKernel.SumAll, { x }, {}, () => tf.sum(x));
}

/** Mean of every element via {@link sumAll}. */
export function meanAll(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(sumAll(x), x.size));
}

/** PyTorch's sign: exactly 0 at 0 (named kernel; wasm's `sign` returns 0 for |x| < 1.2e-7, so it registers comparisons). */
export function exactSign(x: tf.Tensor): tf.Tensor {
  return runNamedKernel(StrotssKernel.ExactSign, { x }, {}, () => tf.sign(x));
}

/** Rows `indices` of a `[R, C]` matrix (named kernel; wasm registers gatherND, ≈10× faster there for wide rows). */
export function takeRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  return runNamedKernel(StrotssKernel.TakeRows, { table, indices }, {}, () => tf.gather(table, indices) as tf.Tensor2D);
}

type GradSave = (tensors: tf.Tensor[]) => void;

/** Options of {@link customUnaryOp}. */
export interface CustomOpOptions {
  /**
   * Dispose the incoming gradient `dy` once `gradFunc` has used it. TF.js keeps every node's
   * output gradient until the whole backward pass ends; in a chain such as the VGG that is one
   * activation-sized tensor per layer. Only for ops whose output is never the tensor a caller
   * passes its own `dy` for (ours are always inside the objective).
   */
  releaseOutputGradient?: boolean;
}

/**
 * A one-input op with a hand-written gradient (typed wrapper over `tf.customGrad`). Ops run
 * inside `f` are not recorded on the gradient tape; only `gradFunc` is used for the backward.
 * `gradFunc` runs inside a tidy: TF.js calls custom gradients outside one, so their
 * intermediates would otherwise live until the end of the backward pass.
 */
export function customUnaryOp<X extends tf.Tensor, Y extends tf.Tensor>(
  f: (x: X, save: GradSave) => { value: Y; gradFunc: (dy: Y, saved: tf.Tensor[]) => tf.Tensor },
  options: CustomOpOptions = {},
): (x: X) => Y {
  type CustomFn = Parameters<typeof tf.customGrad>[0];
  const op = tf.customGrad(((x: X, save: GradSave) => {
    const { value, gradFunc } = f(x, save);
    return {
      value,
      gradFunc: (dy: Y, saved: tf.Tensor[]) => {
        const dx = tf.tidy(() => gradFunc(dy, saved));
        if (options.releaseOutputGradient && dx !== dy) dy.dispose();
        return dx;
      },
    };
  }) as unknown as CustomFn);
  return op as unknown as (x: X) => Y;
}

/** a·bᵀ for `[n, d]` and `[m, d]` → `[n, m]` (named kernel; wasm registers an explicit transpose, its flag is slow). */
export function matMulABt(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return runNamedKernel(StrotssKernel.MatMulABt, { a, b }, {}, () => tf.matMul(a, b, false, true));
}

/**
 * aᵀ·b for `[n, d]` and `[n, e]` → `[d, e]` (named kernel; wasm registers a sum over row chunks:
 * XNNPACK's one long float32 accumulation over all rows is ≈10× less accurate than blocked
 * sums, enough to flip the sign of near-zero covariance differences in the moment loss).
 */
export function matMulAtB(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return runNamedKernel(StrotssKernel.MatMulAtB, { a, b }, {}, () => tf.matMul(a, b, true, false));
}
