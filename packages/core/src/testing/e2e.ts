import { tf } from '../tfjs.js';
import { imageToTensor, type RgbaImage } from '../image.js';
import { VggFeatureExtractor } from '../model/vgg.js';
import type { FeatureExtractorPreset, VggWeights } from '../model/presets.js';
import { laplacianPyramid } from '../ops/pyramid.js';
import { gridCandidates, gridStrides, type SamplingPlan } from '../strotss/sampling.js';
import { isScaleState, optimiseScale, type IterationTrace } from '../strotss/run-scale.js';
import { initialImage } from '../strotss/stylize.js';
import { check, type CheckResult } from './compare.js';
import type { FixtureCase, FixtureTensor, ReferenceFixtures } from './fixtures.js';

/** An RGBA image from a stored `[H, W, 3]` uint8 (as int32) tensor. */
export function rgbaFromU8(t: FixtureTensor): RgbaImage {
  const [height, width] = t.shape;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    data[4 * i] = t.data[3 * i];
    data[4 * i + 1] = t.data[3 * i + 1];
    data[4 * i + 2] = t.data[3 * i + 2];
    data[4 * i + 3] = 255;
  }
  return { width, height, data };
}

/** Slice `index` of a stacked fixture tensor (leading step axis). */
function step(t: FixtureTensor, index: number): Float32Array {
  const size = t.data.length / t.shape[0];
  return (t.data as Float32Array).subarray(index * size, (index + 1) * size);
}

/**
 * An NCHW copy of an NHWC tensor that outlives the trace callback (traces are only valid during it);
 * read later with {@link readNchw}: synchronous reads are unavailable on some backends (WebGPU in Node).
 */
function nchwCopy(x: tf.Tensor): tf.Tensor {
  return tf.keep(tf.tidy(() => tf.transpose(x, [0, 3, 1, 2])));
}

/** NHWC tensor values in NCHW order, read asynchronously. */
async function readNchw(x: tf.Tensor): Promise<Float32Array> {
  const t = tf.transpose(x, [0, 3, 1, 2]);
  const values = (await t.data()) as Float32Array;
  t.dispose();
  return values;
}

/** A sampling plan that replays the reference's stored choices (fixtures README, stage 7). */
export function injectedSamplingPlan(
  offsets: [number, number],
  rowPerms: FixtureTensor,
  colPerms: FixtureTensor,
  styleDraws: FixtureTensor,
): SamplingPlan {
  const n = rowPerms.shape[1];
  const perDraw = styleDraws.shape[1];
  return {
    gridOffsets: () => offsets,
    iterationPermutations: ({ iteration }) => ({
      rows: (rowPerms.data as Int32Array).slice(iteration * n, (iteration + 1) * n),
      cols: (colPerms.data as Int32Array).slice(iteration * n, (iteration + 1) * n),
    }),
    styleDraw: ({ draw }) => {
      const rows = new Int32Array(perDraw);
      const cols = new Int32Array(perDraw);
      for (let i = 0; i < perDraw; i++) {
        rows[i] = styleDraws.data[(draw * perDraw + i) * 2];
        cols[i] = styleDraws.data[(draw * perDraw + i) * 2 + 1];
      }
      return { rows, cols };
    },
  };
}

/**
 * Stage 7 of the fixtures: the first scale (64 px, α 16, lr 2e-3) for five iterations with the
 * reference's random choices injected; compares initialisation, samples, losses, gradients and
 * the trajectory at the fixture's tolerances (×`toleranceScale`).
 */
