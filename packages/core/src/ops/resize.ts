import { tf } from '../tfjs.js';
import { customUnaryOp } from './reductions.js';

/** Output size `[h, w]` of the reference loader for long side `L` (spec §3.2: trunc(H·L/max) in float64; may give L−1). */
export function scaledSize(height: number, width: number, longSide: number): [number, number] {
  const fac = longSide / Math.max(height, width);
  return [Math.trunc(height * fac), Math.trunc(width * fac)];
}

type Sampling = 'half-pixel' | 'align-corners';

/** The two source taps of each output position of a 1-D linear interpolation, and their weights. */
export interface InterpolationTaps {
  lo: Int32Array;
  hi: Int32Array;
  /** Weight of `lo` (1 − λ) and of `hi` (λ). */
  weightLo: Float32Array;
  weightHi: Float32Array;
}

/**
 * The taps of 1-D linear interpolation from `inSize` to `outSize` samples, with source coordinates
 * in float32 as PyTorch computes them (spec §3.2, §6).
 */
export function interpolationTaps(inSize: number, outSize: number, sampling: Sampling): InterpolationTaps {
  const taps = {
    lo: new Int32Array(outSize),
    hi: new Int32Array(outSize),
    weightLo: new Float32Array(outSize),
    weightHi: new Float32Array(outSize),
  };
  const f = Math.fround;
  const scale =
    sampling === 'align-corners' ? (outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0) : f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src = sampling === 'align-corners' ? f(scale * o) : f(f(scale * (o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const lo = Math.min(Math.floor(src), inSize - 1);
    const lambda = f(src - lo);
    taps.lo[o] = lo;
    taps.hi[o] = Math.min(lo + 1, inSize - 1);
    taps.weightLo[o] = 1 - lambda;
    taps.weightHi[o] = lambda;
  }
  return taps;
}

/**
 * The adjoint of 1-D linear interpolation along the first axis of `g` `[out, k]` → `[in, k]`: each
 * output row's gradient added to its two source rows, weighted (scatterND sums rows that meet).
 */
function interpolationAdjoint(g: tf.Tensor2D, inSize: number, taps: InterpolationTaps): tf.Tensor2D {
  const out = taps.lo.length;
  const indices = tf.tensor2d(Int32Array.from([...taps.lo, ...taps.hi]), [2 * out, 1], 'int32');
  const weights = tf.tensor2d(Float32Array.from([...taps.weightLo, ...taps.weightHi]), [2 * out, 1]);
  const updates = tf.mul(tf.concat([g, g], 0), weights) as tf.Tensor2D;
  return tf.scatterND(indices, updates, [inSize, g.shape[1]]) as tf.Tensor2D;
}

/**
 * Bilinear resize of NHWC `x` (N = 1). The forward is TF.js' kernel (it matches PyTorch to
 * float rounding); the backward is the adjoint of the separable interpolation, Ryᵀ·dY·Rx,
 * applied by its two taps per output row and column (scatter-adds, O(H·W·C); the dense matrix
 * products were ≈0.4 s per iteration at 512×384 on wasm) — TF.js' ResizeBilinearGrad returns a
 * transposed shape for non-square inputs on the cpu backend.
 */
function resizeBilinear(x: tf.Tensor4D, size: readonly [number, number], sampling: Sampling): tf.Tensor4D {
  const [outH, outW] = size;
  const op = customUnaryOp<tf.Tensor4D, tf.Tensor4D>((input) => {
    const [, inH, inW] = input.shape;
    const alignCorners = sampling === 'align-corners';
    return {
      value: tf.image.resizeBilinear(input, [outH, outW], alignCorners, !alignCorners),
      gradFunc: (dy) =>
        tf.tidy(() => {
          const channels = dy.shape[3];
          // Rows: with dY as [outH, outW·C] (NHWC rows), each output row back to its two source rows.
          const rows = interpolationAdjoint(tf.reshape(dy, [outH, outW * channels]) as tf.Tensor2D, inH, interpolationTaps(inH, outH, sampling));
          // Columns: the same along W, with W moved first ([outW, inH·C]).
          const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [inH, outW, channels]), [1, 0, 2]), [outW, inH * channels]) as tf.Tensor2D;
          const cols = interpolationAdjoint(byColumn, inW, interpolationTaps(inW, outW, sampling)); // [inW, inH·C]
          return tf.reshape(tf.transpose(tf.reshape(cols, [inW, inH, channels]), [1, 0, 2]), [1, inH, inW, channels]);
        }),
    };
  });
  return op(x);
}

/** Half-pixel-centre bilinear resize without antialiasing (PyTorch `upsample(mode='bilinear')`; spec §3.2). */
export function resizeHalfPixel(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  return resizeBilinear(x, size, 'half-pixel');
}

/** Align-corners bilinear resize (PyTorch `upsample_bilinear`), the pyramid's resampler (spec §6). */
export function resizeAlignCorners(x: tf.Tensor4D, size: readonly [number, number]): tf.Tensor4D {
  return resizeBilinear(x, size, 'align-corners');
}
