import { tf } from '../tfjs.js';
import * as ops from '../ops/index.js';
import { VggFeatureExtractor } from '../model/vgg.js';
import type { FeatureExtractorPreset, VggWeights } from '../model/presets.js';
import { check, type CheckResult, type ErrorKind } from './compare.js';
import { nchwToNhwc, type FixtureCase, type FixtureTensor, type ReferenceFixtures } from './fixtures.js';
import { runE2eFixture } from './e2e.js';

/** One parity case: an id from index.json and a run that returns every comparison it made. */
export interface ParityCase {
  id: string;
  stage: string;
  run(): Promise<CheckResult[]>;
}

/** What the parity suite needs besides the fixtures. */
export interface ParitySuiteOptions {
  /** VGG19-Caffe weights for stages 3 and 7; those cases are left out (with a note) when absent. */
  vgg?: { preset: FeatureExtractorPreset; weights: VggWeights };
  /** Multiplies every tolerance (e.g. 10 for fp16-ish backends). Default 1. */
  toleranceScale?: number;
  /**
   * How the backend's argMin breaks exact ties. 'first' (default): the first index, as PyTorch.
   * 'any': another tied index may win (WebGPU reduces in a workgroup tree); then the palette
   * gradient of the duplicate-row case, whose 3-channel costs tie exactly, is compared by
   * duplicate-group sums like remd's (fixtures README: ties may pick either copy).
   */
  argMinTies?: 'first' | 'any';
}

const nhwc = (t: FixtureTensor): tf.Tensor4D => {
  const { data, shape } = nchwToNhwc(t);
  return tf.tensor4d(data, shape);
};

/** Reads a tensor back in NCHW order for comparison with the fixture. */
async function readNchw(x: tf.Tensor4D): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

function tol(c: FixtureCase, key: string): { kind: ErrorKind; value: number } {
  const t = c.tolerance[key] ?? c.tolerance.default;
  return { kind: t.kind as ErrorKind, value: t.value as number };
}

/** Every case of the fixtures that this suite can run, as runnable checks. */
export function referenceParityCases(fx: ReferenceFixtures, options: ParitySuiteOptions = {}): ParityCase[] {
  const scale = options.toleranceScale ?? 1;
  const cmp = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, t: { kind: ErrorKind; value: number }) =>
    check(name, got, want, t.kind, t.kind === 'exact' ? 0 : t.value * scale);
  const out: ParityCase[] = [];
  for (const c of fx.cases) {
    const run = caseRunner(fx, c, cmp, options);
    if (run) out.push({ id: c.id, stage: c.stage, run });
  }
  return out;
}

type Cmp = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, t: { kind: ErrorKind; value: number }) => CheckResult;

function caseRunner(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp, options: ParitySuiteOptions): (() => Promise<CheckResult[]>) | null {
  switch (c.stage) {
    case 'resize':
      return () => runResize(fx, c, cmp);
    case 'pyramid':
      return () => runPyramid(fx, c, cmp);
    case 'vgg':
      return options.vgg ? () => runVgg(fx, c, cmp, options.vgg!) : null;
    case 'hypercolumns':
      return () => runHypercolumns(fx, c, cmp);
    case 'losses':
      return () => runLosses(fx, c, cmp, options.argMinTies ?? 'first');
    case 'optimizer':
      return () => runRmsprop(fx, c, cmp);
    case 'e2e':
      return options.vgg ? () => runE2eFixture(fx, c, options.vgg!, options.toleranceScale ?? 1) : null;
    default:
      return null;
  }
}

async function runResize(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp): Promise<CheckResult[]> {
  if (c.id === 'resize/loader_size_rule') {
    const rows = c.params.rows as number[][];
    const got: number[] = [];
    const want: number[] = [];
    for (const [h, w, L, eh, ew] of rows) {
      const [gh, gw] = ops.scaledSize(h, w, L);
      got.push(gh, gw);
      want.push(eh, ew);
    }
    return [check('table', got, want, 'exact', 0)];
  }
  if (c.id.startsWith('resize/loader_')) {
    const u8 = await fx.input(c, 'u8_hwc');
    const [h, w] = u8.shape;
    const size = c.params.out_size_hw as [number, number];
    const [eh, ew] = ops.scaledSize(h, w, c.params.L as number);
    const sizeCheck = check('size', [eh, ew], size, 'exact', 0);
    const img = tf.tensor4d(Float32Array.from(u8.data, (v) => v / 255), [1, h, w, 3]);
    const y = ops.resizeHalfPixel(img, [eh, ew]);
    const r = cmp('y', await readNchw(y), (await fx.output(c, 'y')).data, tol(c, 'y'));
    tf.dispose([img, y]);
    return [sizeCheck, r];
  }
  const x = nhwc(await fx.input(c, 'x'));
  const size = c.params.out_size_hw as [number, number];
  const y = c.params.align_corners ? ops.resizeAlignCorners(x, size) : ops.resizeHalfPixel(x, size);
  const r = cmp('y', await readNchw(y), (await fx.output(c, 'y')).data, tol(c, 'y'));
  tf.dispose([x, y]);
  return [r];
}

