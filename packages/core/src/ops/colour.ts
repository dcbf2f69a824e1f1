import { tf } from '../tfjs.js';

/**
 * RGB → YIQ (NTSC, FCC 1953 coefficients): Y is the luminance, I and Q the two chroma axes.
 * Columns are Y, I, Q so that `rgb[n,3] · RGB_TO_YIQ` gives `yiq[n,3]`.
 */
const RGB_TO_YIQ = [
  [0.299, 0.595716, 0.211456],
  [0.587, -0.274453, -0.522591],
  [0.114, -0.321263, 0.311135],
];

/** The exact inverse of {@link RGB_TO_YIQ} (computed once, so a round trip is the identity to float rounding). */
const YIQ_TO_RGB = invert3(RGB_TO_YIQ);

/** Returns the inverse of a 3×3 matrix (cofactors over the determinant). */
function invert3(m: number[][]): number[][] {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}

/** Returns `[1,H,W,3]` RGB as `[1,H,W,3]` YIQ (channel 0 = luminance). */
export function rgbToYiq(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(rgb, [-1, 3]), tf.tensor2d(RGB_TO_YIQ)), rgb.shape) as tf.Tensor4D);
}

/** Returns `[1,H,W,3]` YIQ as `[1,H,W,3]` RGB. */
export function yiqToRgb(yiq: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(yiq, [-1, 3]), tf.tensor2d(YIQ_TO_RGB)), yiq.shape) as tf.Tensor4D);
}

/** Returns the luminance of `[1,H,W,3]` RGB repeated in all three channels: the image in grey. */
export function greyscale(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.slice(rgbToYiq(rgb), [0, 0, 0, 0], [-1, -1, -1, 1]);
    return tf.tile(y, [1, 1, 1, 3]) as tf.Tensor4D;
  });
}

/**
 * Returns the image whose luminance is `luminanceOf`'s and whose chroma (I, Q) is `chromaOf`'s,
 * both `[1,H,W,3]` RGB of the same size: the recombination step of luminance-only transfer.
 */
export function combineLuminanceChroma(luminanceOf: tf.Tensor4D, chromaOf: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const y = tf.slice(rgbToYiq(luminanceOf), [0, 0, 0, 0], [-1, -1, -1, 1]);
    const iq = tf.slice(rgbToYiq(chromaOf), [0, 0, 0, 1], [-1, -1, -1, 2]);
    return yiqToRgb(tf.concat([y, iq], 3) as tf.Tensor4D);
  });
}
