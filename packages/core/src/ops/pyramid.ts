import { tf } from '../tfjs.js';
import { resizeAlignCorners, resizeHalfPixel } from './resize.js';

/**
 * Decomposes an NHWC image into a Laplacian pyramid (spec §6): `levels` band-pass tensors,
 * finest first, then the low-pass residual — `levels + 1` tensors in all.
 */
export function laplacianPyramid(x: tf.Tensor4D, levels = 5): tf.Tensor4D[] {
  return tf.tidy(() => {
    const out: tf.Tensor4D[] = [];
    let current = x;
    for (let k = 0; k < levels; k++) {
      const [, h, w] = current.shape;
      const small = resizeAlignCorners(current, [Math.max(Math.floor(h / 2), 1), Math.max(Math.floor(w / 2), 1)]);
      out.push(tf.sub(current, resizeAlignCorners(small, [h, w])));
      current = small;
    }
    out.push(current);
    return out;
  });
}

/** Collapses a Laplacian pyramid (finest first, residual last) back into the image (spec §6). */
export function synthesizePyramid(levels: readonly tf.Tensor4D[]): tf.Tensor4D {
  return tf.tidy(() => {
    let current = levels[levels.length - 1];
    for (let k = levels.length - 2; k >= 0; k--) {
      const [, h, w] = levels[k].shape;
      current = tf.add(levels[k], resizeAlignCorners(current, [h, w]));
    }
    return current;
  });
}

/** The finest band `x − up(down(x))` with half-pixel bilinear resampling, added at initialisation (spec §5). */
export function contentBand(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const down = resizeHalfPixel(x, [Math.floor(h / 2), Math.floor(w / 2)]);
    return tf.sub(x, resizeHalfPixel(down, [h, w]));
  });
}
