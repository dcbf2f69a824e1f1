import { tf } from '../tfjs.js';
import { customUnaryOp } from './reductions.js';

/** Output size `[h, w]` of the reference loader for long side `L` (spec §3.2: trunc(H·L/max) in float64; may give L−1). */
export function scaledSize(height: number, width: number, longSide: number): [number, number] {
  const fac = longSide / Math.max(height, width);
  return [Math.trunc(height * fac), Math.trunc(width * fac)];
}

type Sampling = 'half-pixel' | 'align-corners';

/**
 * The `[out, in]` matrix of 1-D linear interpolation weights, with source coordinates in
 * float32 as PyTorch computes them (spec §3.2, §6).
 */
export function interpolationMatrix(inSize: number, outSize: number, sampling: Sampling): Float32Array {
  const m = new Float32Array(outSize * inSize);
  const f = Math.fround;
  const scale =
    sampling === 'align-corners' ? (outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0) : f(inSize / outSize);
  for (let o = 0; o < outSize; o++) {
    let src = sampling === 'align-corners' ? f(scale * o) : f(f(scale * (o + 0.5)) - 0.5);
    if (src < 0) src = 0;
    const lo = Math.min(Math.floor(src), inSize - 1);
    const hi = Math.min(lo + 1, inSize - 1);
    const lambda = f(src - lo);
    m[o * inSize + lo] += 1 - lambda;
    m[o * inSize + hi] += lambda;
  }
  return m;
}

/**
 * Bilinear resize of NHWC `x` (N = 1). The forward is TF.js' kernel (it matches PyTorch to
 * float rounding); the backward is the transpose of the separable interpolation, Ryᵀ·dY·Rx,
 * as two small matrix products — TF.js' ResizeBilinearGrad returns a transposed shape for
 * non-square inputs on the cpu backend.
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
          const ry = tf.tensor2d(interpolationMatrix(inH, outH, sampling), [outH, inH]);
          const rx = tf.tensor2d(interpolationMatrix(inW, outW, sampling), [outW, inW]);
          const channels = dy.shape[3];
          const perChannel = tf.transpose(tf.reshape(dy, [outH, outW, channels]), [2, 0, 1]) as tf.Tensor3D;
          const rows = tf.matMul(tf.tile(tf.expandDims(tf.transpose(ry), 0), [channels, 1, 1]), perChannel);
          const cols = tf.matMul(rows, tf.tile(tf.expandDims(rx, 0), [channels, 1, 1]));
          return tf.reshape(tf.transpose(cols, [1, 2, 0]), [1, inH, inW, channels]);
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