const LEVELS = ['level0', 'level1', 'level2', 'level3', 'level4', 'level5'];

async function runPyramid(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (c.id.startsWith('pyramid/decompose')) {
    const x = nhwc(await fx.input(c, 'x'));
    const levels = ops.laplacianPyramid(x, 5);
    for (let k = 0; k < levels.length; k++) {
      results.push(cmp(LEVELS[k], await readNchw(levels[k]), (await fx.output(c, LEVELS[k])).data, tol(c, LEVELS[k])));
    }
    tf.dispose([x, ...levels]);
  } else if (c.id.startsWith('pyramid/synthesize_vjp')) {
    const levels = await Promise.all(LEVELS.map(async (k) => nhwc(await fx.input(c, k))));
    const upstream = nhwc(await fx.input(c, 'upstream_grad_wrt_x'));
    const grads = tf.grads((...ls: tf.Tensor[]) => tf.sum(tf.mul(upstream, ops.synthesizePyramid(ls as tf.Tensor4D[]))))(levels);
    for (let k = 0; k < grads.length; k++) {
      results.push(cmp(`grad_${LEVELS[k]}`, await readNchw(grads[k] as tf.Tensor4D), (await fx.output(c, `grad_${LEVELS[k]}`)).data, tol(c, `grad_${LEVELS[k]}`)));
    }
    tf.dispose([...levels, upstream, ...grads]);
  } else if (c.id.startsWith('pyramid/synthesize')) {
    const levels = await Promise.all(LEVELS.map(async (k) => nhwc(await fx.input(c, k))));
    const x = ops.synthesizePyramid(levels);
    results.push(cmp('x', await readNchw(x), (await fx.output(c, 'x')).data, tol(c, 'x')));
    tf.dispose([...levels, x]);
  } else if (c.id.startsWith('pyramid/content_band')) {
    const x = nhwc(await fx.input(c, 'x'));
    const band = ops.contentBand(x);
    results.push(cmp('band', await readNchw(band), (await fx.output(c, 'band')).data, tol(c, 'band')));
    tf.dispose([x, band]);
  }
  return results;
}

const TAP_NAMES = ['relu1_1', 'relu1_2', 'relu2_1', 'relu2_2', 'relu3_1', 'relu3_2', 'relu3_3', 'relu4_4', 'relu5_4'];

async function runVgg(
  fx: ReferenceFixtures,
  c: FixtureCase,
  cmp: Cmp,
  vgg: { preset: FeatureExtractorPreset; weights: VggWeights },
): Promise<CheckResult[]> {
  const extractor = new VggFeatureExtractor(vgg.preset, vgg.weights);
  const image = nhwc(await fx.input(c, 'image'));
  const results: CheckResult[] = [];
  const input = extractor.preprocess(image);
  results.push(cmp('caffe_input_bgr', await readNchw(input), (await fx.output(c, 'caffe_input_bgr')).data, tol(c, 'caffe_input_bgr')));
  const maps = extractor.featureMaps(image);
  for (let k = 0; k < maps.length; k++) {
    results.push(cmp(TAP_NAMES[k], await readNchw(maps[k]), (await fx.output(c, TAP_NAMES[k])).data, tol(c, TAP_NAMES[k])));
  }
  tf.dispose([image, input, ...maps]);
  extractor.dispose();
  return results;
}

async function runHypercolumns(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp): Promise<CheckResult[]> {
  const names = c.params.taps_in_order as string[];
  const strides = c.params.stride_per_tap as number[];
  const maps = await Promise.all(names.map(async (n) => nhwc(await fx.input(c, n))));
  const taps = maps.map((map, i) => ({ map, stride: strides[i] }));
  const coords = (await fx.input(c, 'coords_rc')).data;
  const n = coords.length / 2;
  const locations = { rows: new Int32Array(n), cols: new Int32Array(n) };
  for (let i = 0; i < n; i++) {
    locations.rows[i] = coords[2 * i];
    locations.cols[i] = coords[2 * i + 1];
  }
  const h = c.id.includes('bilinear') ? ops.bilinearHypercolumns(taps, locations) : ops.nearestHypercolumns(taps, locations);
  const r = cmp('hypercolumns', (await h.data()) as Float32Array, (await fx.output(c, 'hypercolumns')).data, tol(c, 'hypercolumns'));
  tf.dispose([...maps, h]);
  return [r];
}

