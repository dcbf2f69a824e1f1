// What bench/iteration.ts and bench/webgpu-device.ts share: synthetic VGG weights, the analytic
// FLOPs of one iteration (spec §14.1) and the two timings (reachable throughput, s/iteration).
// Timings read results back with `await data()`, which every backend has (WebGPU in Node has no
// dataSync), so the same code measures wasm, cpu and webgpu.
import { tf, stylize, convLayers, type FeatureExtractorPreset, type RgbaImage, type VggWeights } from '@strotss/core';
import { matMulABt } from '@strotss/core/ops';

/** Seeded He-normal VGG weights: the speed of dense float kernels does not depend on the values. */
export function syntheticWeights(preset: FeatureExtractorPreset): VggWeights {
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const out: Record<string, { kernel: Float32Array; bias: Float32Array }> = {};
  for (const conv of convLayers(preset)) {
    const fanIn = 9 * conv.inChannels;
    const kernel = new Float32Array(9 * conv.inChannels * conv.outChannels);
    for (let i = 0; i < kernel.length; i++) kernel[i] = normal() * Math.sqrt(2 / fanIn);
    out[conv.name] = { kernel, bias: new Float32Array(conv.outChannels) };
  }
  return out;
}

/** Multiply-accumulates of the VGG forward per input pixel, up to the last tap (spec §14.1: 305 856 for VGG16). */
export function vggMacsPerPixel(preset: FeatureExtractorPreset): number {
  let area = 1;
  let macs = 0;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') area /= 4;
    else macs += 9 * layer.inChannels * layer.outChannels * area;
  }
  return macs;
}

/** Hypercolumn width d: every tapped conv's channels plus the 3 raw RGB channels (2179 for VGG16). */
export function hypercolumnWidth(preset: FeatureExtractorPreset): number {
  return 3 + convLayers(preset).filter((c) => preset.taps.includes(c.name)).reduce((s, c) => s + c.outChannels, 0);
}

/**
 * FLOPs of one iteration as implemented (spec §14.1 minus the avoided work): VGG forward + input
 * backward (no weight gradients); REMD cost matrix forward only (its backward goes through the
 * selected minima, O((N+M)·d)); output covariance forward + backward (the style covariance is
 * computed once per scale); self-similarity: output N×N forward + backward and content N×N.
 */
export function iterationFlops(preset: FeatureExtractorPreset, height: number, width: number, N: number, M: number) {
  const d = hypercolumnWidth(preset);
  const vgg = 2 * (2 * vggMacsPerPixel(preset) * height * width);
  const remd = 2 * N * M * d;
  const moment = 2 * (2 * d * d * N);
  const selfSimilarity = 3 * (2 * N * N * d);
  return { vgg, remd, moment, selfSimilarity, total: vgg + remd + moment + selfSimilarity };
}

/**
 * Seconds per run of fn: one warm-up, then `reps` runs queued back to back and one read of the
 * last result's sum at the end. Reading each full result back would time the readback too (on a
 * GPU a 20 MB map costs more than the matmul); backends run queued kernels in order, so the one
 * final read waits for all of them.
 */
async function timeIt(fn: () => tf.Tensor, reps: number): Promise<number> {
  const settle = async (y: tf.Tensor) => {
    const s = tf.sum(y);
    await s.data();
    tf.dispose([s, y]);
  };
  await settle(fn());
  const t0 = performance.now();
  let y = fn();
  for (let i = 1; i < reps; i++) {
    const next = fn();
    y.dispose();
    y = next;
  }
  await settle(y);
  return (performance.now() - t0) / 1000 / reps;
}

/**
 * GFLOP/s of the REMD-sized matmul (1024×2179 · 2179×5000, through the core's a·bᵀ kernel as the
 * objective runs it: the backend's own variant where it registers one, e.g. MLAS on native) and
 * of a 3×3 64→64 conv at 256×192 (TF.js' conv2d on the active backend), on the active backend.
 */
export async function throughput(): Promise<{ matmul: number; conv: number }> {
  const a = tf.randomNormal([1024, 2179]) as tf.Tensor2D;
  const b = tf.randomNormal([5000, 2179]) as tf.Tensor2D;
  const matmulSeconds = await timeIt(() => matMulABt(a, b), 10);
  const x = tf.randomNormal([1, 192, 256, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const convSeconds = await timeIt(() => tf.conv2d(x, w, 1, 'same'), 10);
  tf.dispose([a, b, x, w]);
  return {
    matmul: (2 * 1024 * 2179 * 5000) / matmulSeconds / 1e9,
    conv: (2 * 192 * 256 * 64 * 64 * 9) / convSeconds / 1e9,
  };
}

/** Seconds per iteration at one size: a one-scale stylize() run; the first two steps (set-up, warm-up) are not timed. */
export async function secondsPerIteration(
  content: RgbaImage,
  style: RgbaImage,
  weights: VggWeights,
  model: FeatureExtractorPreset,
  size: number,
  timed: number,
  backend: string,
): Promise<{ shape: string; seconds: number }> {
  const job = stylize({ content, style, weights, model, size, scales: 1, iterations: timed + 2, seed: 1, backend });
  const stamps: number[] = [];
  let shape = '';
  job.onEvent((e) => {
    if (e.type === 'step') stamps.push(performance.now());
    if (e.type === 'scale') shape = `${e.width}×${e.height}`;
  });
  await job.result;
  const intervals = stamps.slice(1).map((t, i) => (t - stamps[i]) / 1000);
  intervals.shift();
  intervals.sort((a, b) => a - b);
  return { shape, seconds: intervals[Math.floor(intervals.length / 2)] };
}
