import { tf } from '../tfjs.js';
import type { VggFeatureExtractor } from '../model/vgg.js';
import type { CosineOptions } from '../ops/distances.js';
import type { Locations } from '../ops/hypercolumns.js';
import { disposeStyleSamples, prepareStyleSamples, type StyleSamples } from '../ops/objective.js';
import { imageObjective, type PointSamples } from './image-objective.js';
import type { ScalePoints } from './point-guidance.js';
import { splitByWeight } from './styles.js';
import { laplacianPyramid, synthesizePyramid } from '../ops/pyramid.js';
import { TorchRmsprop } from '../ops/rmsprop.js';
import { gridCandidates, gridStrides, maskPixels, OutputSampler, type SamplingPlan } from './sampling.js';
import { ContentSampleTable } from './content-samples.js';
import type { ScalePlan } from './schedule.js';
import type { HostTensor } from './checkpoint.js';
import type { RandomState } from './random.js';

/** One of several style images at this scale and its share (the shares sum to 1). */
export interface ScaleStyle {
  image: tf.Tensor4D;
  weight: number;
}

/** The style images of a scale as a list with weights. */
function scaleStyles(style: ScaleInputs['style']): readonly ScaleStyle[] {
  return style instanceof tf.Tensor ? [{ image: style, weight: 1 }] : style;
}

/** Masks of one region at this scale (row-major, 1 = inside); absent = the whole image. */
export interface ScaleRegion {
  contentMask?: Uint8Array;
  styleMask?: Uint8Array;
}

/** Everything one scale's optimisation needs (spec §20). */
export interface ScaleInputs {
  extractor: VggFeatureExtractor;
  /** Content image C_s and style image S_s at this scale, `[1,h,w,3]` in [0,1]; or several style images with weights summing to 1. */
  content: tf.Tensor4D;
  style: tf.Tensor4D | readonly ScaleStyle[];
  /** Point guidance at this scale (spec §11.2); its style points are in the (first) style image. */
  points?: ScalePoints;
  /** The initial image of this scale (spec §5); not needed when `resume` is given. */
  init?: tf.Tensor4D;
  /** Continue this scale from a checkpoint's state instead of starting it from `init`. */
  resume?: ScaleResume;
  /**
   * Asked before each iteration: whether to hand out the scale's state there (a {@link ScaleState},
   * for a checkpoint). The loss values still in flight are handed out first.
   */
  stateAt?: (iteration: number) => boolean;
  plan: ScalePlan;
  regions: readonly ScaleRegion[];
  sampling: SamplingPlan;
  /** N: output samples per step (1024). */
  samplesPerStep: number;
  /** Style samples: `styleDraws` draws of `styleSamplesPerDraw` (5 × 1000). */
  styleDraws: number;
  styleSamplesPerDraw: number;
  pyramidLevels: number;
  cosine: CosineOptions;
  /** Iterations whose image (before the step) is handed out with the step values, e.g. for previews. */
  imageAt?: (iteration: number) => boolean;
  /**
   * Steps by which the loss values may trail the optimisation ({@link StrotssBackend.readbackLag}):
   * each step's terms are read asynchronously and yielded once `readbackLag` later steps are
   * queued, so a device backend never waits for a read inside the loop. 0 (default): each step's
   * values are read before the next step. Values and their order are the same either way.
   */
  readbackLag?: number;
}

/** Loss values of one iteration (means over regions), evaluated on the image before that iteration's step. */
export interface StepValues {
  /** The image of this iteration when `imageAt` asked for it; the receiver disposes it. */
  image?: tf.Tensor4D;
  iteration: number;
  loss: number;
  content: number;
  remd: number;
  moment: number;
  palette: number;
  /** The point-guidance term ℓ_points (spec §11.2), present with point guidance. */
  points?: number;
}

