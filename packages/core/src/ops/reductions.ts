import { tf } from '../tfjs.js';

/**
 * Sum of all elements of a matrix, reduced rows first, then the row sums. A single flat
 * reduction over millions of float32 values loses ~1 % on the wasm backend (fixtures README,
 * "TF.js numerical hazards"); two short reductions keep it at float rounding.
 */
export function stagedSum(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const matrix = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [x.shape[0] ?? 1, -1]);
    return tf.sum(tf.sum(matrix, 1));
  });
}

/** Mean of all elements via {@link stagedSum}. */
export function stagedMean(x: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(stagedSum(x), x.size));
}

/** PyTorch's sign (exactly 0 at 0), built from comparisons because wasm's `sign` returns 0 for |x| < 1.2e-7. */
export function signExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32')));
}

/** Rows `indices` of a `[R, C]` matrix (gatherND: ≈10× faster than gather on wasm for wide rows). */
export function takeRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => tf.gatherND(table, tf.expandDims(indices, 1)) as tf.Tensor2D);
}

/**
 * Rows `indices` of a `[R, C]` matrix, differentiable w.r.t. the matrix. The gradient is a
 * scatter-add (`scatterND` sums duplicates), because TF.js' gather gradient needs
 * `UnsortedSegmentSum`, which the wasm backend lacks.
 */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const op = customUnaryOp<tf.Tensor2D, tf.Tensor2D>((t, save) => {
    save([indices]);
    return {
      value: takeRows(t, indices),
      gradFunc: (dy, saved) => tf.scatterND(tf.expandDims(saved[0], 1), dy, t.shape),
    };
  });
  return op(table);
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

/**
 * a·bᵀ with the transpose made explicit: TF.js' wasm matMul is ≈15× slower with its
 * transposeA/transposeB flags than on a plain (pre-transposed) operand.
 */
export function matMulABt(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(a, tf.transpose(b)));
}

/** Partial products added per AddN: bounds the transient memory to this many d×d matrices. */
const PARTIALS_PER_ADD = 8;

/**
 * aᵀ·b with the transpose made explicit (see {@link matMulABt}), summed over row chunks of
 * `chunk`: XNNPACK's one long float32 accumulation over all rows is ≈10× less accurate than
 * the blocked sums of PyTorch and TF.js' cpu backend, enough to flip the sign of near-zero
 * covariance differences in the moment loss (and its gradient) on wasm.
 * Chunks are taken with gatherND (wasm's Slice is ≈12× slower on these shapes) and the partial
 * products added with AddN, in order, several at a time (one pass instead of one per add).
 */
export function matMulAtB(a: tf.Tensor2D, b: tf.Tensor2D, chunk = 64): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = a.shape[0];
    if (rows <= chunk) return tf.matMul(tf.transpose(a), b);
    let sum: tf.Tensor2D | undefined;
    let pending: tf.Tensor2D[] = [];
    const flush = () => {
      const parts = sum ? [sum, ...pending] : pending;
      const next = parts.length === 1 ? parts[0] : (tf.addN(parts) as tf.Tensor2D);
      // Free the partials now: inside one tidy they would otherwise all live until its end.
      for (const p of parts) if (p !== next) p.dispose();
      sum = next;
      pending = [];
    };
    for (let r = 0; r < rows; r += chunk) {
      const size = Math.min(chunk, rows - r);
      const indices = tf.range(r, r + size, 1, 'int32') as tf.Tensor1D;
      const aRows = takeRows(a, indices);
      const bRows = b === a ? aRows : takeRows(b, indices);
      const aT = tf.transpose(aRows);
      pending.push(tf.matMul(aT, bRows) as tf.Tensor2D);
      tf.dispose([indices, aRows, bRows, aT]);
      if (pending.length === PARTIALS_PER_ADD) flush();
    }
    if (pending.length > 0) flush();
    return sum!;
  });
}
