// Kernels for TF.js' wasm backend: faster or more accurate variants of the core's named kernels
// and of a few of TF.js' own, registered through TF.js' kernel registry (DESIGN: per-backend kernels).
// Browser-safe (it imports only the core): pages on TF.js' wasm backend import it from
// `@strotss/backend-node/wasm-kernels`; without it the core's plain kernels lose accuracy on wasm.
import { tf, StrotssKernel } from '@strotss/core';

/** The parts of the wasm backend these kernels use. */
interface WasmBackendParts {
  incRef(dataId: object): void;
  readSync(dataId: object): ArrayLike<number>;
}

type Inputs = Record<string, tf.Tensor>;

/**
 * A kernel written with TF.js ops: runs `fn` in a tidy and hands its outputs to the engine, which
 * wraps each returned buffer in a new tensor (one more reference than ours, which is released).
 */
function compositeKernel(fn: (inputs: Inputs, attrs: Record<string, unknown>, backend: WasmBackendParts) => tf.Tensor): tf.KernelFunc {
  return ({ inputs, attrs, backend }) => {
    const parts = backend as unknown as WasmBackendParts;
    const out = tf.tidy(() => fn(inputs as unknown as Inputs, attrs as Record<string, unknown>, parts));
    parts.incRef(out.dataId);
    const info = { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
    out.dispose();
    return info;
  };
}

/** Sum of all elements, rows first then the row sums: one flat float32 reduction over millions of values loses ~1 % on wasm. */
const stagedSum = compositeKernel(({ x }) => {
  const matrix = x.rank === 2 ? x : tf.reshape(x, [x.shape[0] ?? 1, -1]);
  return tf.sum(tf.sum(matrix, 1));
});

/** PyTorch's sign from comparisons: wasm's `sign` returns 0 for |x| < 1.2e-7. */
const comparisonSign = compositeKernel(({ x }) => tf.sub(tf.cast(tf.greater(x, 0), 'float32'), tf.cast(tf.less(x, 0), 'float32')));

/** Rows by gatherND: ≈10× faster than wasm's gather for wide rows. */
const gatherNdRows = compositeKernel(({ table, indices }) => tf.gatherND(table, tf.expandDims(indices, 1)));

/**
 * a·bᵀ with the transpose made explicit (wasm's matMul is ≈15× slower with its transpose flags),
 * the larger operand on the left (≈1.6× faster there): (b·aᵀ)ᵀ when b has more rows.
 */
const explicitABt = compositeKernel(({ a, b }) =>
  a.shape[0]! >= b.shape[0]! ? tf.matMul(a as tf.Tensor2D, tf.transpose(b)) : tf.transpose(tf.matMul(b as tf.Tensor2D, tf.transpose(a))),
);

/** Rows per partial product of {@link chunkedAtB}, and partial products added per AddN. */
const ROWS_PER_CHUNK = 64;
const PARTIALS_PER_ADD = 8;

/**
 * aᵀ·b summed over chunks of 64 rows: XNNPACK's one long float32 accumulation over all rows is
 * ≈10× less accurate than the blocked sums of PyTorch and the cpu backend, enough to flip the sign
 * of near-zero covariance differences in the moment loss. Chunks are taken with gatherND (wasm's
 * Slice is ≈12× slower on these shapes) and added with AddN, in order, several at a time.
 */
const chunkedAtB = compositeKernel(({ a, b }) => {
  const rows = a.shape[0]!;
  if (rows <= ROWS_PER_CHUNK) return tf.matMul(tf.transpose(a) as tf.Tensor2D, b as tf.Tensor2D);
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
  for (let r = 0; r < rows; r += ROWS_PER_CHUNK) {
    const indices = tf.expandDims(tf.range(r, Math.min(r + ROWS_PER_CHUNK, rows), 1, 'int32'), 1);
    const aRows = tf.gatherND(a, indices) as tf.Tensor2D;
    const bRows = b === a ? aRows : (tf.gatherND(b, indices) as tf.Tensor2D);
    const aT = tf.transpose(aRows);
    pending.push(tf.matMul(aT, bRows));
    tf.dispose([indices, aRows, bRows, aT]);
    if (pending.length === PARTIALS_PER_ADD) flush();
  }
  if (pending.length > 0) flush();
  return sum!;
});

/**
 * A `[kh, kw, in, out]` kernel flipped in both spatial axes with in/out swapped, as `[kh, kw, out, in]`:
 * conv(dy, flipped) is the input gradient of conv(x, kernel) at stride 1, 'same' padding.
 */
export function flipKernel(kernel: ArrayLike<number>, kh: number, kw: number, inChannels: number, outChannels: number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let h = 0; h < kh; h++) {
    for (let w = 0; w < kw; w++) {
      const src = ((kh - 1 - h) * kw + (kw - 1 - w)) * inChannels * outChannels;
      const dst = (h * kw + w) * inChannels * outChannels;
      for (let i = 0; i < inChannels; i++) {
        for (let o = 0; o < outChannels; o++) out[dst + o * inChannels + i] = kernel[src + i * outChannels + o];
      }
    }
  }
  return out;
}