/** The state of a scale before iteration `iteration`: what a resumed scale needs to continue identically. */
export interface ScaleState {
  kind: 'scale-state';
  iteration: number;
  levels: HostTensor[];
  squareAvg: HostTensor[];
  /** The sampling plan's random state here (absent for plans without one). */
  random?: RandomState;
}

/** Where a resumed scale continues: its next iteration, pyramid and RMSprop state, and the random state expected there. */
export interface ScaleResume {
  iteration: number;
  levels: readonly HostTensor[];
  squareAvg: readonly HostTensor[];
  random: RandomState;
}

/** Whether a value of {@link optimiseScale} is the scale's state rather than a step's losses. */
export function isScaleState(value: StepValues | ScaleState): value is ScaleState {
  return (value as ScaleState).kind === 'scale-state';
}

/** Tensors of one iteration for tests and diagnostics; valid only during the callback. */
export interface IterationTrace {
  iteration: number;
  X: tf.Tensor4D;
  grads: readonly tf.Tensor4D[];
  levelsAfterStep: readonly tf.Tensor4D[];
  locations: readonly Locations[];
}

/** Per-region constants of a scale: sampler, content hypercolumn table and style samples. */
interface RegionState {
  sampler: OutputSampler;
  content: ContentSampleTable;
  style: StyleSamples;
}

/**
 * Style sample locations of one region in one style image: its draws, newest first, as the reference
 * stacks them (spec §8.3). With several images, each draw takes `share` of the samples per draw.
 */
function styleDrawsFor(inputs: ScaleInputs, region: number, styleIndex: number, share: number, mask?: Uint8Array): Locations[] {
  const [, h, w] = scaleStyles(inputs.style)[styleIndex].image.shape;
  const pixels = maskPixels(h, w, mask);
  const take = Math.min(share, pixels.rows.length);
  const draws: Locations[] = [];
  for (let k = 0; k < inputs.styleDraws; k++) {
    draws.push(inputs.sampling.styleDraw({ scale: inputs.plan.index, region, draw: k, ...(styleIndex > 0 ? { image: styleIndex } : {}) }, pixels, take));
  }
  return draws.reverse();
}

/**
 * The style samples B `[M, d]` of every region: each style image contributes its weight's share of
 * every draw (largest remainder, so the shares sum to the samples per draw), the images in order.
 */
function styleSamplesOf(inputs: ScaleInputs): tf.Tensor2D[] {
  const styles = scaleStyles(inputs.style);
  const shares = splitByWeight(inputs.styleSamplesPerDraw, styles.map((s) => s.weight));
  // perImage[i][r]: the draws of region r in image i (a region's mask applies with one style image only).
  const perImage = styles.map((_, i) =>
    inputs.regions.map((region, r) => (shares[i] > 0 ? styleDrawsFor(inputs, r, i, shares[i], region.styleMask) : [])),
  );
  const columns = styles.map((s, i) =>
    inputs.extractor.lookUp(s.image, perImage[i].flat().map((locations) => ({ locations, mode: 'nearest' as const }))),
  );
  const offsets = styles.map(() => 0);
  return inputs.regions.map((_, r) => {
    const parts = styles.flatMap((_, i) => columns[i].slice(offsets[i], (offsets[i] += perImage[i][r].length)));
    const B = tf.tidy(() => tf.concat(parts, 0) as tf.Tensor2D);
    tf.dispose(parts);
    return B;
  });
}

/** The point guidance of a scale with its style hypercolumns looked up (nearest, as style samples are; spec §8.3). */
function preparePoints(inputs: ScaleInputs): PointSamples | undefined {
  const points = inputs.points;
  if (!points || points.output.rows.length === 0) return undefined;
  const style = scaleStyles(inputs.style)[0].image;
  const [columns] = inputs.extractor.lookUp(style, [{ locations: points.style, mode: 'nearest' }]);
  return { locations: points.output, style: columns, weight: points.weight };
}