export async function runE2eFixture(
  fx: ReferenceFixtures,
  c: FixtureCase,
  vgg: { preset: FeatureExtractorPreset; weights: VggWeights },
  toleranceScale: number,
): Promise<CheckResult[]> {
  const get = (k: string) => (k in c.inputs ? fx.input(c, k) : fx.output(c, k));
  const results: CheckResult[] = [];
  const add = (name: string, got: ArrayLike<number>, want: ArrayLike<number>, kind: Parameters<typeof check>[3], tol: number) =>
    results.push(check(name, got, want, kind, kind === 'exact' ? 0 : tol * toleranceScale));

  const contentImage = rgbaFromU8(await get('content_u8_hwc'));
  const styleImage = rgbaFromU8(await get('style_u8_hwc'));
  const content = imageToTensor(contentImage);
  const style = imageToTensor(styleImage);
  add('content', await readNchw(content), (await get('content')).data, 'max_abs_over_max_ref', 1e-5);
  const [, h, w] = content.shape;
  const plan = { index: 1, longSide: 64, alpha: 16, learningRate: 2e-3, iterations: 5, isFirst: true, isLast: false };

  const init = initialImage(plan, content, style);
  add('init/X0', await readNchw(init), (await get('init/X0')).data, 'max_abs_over_max_ref', 1e-5);
  const initLevels = laplacianPyramid(init, 5);
  for (let k = 0; k < 6; k++) {
    add(`init/pyramid_level${k}`, await readNchw(initLevels[k]), (await get(`init/pyramid_level${k}`)).data, 'max_abs_over_max_ref', 1e-5);
  }
  tf.dispose(initLevels);

  const offsets = Array.from((await get('sampling/grid_offsets_rc')).data) as [number, number];
  add('sampling/grid_strides_rc', gridStrides(h, w), (await get('sampling/grid_strides_rc')).data, 'exact', 0);
  const candidates = gridCandidates(h, w, gridStrides(h, w), offsets);
  add('sampling/candidate_rows_initial', candidates.rows, (await get('sampling/candidate_rows_initial')).data, 'exact', 0);
  add('sampling/candidate_cols_initial', candidates.cols, (await get('sampling/candidate_cols_initial')).data, 'exact', 0);
  const sampling = injectedSamplingPlan(offsets, await get('sampling/row_perms'), await get('sampling/col_perms'), await get('sampling/style_draw_rc'));

  const extractor = new VggFeatureExtractor(vgg.preset, vgg.weights);
  const kept: Array<{ X: tf.Tensor; grads: tf.Tensor[]; after: tf.Tensor[]; rows: Int32Array; cols: Int32Array }> = [];
  const losses: number[][] = [];
  const steps = optimiseScale(
    {
      extractor,
      content,
      style,
      init,
      plan,
      regions: [{}],
      sampling,
      samplesPerStep: 1024,
      styleDraws: 5,
      styleSamplesPerDraw: 1000,
      pyramidLevels: 5,
      cosine: { epsilon: 0 },
    },
    (t: IterationTrace) =>
      kept.push({
        X: nchwCopy(t.X),
        grads: t.grads.map(nchwCopy),
        after: t.levelsAfterStep.map(nchwCopy),
        rows: t.locations[0].rows,
        cols: t.locations[0].cols,
      }),
  );
  let returned: tf.Tensor4D;
  for (;;) {
    const next = await steps.next();
    if (next.done) {
      returned = next.value;
      break;
    }
    const v = next.value;
    if (isScaleState(v)) continue;
    losses.push([v.loss, v.content, v.remd, v.moment, v.palette]);
  }
  const read = async (t: tf.Tensor) => {
    const values = (await t.data()) as Float32Array;
    t.dispose();
    return values;
  };
  const traces: Array<{ X: Float32Array; grads: Float32Array[]; after: Float32Array[]; rows: Int32Array; cols: Int32Array }> = [];
  for (const k of kept) {
    traces.push({ X: await read(k.X), grads: await Promise.all(k.grads.map(read)), after: await Promise.all(k.after.map(read)), rows: k.rows, cols: k.cols });
  }

  const sampleRows = await get('sampling/sample_rows');
  const sampleCols = await get('sampling/sample_cols');
  const lossRef = await get('trajectory/loss');
  const termsRef = await get('trajectory/loss_terms_content_remd_moment_palette');
  const xRef = await get('trajectory/X_at_iteration');
  for (let t = 0; t < 5; t++) {
    add(`sampling/sample_rows[${t}]`, traces[t].rows, (sampleRows.data as Int32Array).subarray(t * 1024, (t + 1) * 1024), 'exact', 0);
    add(`sampling/sample_cols[${t}]`, traces[t].cols, (sampleCols.data as Int32Array).subarray(t * 1024, (t + 1) * 1024), 'exact', 0);
    const lossTol = [1e-5, 1e-4, 1e-3, 1e-3, 5e-3][t];
    add(`trajectory/loss[${t}]`, [losses[t][0]], [lossRef.data[t]], 'rel', lossTol);
  }
  const termNames = ['content', 'remd', 'moment', 'palette'];
  for (let k = 0; k < 4; k++) add(`trajectory/terms[0].${termNames[k]}`, [losses[0][k + 1]], [termsRef.data[k]], 'rel', 1e-5);
  for (let k = 0; k < 6; k++) {
    add(`trajectory/grad_level${k}[0]`, traces[0].grads[k], step(await get(`trajectory/grad_level${k}`), 0), 'rel_l2', 1e-2);
    const after = step(await get(`trajectory/level${k}_after_step`), 0);
    add(`trajectory/level${k}_after_step[0] (max)`, traces[0].after[k], after, 'max_abs', 1e-2);
    add(`trajectory/level${k}_after_step[0] (mean)`, traces[0].after[k], after, 'mean_abs', 1e-4);
  }
  add('trajectory/X_at_iteration[1] (max)', traces[1].X, step(xRef, 1), 'max_abs', 1e-2);
  add('trajectory/X_at_iteration[1] (mean)', traces[1].X, step(xRef, 1), 'mean_abs', 1e-4);
  for (let t = 2; t < 5; t++) {
    add(`trajectory/X_at_iteration[${t}] (mean)`, traces[t].X, step(xRef, t), 'mean_abs', 2e-3);
    add(`trajectory/X_at_iteration[${t}] (max)`, traces[t].X, step(xRef, t), 'max_abs', 5e-2);
  }
  const returnedValues = await readNchw(returned);
  add('returned/X (mean)', returnedValues, (await get('returned/X')).data, 'mean_abs', 2e-3);
  add('returned/X (max)', returnedValues, (await get('returned/X')).data, 'max_abs', 5e-2);
  add('returned/X = X_at_iteration[4]', returnedValues, traces[4].X, 'exact', 0);

  // B: style samples of the scale, newest draw first (nearest lookups of the stored draws, through
  // the extractor's lookUp: the backend's own Hypercolumns kernel where it registered one).
  const draws = await get('sampling/style_draw_rc');
  const drawOrder = [4, 3, 2, 1, 0].map((k) => sampling.styleDraw({ scale: 1, region: 0, draw: k }, { rows: new Int32Array(), cols: new Int32Array() }, draws.shape[1]));
  const parts = extractor.lookUp(style, drawOrder.map((locations) => ({ locations, mode: 'nearest' as const })));
  const B = tf.concat(parts, 0);
  tf.dispose(parts);
  const colours = tf.slice(B, [0, 0], [-1, 3]);
  add('B/colours', await colours.data(), (await get('B/colours')).data, 'exact', 0);
  const first8 = tf.slice(B, [0, 0], [8, -1]);
  add('B/first8_rows', await first8.data(), (await get('B/first8_rows')).data, 'max_abs_over_max_ref', 1e-5);
  tf.dispose([B, colours, first8]);

  tf.dispose([content, style, init, returned]);
  extractor.dispose();
  return results;
}