const LOSS_TERMS = ['content', 'remd', 'moment', 'palette', 'combined_alpha16', 'combined_alpha0.5'] as const;

/** Loss functions of A for one fixture case (C, B and the cosine epsilon fixed). */
function lossFunctions(C: tf.Tensor2D, B: tf.Tensor2D, epsilon: number): Record<(typeof LOSS_TERMS)[number], (A: tf.Tensor2D) => tf.Scalar> {
  const opts = { epsilon };
  return {
    content: (A) => ops.selfSimilarityLoss(A, C, opts),
    remd: (A) => ops.remdLoss(A, B, opts),
    moment: (A) => ops.momentLoss(A, B),
    palette: (A) => ops.paletteLoss(A, B, opts),
    combined_alpha16: (A) => ops.strotssObjective(A, C, B, 16, opts),
    'combined_alpha0.5': (A) => ops.strotssObjective(A, C, B, 0.5, opts),
  };
}

/** Rows `[0, rows)` and columns `[c0, c1)` of a row-major `[n, d]` array. */
function block(values: Float32Array, d: number, rows: number, c0: number, c1: number): Float32Array {
  const out = new Float32Array(rows * (c1 - c0));
  for (let i = 0; i < rows; i++) out.set(values.subarray(i * d + c0, i * d + c1), i * (c1 - c0));
  return out;
}

async function runLosses(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp, argMinTies: 'first' | 'any'): Promise<CheckResult[]> {
  const a = await fx.input(c, 'A');
  const [n, d] = a.shape;
  const A = tf.tensor2d(a.data as Float32Array, [n, d]);
  const C = tf.tensor2d((await fx.input(c, 'C_hat')).data as Float32Array, [n, d]);
  const bt = await fx.input(c, 'B');
  const B = tf.tensor2d(bt.data as Float32Array, bt.shape as [number, number]);
  const zeroColour = c.id.includes('zero_colour');
  // The reference has no epsilon: the zero-colour case must reproduce its NaNs exactly, so
  // every case runs with epsilon 0 here; the default epsilon is checked separately below.
  const fns = lossFunctions(C, B, 0);
  const results: CheckResult[] = [];
  const grads: Record<string, Float32Array> = {};
  for (const term of LOSS_TERMS) {
    const { value, grad } = tf.valueAndGrad(fns[term])(A);
    const v = (await value.data())[0];
    const g = (await grad.data()) as Float32Array;
    grads[term] = g;
    tf.dispose([value, grad]);
    const want = (await fx.output(c, `${term}/value`)).data[0];
    results.push(
      Number.isNaN(want)
        ? { name: `${term}/value`, kind: 'nan_positions', error: Number.isNaN(v) ? 0 : 1, tolerance: 0, pass: Number.isNaN(v) }
        : cmp(`${term}/value`, [v], [want], tol(c, `${term}/value`)),
    );
    const wantGrad = await fx.output(c, `${term}/grad_A`);
    const [gr, gc] = wantGrad.shape;
    const got = gr === n && gc === d ? g : gc === d ? block(g, d, gr, 0, d) : block(g, d, gr, 0, gc);
    const tieDependent = term === 'remd' || term.startsWith('combined') || (term === 'palette' && argMinTies === 'any');
    if (c.id.includes('duplicate') && tieDependent) {
      results.push(duplicateGroupCheck(`${term}/grad_A`, got, wantGrad.data as Float32Array, d));
    } else if (c.id.startsWith('losses/large') && term === 'content') {
      // Self-similarity differences as small as 2.4e-9 make a few |·| signs a matter of
      // rounding here (fixtures README); compare this gradient by relative L2 (1e-3).
      results.push(check(`${term}/grad_A (rel_l2)`, got, wantGrad.data, 'rel_l2', 1e-3, 'sign ties in |D̃A−D̃C|'));
    } else {
      results.push(cmp(`${term}/grad_A`, got, wantGrad.data, tol(c, `${term}/grad_A`)));
    }
  }
  if (c.id.includes('dead_channels')) {
    let worst = 0;
    for (const term of LOSS_TERMS) for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(grads[term][i * d + 10]), Math.abs(grads[term][i * d + 40]));
    results.push({ name: 'dead channels 10, 40: gradient exactly 0', kind: 'exact_zero', error: worst, tolerance: 0, pass: worst === 0 });
  }
  if (zeroColour) results.push(...(await defaultEpsilonChecks(A, C, B)));
  tf.dispose([A, C, B]);
  return results;
}