/** Per-region constants of a scale: content tables on each region's lattice, style samples and samplers (spec §20). */
function prepareRegions(inputs: ScaleInputs): RegionState[] {
  const { extractor, plan } = inputs;
  const [, h, w] = inputs.content.shape;
  const grids = inputs.regions.map((_, r) => {
    const strides = gridStrides(h, w);
    return { strides, offsets: inputs.sampling.gridOffsets({ scale: plan.index, region: r }, strides) };
  });
  // Content first: its lattice hypercolumns are all the scale needs of it.
  const tables = extractor.lookUp(
    inputs.content,
    grids.map(({ strides, offsets }) => ({ locations: ContentSampleTable.lattice(h, w, strides, offsets), mode: 'bilinear' as const })),
  );
  const styleSamples = styleSamplesOf(inputs);
  return inputs.regions.map((region, r) => {
    const { strides, offsets } = grids[r];
    const candidates = gridCandidates(h, w, strides, offsets, region.contentMask);
    const sampler = new OutputSampler(candidates, inputs.sampling, { scale: plan.index, region: r }, inputs.samplesPerStep);
    return { sampler, content: new ContentSampleTable(tables[r], h, strides, offsets), style: prepareStyleSamples(styleSamples[r]) };
  });
}

/**
 * Optimises one scale (spec §20): RMSprop over the Laplacian pyramid of `init`, yielding the
 * loss of every iteration (and the scale's state where `stateAt` asks). Returns the image
 * synthesised at the start of the last iteration (the reference's off-by-one, spec §10); the
 * caller owns it.
 */
export async function* optimiseScale(
  inputs: ScaleInputs,
  trace?: (t: IterationTrace) => void,
): AsyncGenerator<StepValues | ScaleState, tf.Tensor4D, void> {
  const { extractor, plan } = inputs;
  const regions = prepareRegions(inputs);
  const points = preparePoints(inputs);
  const start = startingPoint(inputs, regions);
  let levels = start.levels;
  const optimiser = start.optimiser;
  // A trace hands out tensors of the step it describes: no lag there.
  const lag = trace ? 0 : Math.max(0, inputs.readbackLag ?? 0);
  const pending: PendingStep[] = [];
  let lastX: tf.Tensor4D | undefined;
  try {
    for (let t = start.iteration; t < plan.iterations; t++) {
      if (inputs.stateAt?.(t)) {
        // A consistent point: every step before t is applied and its values handed out.
        while (pending.length > 0) yield await finishRead(pending.shift()!);
        yield await scaleState(t, levels, optimiser, inputs.sampling);
      }
      const locations = regions.map((r) => r.sampler.next(t));
      const contentSamples = regions.map((r, i) => r.content.samples(locations[i]));
      const wantImage = inputs.imageAt?.(t) ?? false;
      const keepX = t === plan.iterations - 1 || trace != null || wantImage;
      const captured: { X?: tf.Tensor4D; terms?: tf.Tensor1D } = {};
      const samples = regions.map((r, i) => ({ locations: locations[i], content: contentSamples[i], style: r.style }));
      const { value, grads } = tf.valueAndGrads((...ls: tf.Tensor[]) => {
        const image = synthesizePyramid(ls as tf.Tensor4D[]);
        if (keepX) captured.X = tf.keep(image);
        const terms = imageObjective(extractor, image, samples, plan.alpha, inputs.cosine, points);
        captured.terms = tf.keep(terms);
        return tf.squeeze(tf.slice(terms, [0], [1])) as tf.Scalar;
      })(levels);
      const next = optimiser.step(levels, grads) as tf.Tensor4D[];
      const X = captured.X;
      if (trace && X) trace({ iteration: t, X, grads: grads as tf.Tensor4D[], levelsAfterStep: next, locations });
      tf.dispose([...levels, ...grads, value, ...contentSamples]);
      levels = next;
      if (X) {
        lastX?.dispose();
        lastX = X;
      }
      const image = wantImage && lastX ? (tf.clone(lastX) as tf.Tensor4D) : undefined;
      pending.push(startRead(t, captured.terms!, image));
      while (pending.length > lag) yield await finishRead(pending.shift()!);
    }
    while (pending.length > 0) yield await finishRead(pending.shift()!);
    const result = lastX ?? synthesizePyramid(levels);
    lastX = undefined;
    return result;
  } finally {
    // Abandoned by the caller (cancel): let the reads in flight finish before their tensors go.
    await Promise.allSettled(pending.map((p) => p.values));
    for (const p of pending) tf.dispose(p.image ? [p.terms, p.image] : [p.terms]);
    lastX?.dispose();
    points?.style.dispose();
    optimiser.dispose();
    tf.dispose(levels);
    for (const r of regions) {
      disposeStyleSamples(r.style);
      r.content.dispose();
    }
  }
}

