// The webgpu StrotssSynthesizePyramid and StrotssPyramidAdjoint (spec §6): one program per level
// each way — level + align-corners upsample of the coarser image, and the upsample's adjoint
// gathered per source pixel (no scatter) — instead of the core's resizes, adds and scatter-adds.
import { tf } from '@strotss/core';
import { handOver, runProgram, type ProgramBackend } from './program.js';

/** WGSL: source row/column taps of align-corners interpolation (PyTorch's float32 arithmetic, as the core's interpolationTaps). */
const TAPS = `
fn srcOf(o: i32, scale: f32) -> f32 { return max(scale * f32(o), 0.0); }
fn loOf(src: f32, size: i32) -> i32 { return min(i32(floor(src)), size - 1); }`;

/** Align-corners scale (in−1)/(out−1) in float32, 0 for a single output. */
function alignScale(inSize: number, outSize: number): number {
  return outSize > 1 ? Math.fround((inSize - 1) / (outSize - 1)) : 0;
}

/** `level + upsample(coarse)` to the level's size (align corners, bilinear, NHWC, N = 1). */
function addUpsampled(backend: ProgramBackend, level: tf.Tensor, coarse: tf.Tensor): tf.Tensor {
  const [, h, w, c] = level.shape as number[];
  const [, hs, ws] = coarse.shape as number[];
  return runProgram(backend, {
    name: 'pyramid_up',
    inputs: { L: level, S: coarse },
    outputShape: level.shape,
    constants: { W: w, C: c, HS: hs, WS: ws, SY: ['f32', alignScale(hs, h)], SX: ['f32', alignScale(ws, w)] },
    helpers: TAPS,
    body: `
  let ch = t % C;
  let x = (t / C) % W;
  let y = t / (C * W);
  let sy = srcOf(y, SY);
  let sx = srcOf(x, SX);
  let y0 = loOf(sy, HS);
  let x0 = loOf(sx, WS);
  let y1 = min(y0 + 1, HS - 1);
  let x1 = min(x0 + 1, WS - 1);
  let ly = sy - f32(y0);
  let lx = sx - f32(x0);
  let tl = S[(y0 * WS + x0) * C + ch];
  let tr = S[(y0 * WS + x1) * C + ch];
  let bl = S[(y1 * WS + x0) * C + ch];
  let br = S[(y1 * WS + x1) * C + ch];
  let top = tl + (tr - tl) * lx;
  let bottom = bl + (br - bl) * lx;
  result[t] = L[t] + (top + (bottom - top) * ly);`,
  });
}

/** The adjoint of the align-corners upsample from `[hs, ws]` to `g`'s size: each source pixel gathers its weighted outputs. */
function upsampleAdjoint(backend: ProgramBackend, g: tf.Tensor, hs: number, ws: number): tf.Tensor {
  const [, h, w, c] = g.shape as number[];
  const [sy, sx] = [alignScale(hs, h), alignScale(ws, w)];
  return runProgram(backend, {
    name: 'pyramid_adjoint',
    inputs: { G: g },
    outputShape: [1, hs, ws, c],
    constants: { H: h, W: w, C: c, HS: hs, WS: ws, SY: ['f32', sy], SX: ['f32', sx], RY: ['f32', sy > 0 ? 1 / sy : 0], RX: ['f32', sx > 0 ? 1 / sx : 0] },
    helpers: `${TAPS}
// Weight of source index p in output o's interpolation (both taps when they coincide at the border).
fn weightOf(o: i32, p: i32, scale: f32, size: i32) -> f32 {
  let src = srcOf(o, scale);
  let lo = loOf(src, size);
  let hi = min(lo + 1, size - 1);
  let l = src - f32(lo);
  return select(0.0, 1.0 - l, lo == p) + select(0.0, l, hi == p);
}
// Outputs whose taps may reach source index p: src ∈ [p − 1, p + 1), with a margin.
fn firstOut(p: i32, inv: f32, n: i32) -> i32 { if (inv == 0.0) { return 0; } return clamp(i32(floor(f32(p - 1) * inv)) - 1, 0, n - 1); }
fn lastOut(p: i32, inv: f32, n: i32) -> i32 { if (inv == 0.0) { return n - 1; } return clamp(i32(ceil(f32(p + 1) * inv)) + 1, 0, n - 1); }`,
    body: `
  let ch = t % C;
  let x = (t / C) % WS;
  let y = t / (C * WS);
  var s = 0.0;
  for (var oy = firstOut(y, RY, H); oy <= lastOut(y, RY, H); oy++) {
    let wy = weightOf(oy, y, SY, HS);
    if (wy == 0.0) { continue; }
    for (var ox = firstOut(x, RX, W); ox <= lastOut(x, RX, W); ox++) {
      s = s + G[(oy * W + ox) * C + ch] * (wy * weightOf(ox, x, SX, WS));
    }
  }
  result[t] = s;`,
  });
}

/** StrotssSynthesizePyramid: inputs level0 (finest) … levelK (residual) → the image. */
export const synthesizePyramidKernel: tf.KernelFunc = ({ inputs, backend }) => {
  const levels = Object.keys(inputs)
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((k) => (inputs as unknown as Record<string, tf.Tensor>)[k]);
  const gpu = backend as unknown as ProgramBackend;
  let current = levels[levels.length - 1];
  for (let k = levels.length - 2; k >= 0; k--) {
    const next = addUpsampled(gpu, levels[k], current);
    if (current !== levels[levels.length - 1]) current.dispose();
    current = next;
  }
  return handOver(backend, [current])[0];
};

/** StrotssPyramidAdjoint: the image's gradient `dy` → each level's gradient (attr `shapes`, finest first). */
export const pyramidAdjointKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { dy } = inputs as unknown as Record<string, tf.Tensor>;
  const { shapes } = attrs as unknown as { shapes: number[][] };
  const gpu = backend as unknown as ProgramBackend;
  const grads = [tf.clone(dy)];
  for (let k = 1; k < shapes.length; k++) grads.push(upsampleAdjoint(gpu, grads[k - 1], shapes[k][1], shapes[k][2]));
  return handOver(backend, grads);
};
