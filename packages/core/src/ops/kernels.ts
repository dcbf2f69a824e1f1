import { tf } from '../tfjs.js';

/**
 * Operations the core names so that a backend can run its own variant (DESIGN: per-backend
 * kernels through TF.js' kernel registry). Ops stay backend-blind: each one calls
 * {@link runNamedKernel}, which runs the kernel the active backend registered under the name
 * (`tf.registerKernel({kernelName, backendName, kernelFunc})`, from the backend's package) or
 * else the core's plain composite default.
 */
export const StrotssKernel = {
  /** Sum of every element of a tensor → scalar. Default: `tf.sum`. */
  SumAll: 'StrotssSumAll',
  /** PyTorch's sign: −1, 0 (exactly at 0), +1. Default: `tf.sign`. */
  ExactSign: 'StrotssExactSign',
  /** Rows `indices` of a `[R, C]` matrix. Default: `tf.gather`. */
  TakeRows: 'StrotssTakeRows',
  /** a·bᵀ for `[n, d]`, `[m, d]` → `[n, m]`. Default: `tf.matMul(a, b, false, true)`. */
  MatMulABt: 'StrotssMatMulABt',
  /** aᵀ·b for `[n, d]`, `[n, e]` → `[d, e]` (covariances). Default: `tf.matMul(a, b, true, false)`. */
  MatMulAtB: 'StrotssMatMulAtB',
  /** VGG hypercolumns of an image at sets of locations, no gradient (per-scale constants). Default: the VGG on TF.js ops. */
  Hypercolumns: 'StrotssHypercolumns',
  /** The STROTSS terms of output samples A and their gradient w.r.t. A (spec §9). Default: TF.js ops and autograd. */
  Objective: 'StrotssObjective',
  /** One iteration's terms for an image and their gradient w.r.t. the image (VGG + lookups + §9). Default: TF.js ops and autograd. */
  ImageObjective: 'StrotssImageObjective',
  /** Collapses a Laplacian pyramid (finest first) into the image (spec §6). Default: TF.js resizes and adds. */
  SynthesizePyramid: 'StrotssSynthesizePyramid',
  /** The gradients of the pyramid's levels from the image's gradient `dy` (the adjoint of SynthesizePyramid). */
  PyramidAdjoint: 'StrotssPyramidAdjoint',
  /** One PyTorch RMSprop step of a parameter → `[parameter, squareAvg]` (spec §10). Default: TF.js ops. */
  RmspropStep: 'StrotssRmspropStep',
} as const;

export type StrotssKernelName = (typeof StrotssKernel)[keyof typeof StrotssKernel];

/** True when the active backend registered its own kernel `name`. */
export function hasBackendKernel(name: StrotssKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/**
 * Runs the active backend's kernel `name` on `inputs` / `attrs` when it registered one, else
 * `fallback()` (the core's default). The kernel's outputs are returned as tensors.
 */
export function runNamedKernel<T extends tf.Tensor | tf.Tensor[]>(
  name: StrotssKernelName,
  inputs: tf.NamedTensorMap,
  attrs: Record<string, unknown>,
  fallback: () => T,
): T {
  if (!hasBackendKernel(name)) return fallback();
  registerNamedKernelGradients();
  return tf.engine().runKernel(name, inputs, attrs as unknown as tf.NamedAttrMap) as unknown as T;
}

let gradientsRegistered = false;

/**
 * Gradients of the small named kernels, so that a backend's variant is as differentiable as the
 * default it replaces (TF.js looks gradients up by kernel name, for every backend). The fused
 * kernels (Hypercolumns, Objective, ImageObjective) are wrapped in custom ops by their callers.
 */
function registerNamedKernelGradients(): void {
  if (gradientsRegistered) return;
  gradientsRegistered = true;
  tf.registerGradient({
    kernelName: StrotssKernel.SumAll,
    inputsToSave: ['x'],
    gradFunc: (dy, [x]) => ({ x: () => tf.mul(tf.onesLike(x), dy as tf.Tensor) }),
  });
  tf.registerGradient({
    kernelName: StrotssKernel.ExactSign,
    inputsToSave: ['x'],
    gradFunc: (_dy, [x]) => ({ x: () => tf.zerosLike(x) }),
  });
  tf.registerGradient({
    kernelName: StrotssKernel.TakeRows,
    inputsToSave: ['table', 'indices'],
    gradFunc: (dy, [table, indices]) => ({
      // scatterND sums rows taken more than once.
      table: () => tf.scatterND(tf.expandDims(indices, 1), dy as tf.Tensor, table.shape),
      indices: () => tf.zerosLike(indices),
    }),
  });
  tf.registerGradient({
    kernelName: StrotssKernel.MatMulABt,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => tf.matMul(dy as tf.Tensor2D, b as tf.Tensor2D),
      b: () => tf.matMul(dy as tf.Tensor2D, a as tf.Tensor2D, true, false),
    }),
  });
  tf.registerGradient({
    kernelName: StrotssKernel.MatMulAtB,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, [a, b]) => ({
      a: () => tf.matMul(b as tf.Tensor2D, dy as tf.Tensor2D, false, true),
      b: () => tf.matMul(a as tf.Tensor2D, dy as tf.Tensor2D),
    }),
  });
}