/** With the default epsilon, the zero-colour case must be finite everywhere (the one intentional deviation, spec §9.1). */
async function defaultEpsilonChecks(A: tf.Tensor2D, C: tf.Tensor2D, B: tf.Tensor2D): Promise<CheckResult[]> {
  const { value, grad } = tf.valueAndGrad((a: tf.Tensor2D) => ops.strotssObjective(a, C, B, 16))(A);
  const v = (await value.data())[0];
  const g = (await grad.data()) as Float32Array;
  tf.dispose([value, grad]);
  const nonFinite = g.reduce((k, x) => k + (Number.isFinite(x) ? 0 : 1), Number.isFinite(v) ? 0 : 1);
  return [{ name: 'default epsilon: finite loss and gradient', kind: 'exact_zero', error: nonFinite, tolerance: 0, pass: nonFinite === 0 }];
}

/** Duplicate rows {3,10,20}, {40,41}, {0,63}: ties may pick either copy, so compare each group's summed gradient. */
function duplicateGroupCheck(name: string, got: Float32Array, want: Float32Array, d: number): CheckResult {
  const groups = [[3, 10, 20], [40, 41], [0, 63]];
  const sum = (v: Float32Array, rows: number[]) => {
    const s = new Float32Array(d);
    for (const r of rows) for (let j = 0; j < d; j++) s[j] += v[r * d + j];
    return s;
  };
  const grouped = new Set(groups.flat());
  const gotParts: number[] = [];
  const wantParts: number[] = [];
  for (const g of groups) {
    gotParts.push(...sum(got, g));
    wantParts.push(...sum(want, g));
  }
  const rows = want.length / d;
  for (let r = 0; r < rows; r++) {
    if (grouped.has(r)) continue;
    gotParts.push(...got.subarray(r * d, (r + 1) * d));
    wantParts.push(...want.subarray(r * d, (r + 1) * d));
  }
  const r = check(name + ' (duplicate groups summed)', gotParts, wantParts, 'max_abs_over_max_ref', 2e-3);
  return { ...r, kind: 'group_sum' };
}

async function runRmsprop(fx: ReferenceFixtures, c: FixtureCase, cmp: Cmp): Promise<CheckResult[]> {
  const lr = c.params.lr as number;
  const names = ['p0', 'p1', 'p2'];
  let params = await Promise.all(names.map(async (p) => {
    const t = await fx.input(c, `${p}/initial`);
    return tf.tensor(t.data as Float32Array, t.shape);
  }));
  const gradStacks = await Promise.all(names.map((p) => fx.input(c, `${p}/grads`)));
  const opt = new ops.TorchRmsprop(params, { learningRate: lr });
  const results: CheckResult[] = [];
  const steps = c.params.steps as number;
  const after: Float32Array[][] = names.map(() => []);
  const avgs: Float32Array[][] = names.map(() => []);
  for (let s = 0; s < steps; s++) {
    const grads = gradStacks.map((g, i) => {
      const size = params[i].size;
      return tf.tensor((g.data as Float32Array).subarray(s * size, (s + 1) * size), params[i].shape);
    });
    const next = opt.step(params, grads);
    tf.dispose([...params, ...grads]);
    params = next;
    for (let i = 0; i < names.length; i++) {
      after[i].push((await params[i].data()) as Float32Array);
      avgs[i].push((await opt.state[i].data()) as Float32Array);
    }
  }
  const flat = (xs: Float32Array[]) => {
    const out = new Float32Array(xs.reduce((k, x) => k + x.length, 0));
    let o = 0;
    for (const x of xs) { out.set(x, o); o += x.length; }
    return out;
  };
  for (let i = 0; i < names.length; i++) {
    const p = names[i];
    results.push(cmp(`${p}/after_each_step`, flat(after[i]), (await fx.output(c, `${p}/after_each_step`)).data, tol(c, `${p}/after_each_step`)));
    results.push(cmp(`${p}/square_avg_after_each_step`, flat(avgs[i]), (await fx.output(c, `${p}/square_avg_after_each_step`)).data, tol(c, `${p}/square_avg_after_each_step`)));
  }
  opt.dispose();
  tf.dispose(params);
  return results;
}
