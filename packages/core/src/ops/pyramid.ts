import { tf } from '../tfjs.js';
import { resizeAlignCorners, resizeHalfPixel } from './resize.js';
import { hasBackendKernel, StrotssKernel } from './kernels.js';

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

/**
 * Collapses a Laplacian pyramid (finest first, residual last) back into the image (spec §6),
 * differentiable w.r.t. every level. A named kernel: a backend may run the synthesis and its
 * adjoint as a few programs (see {@link fusedSynthesis}).
 */
export function synthesizePyramid(levels: readonly tf.Tensor4D[]): tf.Tensor4D {
  if (levels.length > 1 && hasBackendKernel(StrotssKernel.SynthesizePyramid)) return fusedSynthesis(levels);
  return synthesizePyramidOnOps(levels);
}

/** {@link synthesizePyramid} on TF.js ops (align-corners resizes and adds, autograd through the resizes' adjoints). */
export function synthesizePyramidOnOps(levels: readonly tf.Tensor4D[]): tf.Tensor4D {
  return tf.tidy(() => {
    let current = levels[levels.length - 1];
    for (let k = levels.length - 2; k >= 0; k--) {
      const [, h, w] = levels[k].shape;
      current = tf.add(levels[k], resizeAlignCorners(current, [h, w]));
    }
    return current;
  });
}

/** The backend's SynthesizePyramid kernel, with its PyramidAdjoint kernel as the gradient of every level. */
function fusedSynthesis(levels: readonly tf.Tensor4D[]): tf.Tensor4D {
  const named = (ls: readonly tf.Tensor[]) => Object.fromEntries(ls.map((l, k) => [`level${k}`, l]));
  const shapes = levels.map((l) => l.shape);
  type CustomFn = Parameters<typeof tf.customGrad>[0];
  const op = tf.customGrad(((...args: unknown[]) => {
    const ls = args.slice(0, levels.length) as tf.Tensor4D[];
    (args[levels.length] as (saved: tf.Tensor[]) => void)([]); // nothing to keep: the adjoint needs only the shapes
    const value = tf.engine().runKernel(StrotssKernel.SynthesizePyramid, named(ls), {}) as tf.Tensor4D;
    return {
      value,
      gradFunc: (dy: tf.Tensor4D) => tf.engine().runKernel(StrotssKernel.PyramidAdjoint, { dy }, { shapes } as unknown as tf.NamedAttrMap) as tf.Tensor[],
    };
  }) as unknown as CustomFn);
  return (op as unknown as (...ls: tf.Tensor4D[]) => tf.Tensor4D)(...levels);
}

/** The finest band `x − up(down(x))` with half-pixel bilinear resampling, added at initialisation (spec §5). */
export function contentBand(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const down = resizeHalfPixel(x, [Math.floor(h / 2), Math.floor(w / 2)]);
    return tf.sub(x, resizeHalfPixel(down, [h, w]));
  });
}