/**
 * The pyramid, optimiser and first iteration of a scale: fresh from `init`, or a checkpoint's state,
 * with the samplers replayed up to it (their shuffles are cumulative, spec §8.1) and the random
 * state checked against the one the checkpoint recorded.
 */
function startingPoint(inputs: ScaleInputs, regions: readonly RegionState[]): { levels: tf.Tensor4D[]; optimiser: TorchRmsprop; iteration: number } {
  const { resume, plan } = inputs;
  if (!resume) {
    if (!inputs.init) throw new Error('optimiseScale needs `init` or `resume`');
    const levels = laplacianPyramid(inputs.init, inputs.pyramidLevels);
    return { levels, optimiser: new TorchRmsprop(levels, { learningRate: plan.learningRate }), iteration: 0 };
  }
  for (let t = 0; t < resume.iteration; t++) for (const r of regions) r.sampler.next(t);
  const now = inputs.sampling.getRandomState?.();
  if (!now || now.some((v, i) => v !== resume.random[i])) {
    throw new Error(`the sampler does not reach the checkpoint's random state at scale ${plan.index}, iteration ${resume.iteration}`);
  }
  const levels = resume.levels.map((t) => tf.tensor4d(t.data, t.shape as [number, number, number, number]));
  const squareAvg = resume.squareAvg.map((t) => tf.tensor(t.data, t.shape));
  const optimiser = new TorchRmsprop(levels, { learningRate: plan.learningRate, squareAvg });
  tf.dispose(squareAvg);
  return { levels, optimiser, iteration: resume.iteration };
}

/** Reads the pyramid and RMSprop state to the host (a checkpoint's tensors). */
async function scaleState(iteration: number, levels: readonly tf.Tensor[], optimiser: TorchRmsprop, sampling: SamplingPlan): Promise<ScaleState> {
  const host = async (t: tf.Tensor): Promise<HostTensor> => ({ shape: [...t.shape], data: Float32Array.from(await t.data()) });
  return {
    kind: 'scale-state',
    iteration,
    levels: await Promise.all(levels.map(host)),
    squareAvg: await Promise.all(optimiser.state.map(host)),
    random: sampling.getRandomState?.(),
  };
}

/** One step's loss terms on their way to the host, with the image handed out with them. */
interface PendingStep {
  iteration: number;
  terms: tf.Tensor1D;
  values: Promise<ArrayLike<number>>;
  image?: tf.Tensor4D;
}

function startRead(iteration: number, terms: tf.Tensor1D, image?: tf.Tensor4D): PendingStep {
  return { iteration, terms, values: terms.data(), image };
}

/** Awaits one step's terms (loss, content, remd, moment, palette; spec §9) and frees them. */
async function finishRead(p: PendingStep): Promise<StepValues> {
  let v: ArrayLike<number>;
  try {
    v = await p.values;
  } finally {
    p.terms.dispose();
  }
  const values: StepValues = { iteration: p.iteration, loss: v[0], content: v[1], remd: v[2], moment: v[3], palette: v[4], image: p.image };
  if (v.length > 5) values.points = v[5];
  return values;
}