/** Flipped kernels by the filter's buffer: a filter (the frozen VGG's) is flipped once, on the host. */
const flippedKernels = new WeakMap<object, Float32Array>();

/**
 * Conv2DBackpropInput as a forward conv with the flipped kernel where it applies (stride 1,
 * 'same', odd square kernel, NHWC): wasm's own backprop-input kernel is ≈10× slower than its
 * forward conv. Other cases go to `original`.
 */
function flippedConvBackpropInput(original: tf.KernelFunc): tf.KernelFunc {
  const flipped = compositeKernel(({ dy, filter }, _attrs, backend) => {
    const [kh, kw, inChannels, outChannels] = filter.shape as [number, number, number, number];
    let values = flippedKernels.get(filter.dataId);
    if (!values) {
      values = flipKernel(backend.readSync(filter.dataId), kh, kw, inChannels, outChannels);
      flippedKernels.set(filter.dataId, values);
    }
    return tf.conv2d(dy as tf.Tensor4D, tf.tensor4d(values, [kh, kw, outChannels, inChannels]), 1, 'same');
  });
  return (args) => {
    const { filter } = args.inputs as unknown as Inputs;
    const a = args.attrs as { strides: number | number[]; pad: unknown; dataFormat?: string };
    const [kh, kw] = filter.shape;
    const unitStride = [a.strides].flat().every((s) => s === 1);
    const applies = unitStride && a.pad === 'same' && kh === kw && kh! % 2 === 1 && (a.dataFormat ?? 'NHWC') === 'NHWC';
    return (applies ? flipped : original)(args);
  };
}

/**
 * Makes `Identity` share its input's buffer instead of copying it, as the cpu backend's does.
 * TF.js saves every tensor a gradient needs through `clone()` (Identity), so with the copying
 * kernel each saved activation existed twice until the backward: at 512×384 about 0.2 GB more and
 * 0.6 s per iteration of copies. Tensors are immutable and the wasm backend counts references per
 * buffer (its Reshape shares the same way), so sharing changes no value.
 */
function shareBuffer({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  (backend as WasmBackendParts).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Kernels this file registers for a wasm-based backend, by name (the original is looked up for fallbacks). */
function wasmVariants(backendName: string): Record<string, tf.KernelFunc> {
  const originalBackprop = tf.getKernel('Conv2DBackpropInput', backendName)?.kernelFunc;
  const variants: Record<string, tf.KernelFunc> = {
    Identity: shareBuffer as tf.KernelFunc,
    [StrotssKernel.SumAll]: stagedSum,
    [StrotssKernel.ExactSign]: comparisonSign,
    [StrotssKernel.TakeRows]: gatherNdRows,
    [StrotssKernel.MatMulABt]: explicitABt,
    [StrotssKernel.MatMulAtB]: chunkedAtB,
  };
  if (originalBackprop) variants.Conv2DBackpropInput = flippedConvBackpropInput(originalBackprop);
  return variants;
}

const registered = new Set<string>();

/**
 * Registers this package's wasm kernels for `backendName` (`wasm`, or a backend that copied the
 * wasm kernels, such as `native`), replacing TF.js' own where they overlap. Idempotent.
 */
export function registerWasmKernels(backendName = 'wasm'): void {
  if (registered.has(backendName)) return;
  registered.add(backendName);
  for (const [kernelName, kernelFunc] of Object.entries(wasmVariants(backendName))) {
    const original = tf.getKernel(kernelName, backendName);
    if (original) tf.unregisterKernel(kernelName, backendName);
    // The original's setup binds its wasm functions when the backend starts: kept, since the
    // variants fall back to it.
    tf.registerKernel({ kernelName, backendName, kernelFunc, setupFunc: original?.setupFunc, disposeFunc: original?.disposeFunc });
  }
}
