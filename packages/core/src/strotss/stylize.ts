import { tf } from '../tfjs.js';
import { InvalidImageError, InvalidOptionError, StyleTransferAbortError, type ErrorDetails, type Wording } from '../errors.js';
import { assertRgbaImage, imageToTensor, tensorToImage, type RgbaImage } from '../image.js';
import { VggFeatureExtractor } from '../model/vgg.js';
import type { VggWeights } from '../model/presets.js';
import { contentBand } from '../ops/pyramid.js';
import { resizeHalfPixel, scaledSize } from '../ops/resize.js';
import { combineLuminanceChroma, greyscale } from '../ops/colour.js';
import { checkGuidance, regionMask, type RegionGuidance } from './guidance.js';
import type { ResolvedOptions } from './options.js';
import { CHECKPOINT_VERSION, type CheckpointReason, type RunFingerprint, type StrotssCheckpoint } from './checkpoint.js';
import type { RandomState } from './random.js';
import { checkPointGuidance, pointsAtScale, type PointGuidance } from './point-guidance.js';
import { isScaleState, optimiseScale, type ScaleRegion, type ScaleState, type ScaleStyle, type StepValues } from './run-scale.js';
import { normaliseStyles, type StyleInput, type WeightedStyle } from './styles.js';
import { seededSamplingPlan, type SamplingPlan } from './sampling.js';
import { scaleSchedule, type ScalePlan } from './schedule.js';

/** Events of a running job, told apart by `type`. */
export type StyleTransferEvent =
  | { type: 'weights'; loaded: number; total: number }
  | { type: 'scale'; scale: number; scales: number; width: number; height: number; alpha: number; learningRate: number; iterations: number }
  | ({ type: 'step'; scale: number; scales: number; elapsedSeconds: number; etaSeconds: number } & Omit<StepValues, 'image'>)
  | { type: 'preview'; scale: number; iteration: number; image: RgbaImage }
  | { type: 'warning'; code: string; message: string; details: ErrorDetails }
  | { type: 'checkpoint'; reason: CheckpointReason; scale: number; iteration: number; checkpoint: StrotssCheckpoint }
  | { type: 'done'; image: RgbaImage; seconds: number; seed: number; finalLosses: number[] };

/** A warning event: something the job works around but the user may want to fix. */
export type StyleTransferWarning = Extract<StyleTransferEvent, { type: 'warning' }>;

/** Inputs of {@link runStrotss} once weights are loaded and the backend selected. */
export interface StrotssRun {
  content: RgbaImage;
  /** One style image, or several with weights (their samples are split by weight). */
  style: StyleInput;
  weights: VggWeights;
  options: ResolvedOptions;
  samplingPlan?: SamplingPlan;
  guidance?: RegionGuidance;
  /** Point guidance (spec §11.2); style points are in the first style image. */
  points?: PointGuidance;
  signal?: AbortSignal;
  /** The backend's `readbackLag` (see StrotssBackend). */
  readbackLag?: number;
  /** When to take checkpoints ('checkpoint' events); absent: never. */
  checkpoints?: CheckpointPolicy;
  /** Continue from this checkpoint (already checked against this run with checkResumable). */
  resume?: StrotssCheckpoint;
  /** The image the first scale starts from in place of the style's mean colour (e.g. the previous frame's result). */
  init?: RgbaImage;
}

/** The input images by their option names (`content`, `style`, `style.1`, …) and how messages describe them. */
function namedInputs(content: RgbaImage, style: RgbaImage | readonly RgbaImage[]): [string, string, RgbaImage][] {
  const styles = Array.isArray(style) ? (style as readonly RgbaImage[]) : [style as RgbaImage];
  return [
    ['content', 'content image', content],
    ...styles.map((img, i): [string, string, RgbaImage] => [i === 0 ? 'style' : `style.${i}`, styles.length > 1 ? `style image ${i + 1}` : 'style image', img]),
  ];
}

/** Checks the images and the aspect ratio the VGG can take at the smallest scale; throws InvalidImageError. */
export function validateInputs(content: RgbaImage, style: RgbaImage | readonly RgbaImage[], schedule: readonly ScalePlan[], minSide: number): void {
  const inputs = namedInputs(content, style);
  for (const [what, described, img] of inputs) assertRgbaImage(img, described, what);
  const first = schedule[0].longSide;
  for (const [what, described, img] of inputs) {
    const [h, w] = scaledSize(img.height, img.width, first);
    if (Math.min(h, w) >= minSide) continue;
    const long = Math.max(img.width, img.height);
    const short = Math.min(img.width, img.height);
    throw new InvalidImageError(
      (wd: Wording) =>
        `The ${wd.input(what, described)} is ${img.width}×${img.height} (aspect ratio ${(long / short).toFixed(1)}:1): ` +
        `at the first scale (long side ${first} px) it becomes ${w}×${h}, but the VGG needs at least ${minSide} px on the short side. ` +
        `Crop it to an aspect ratio of at most ${Math.max(1, Math.floor(first / minSide))}:1, or use fewer ${wd.option('scales') ?? 'scales'} ` +
        `(or a larger ${wd.option('size') ?? 'size'}) so that the first scale is at least ${Math.ceil((minSide * long) / short)} px long.`,
      { details: { option: what, value: `${img.width}×${img.height}` } },
    );
  }
}

/** Warnings about inputs the job can take but probably should not: images smaller than the first scale are upscaled. */
export function inputWarnings(content: RgbaImage, style: RgbaImage | readonly RgbaImage[], schedule: readonly ScalePlan[]): StyleTransferWarning[] {
  const first = schedule[0].longSide;
  const warnings: StyleTransferWarning[] = [];
  for (const [what, described, img] of namedInputs(content, style)) {
    const long = Math.max(img.width, img.height);
    if (long >= first) continue;
    warnings.push({
      type: 'warning',
      code: 'TINY_IMAGE',
      message:
        `The ${described} is ${img.width}×${img.height}, smaller than the first scale (${first} px on the long side): ` +
        `it is upscaled ×${(first / long).toFixed(1)} and carries little ${what === 'content' ? 'detail' : 'texture'}. Use an image of at least ${first} px.`,
      details: { option: what, value: `${img.width}×${img.height}`, limit: first },
    });
  }
  return warnings;
}

function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new StyleTransferAbortError();
}

/** Yields to the event loop so a cancel() or an abort can land between iterations. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Where and why a run takes checkpoints (docs/guide/resume.md). */
export interface CheckpointPolicy {
  /** Every this many iterations of a scale (0 or absent: never). */
  every?: number;
  /** At the next iteration boundary after the run's signal aborts, before the run stops. */
  onCancel?: boolean;
  /** Says whether a checkpoint was asked for since the last one (checked before each iteration). */
  requested?: () => boolean;
  /** The run's fingerprint (hashes the inputs: called once, at the first checkpoint). */
  fingerprint: () => RunFingerprint;
}

/** The state shared by the scales of one run. */
interface RunState {
  run: StrotssRun;
  schedule: ScalePlan[];
  sampling: SamplingPlan;
  extractor: VggFeatureExtractor;
  /** The style images with normalised weights. */
  styles: WeightedStyle[];
  /** The full-size input tensors (grey with preserveColor) and how an optimised image becomes the output. */
  inputs: InputTensors;
  regions: GuidanceRegions | null;
  started: number;
  totalIterations: number;
  doneIterations: number;
  finalLosses: number[];
  fingerprint?: RunFingerprint;
}

type GuidanceRegions = NonNullable<ReturnType<typeof checkGuidance>>['regions'];

/**
 * The whole STROTSS algorithm (spec §1): for each scale, initialise (spec §5), optimise
 * (spec §20) and hand the image to the next scale; yields typed events and returns the final
 * image, clamped to 8 bits (spec §12). With `resume`, starts at the checkpoint's scale and
 * iteration. Every tensor it makes is disposed, also on abort.
 */
export async function* runStrotss(run: StrotssRun): AsyncGenerator<StyleTransferEvent, RgbaImage, void> {
  const { options, signal, resume } = run;
  const schedule = scaleSchedule({ size: options.size, contentWeight: options.contentWeight, iterations: options.iterations, scales: options.scales });
  const pools = options.model.layers.filter((l) => l.kind === 'pool').length;
  const styles = normaliseStyles(run.style);
  validateInputs(run.content, styles.map((s) => s.image), schedule, 2 ** pools);
  if (run.init) assertRgbaImage(run.init, 'initial image', 'init');
  for (const warning of inputWarnings(run.content, styles.map((s) => s.image), schedule)) yield warning;
  checkGuidanceInputs(run, styles.length);
  const guided = run.guidance ? checkGuidance(run.guidance, run.content, styles[0].image) : null;
  for (const warning of guided?.warnings ?? []) yield warning;
  const state: RunState = {
    run,
    schedule,
    sampling: run.samplingPlan ?? seededSamplingPlan(options.seed, options.sampler),
    extractor: new VggFeatureExtractor(options.model, run.weights),
    styles,
    inputs: inputTensors(run.content, styles, run.init, options.preserveColor),
    regions: guided?.regions ?? null,
    started: Date.now(),
    totalIterations: schedule.reduce((k, s) => k + s.iterations, 0),
    doneIterations: resume ? schedule.slice(0, resume.scale - 1).reduce((k, s) => k + s.iterations, 0) + resume.iteration : 0,
    finalLosses: resume ? [...resume.finalLosses] : [],
  };
  let previous: tf.Tensor4D | undefined;
  try {
    for (const plan of schedule.slice(resume ? resume.scale - 1 : 0)) {
      if (!run.checkpoints?.onCancel) throwIfAborted(signal);
      const next = yield* runScale(state, plan, previous);
      previous?.dispose();
      previous = next;
    }
    throwIfAborted(signal);
    const image = await state.inputs.finish(previous!);
    previous = undefined;
    yield { type: 'done', image, seconds: (Date.now() - state.started) / 1000, seed: options.seed, finalLosses: state.finalLosses };
    return image;
  } finally {
    previous?.dispose();
    state.inputs.dispose();
    state.extractor.dispose();
  }
}

/** Runs one scale: its events, its checkpoints; returns its image (the caller owns it). */
async function* runScale(state: RunState, plan: ScalePlan, previous: tf.Tensor4D | undefined): AsyncGenerator<StyleTransferEvent, tf.Tensor4D, void> {
  const { run, schedule } = state;
  const { options, signal } = run;
  const resume = run.resume?.scale === plan.index ? run.resume : undefined;
  const [h, w] = scaledSize(run.content.height, run.content.width, plan.longSide);
  const style: ScaleStyle[] = state.inputs.styles.map(({ tensor, image, weight }) => ({
    image: resizeHalfPixel(tensor, scaledSize(image.height, image.width, plan.longSide)),
    weight,
  }));
  const [, sh, sw] = style[0].image.shape;
  const content = resizeHalfPixel(state.inputs.contentFull, [h, w]);
  const start = previous ?? firstScaleStart(state, plan, [h, w]);
  const init = resume ? undefined : initialImage(plan, content, style, start);
  if (start !== previous) start?.dispose();
  const scaleRegions = await regionsAt(state, [h, w], [sh, sw]);
  if (resume) state.sampling.setRandomState!(resume.random.scaleStart);
  const scaleStart = state.sampling.getRandomState?.();
  yield { type: 'scale', scale: plan.index, scales: schedule.length, width: w, height: h, alpha: plan.alpha, learningRate: plan.learningRate, iterations: plan.iterations };
  const policy = run.checkpoints;
  let due: CheckpointReason | undefined;
  const steps = optimiseScale({
    extractor: state.extractor,
    content,
    style,
    init,
    resume: resume && { iteration: resume.iteration, levels: resume.levels, squareAvg: resume.squareAvg, random: resume.random.now },
    plan,
    regions: scaleRegions,
    points: run.points ? pointsAtScale(run.points, run.content, state.styles[0].image, [h, w], [sh, sw]) : undefined,
    sampling: state.sampling,
    samplesPerStep: options.samplesPerStep,
    styleDraws: options.styleDraws,
    styleSamplesPerDraw: options.styleSamplesPerDraw,
    pyramidLevels: options.pyramidLevels,
    cosine: { epsilon: options.cosineEpsilon },
    imageAt: (t) => options.previewEvery > 0 && (t + 1) % options.previewEvery === 0,
    readbackLag: run.readbackLag,
    stateAt: policy && ((t) => (due = checkpointReason(policy, signal, t, resume?.iteration)) !== undefined),
  });
  try {
    let lastLoss = NaN;
    for (;;) {
      const next = await steps.next();
      if (next.done) {
        state.finalLosses.push(lastLoss);
        return next.value;
      }
      if (isScaleState(next.value)) {
        const reason = due!;
        yield checkpointEvent(state, plan, scaleStart, next.value, reason);
        if (reason === 'cancel') throw new StyleTransferAbortError();
        continue;
      }
      state.doneIterations++;
      lastLoss = next.value.loss;
      yield* stepEvents(state, plan, next.value);
      await yieldToEventLoop();
      // With a checkpoint on cancel, the run stops at the next iteration boundary, once it is taken.
      if (!policy?.onCancel) throwIfAborted(signal);
    }
  } finally {
    await steps.return(undefined as never);
    tf.dispose([content, ...style.map((s) => s.image), ...(init ? [init] : [])]);
  }
}

/** The step event of one iteration, and its preview when it carries an image. */
async function* stepEvents(state: RunState, plan: ScalePlan, step: StepValues): AsyncGenerator<StyleTransferEvent, void, void> {
  const elapsedSeconds = (Date.now() - state.started) / 1000;
  const etaSeconds = (elapsedSeconds / state.doneIterations) * (state.totalIterations - state.doneIterations);
  const { image, ...values } = step;
  yield { type: 'step', scale: plan.index, scales: state.schedule.length, elapsedSeconds, etaSeconds, ...values };
  if (image) {
    const preview = await state.inputs.finish(image);
    yield { type: 'preview', scale: plan.index, iteration: values.iteration, image: preview };
  }
}

/** Why a checkpoint is due before iteration `t` (undefined: none). Cancel wins, then a request, then the period. */
function checkpointReason(policy: CheckpointPolicy | undefined, signal: AbortSignal | undefined, t: number, resumedAt: number | undefined): CheckpointReason | undefined {
  if (!policy) return undefined;
  if (policy.onCancel && signal?.aborted) return 'cancel';
  if (policy.requested?.()) return 'request';
  // Not again where the run was resumed: that state is the checkpoint it came from.
  if (policy.every && t > 0 && t % policy.every === 0 && t !== resumedAt) return 'every';
  return undefined;
}

/** A checkpoint event from a scale's state (docs/guide/resume.md). */
function checkpointEvent(state: RunState, plan: ScalePlan, scaleStart: RandomState | undefined, scaleState: ScaleState, reason: CheckpointReason): StyleTransferEvent {
  if (!scaleStart || !scaleState.random) {
    throw new InvalidOptionError('A checkpoint needs the seeded sampler: a run with an injected samplingPlan cannot be saved; drop samplingPlan and pass a seed.', {
      details: { option: 'samplingPlan' },
    });
  }
  state.fingerprint ??= state.run.checkpoints!.fingerprint();
  const checkpoint: StrotssCheckpoint = {
    version: CHECKPOINT_VERSION,
    fingerprint: state.fingerprint,
    scale: plan.index,
    iteration: scaleState.iteration,
    finalLosses: [...state.finalLosses],
    random: { scaleStart, now: scaleState.random },
    levels: scaleState.levels,
    squareAvg: scaleState.squareAvg,
  };
  return { type: 'checkpoint', reason, scale: plan.index, iteration: scaleState.iteration, checkpoint };
}

/** Each guidance region's masks at this scale's content and style sizes; one unmasked region without guidance. */
async function regionsAt(state: RunState, [h, w]: [number, number], [sh, sw]: [number, number]): Promise<ScaleRegion[]> {
  const { regions, run } = state;
  if (!regions) return [{}];
  return Promise.all(
    regions.map(async (r) => ({
      contentMask: await regionMask(run.guidance!.content, r.colour, h, w, 'content'),
      styleMask: await regionMask(run.guidance!.style, r.colour, sh, sw, 'style'),
    })),
  );
}

/** The `init` image at the first scale's size (the image that scale starts from, plus the content band), or undefined. */
function firstScaleStart(state: RunState, plan: ScalePlan, size: [number, number]): tf.Tensor4D | undefined {
  return plan.isFirst && state.inputs.initFull ? resizeHalfPixel(state.inputs.initFull, size) : undefined;
}

/** Throws when region guidance is combined with several style images (a mask belongs to one image), or a point pair is malformed or off its image. */
function checkGuidanceInputs(run: StrotssRun, styleCount: number): void {
  if (run.guidance && styleCount > 1) {
    throw new InvalidOptionError(
      (w) =>
        `${w.option('guidance') ?? 'guidance'} takes one style image, but ${styleCount} are given: ` +
        'a style mask is drawn over one image. Use one style image with region guidance.',
      { details: { option: 'guidance', value: styleCount } },
    );
  }
  if (run.points) checkPointGuidance(run.points, run.content, normaliseStyles(run.style)[0].image);
}

/** The full-size input tensors of a run, and how an optimised image becomes the output. */
interface InputTensors {
  /** The content the optimisation sees (its luminance only with preserveColor). */
  contentFull: tf.Tensor4D;
  styles: { tensor: tf.Tensor4D; image: RgbaImage; weight: number }[];
  /** The `init` image (grey with preserveColor), if any. */
  initFull?: tf.Tensor4D;
  /** Reads an optimised image `[1,h,w,3]` back as the output (and disposes it): with preserveColor, its luminance with the content's chroma. */
  finish(x: tf.Tensor4D): Promise<RgbaImage>;
  dispose(): void;
}

/**
 * The input tensors. With `preserveColor` (luminance-only transfer) the optimisation sees the content
 * and the styles in grey, and {@link InputTensors.finish} puts the content's chroma (YIQ's I and Q,
 * resized half-pixel to the output) back under the output's luminance.
 */
function inputTensors(content: RgbaImage, styles: readonly WeightedStyle[], init: RgbaImage | undefined, preserveColor: boolean): InputTensors {
  const colourContent = imageToTensor(content);
  const maybeGrey = (t: tf.Tensor4D) => {
    if (!preserveColor) return t;
    const grey = greyscale(t);
    t.dispose();
    return grey;
  };
  const contentFull = preserveColor ? greyscale(colourContent) : colourContent;
  const tensors = styles.map((s) => ({ tensor: maybeGrey(imageToTensor(s.image)), image: s.image, weight: s.weight }));
  const initFull = init ? maybeGrey(imageToTensor(init)) : undefined;
  return {
    contentFull,
    styles: tensors,
    initFull,
    async finish(x) {
      const [, h, w] = x.shape;
      const out = preserveColor ? tf.tidy(() => combineLuminanceChroma(x, resizeHalfPixel(colourContent, [h, w]))) : x;
      try {
        return await tensorToImage(out);
      } finally {
        if (out !== x) out.dispose();
        x.dispose();
      }
    },
    dispose() {
      tf.dispose([contentFull, ...tensors.map((t) => t.tensor), ...(initFull ? [initFull] : [])]);
      if (colourContent !== contentFull) colourContent.dispose();
    },
  };
}

/**
 * The image a scale starts from (spec §5): style mean + content band, ↑previous + band, or ↑previous
 * at the last scale. With several style images, the mean is their means weighted by their shares.
 * With `previous` at the first scale (an `init` image, e.g. the last frame's result), that image +
 * content band.
 */
export function initialImage(plan: ScalePlan, content: tf.Tensor4D, style: tf.Tensor4D | readonly ScaleStyle[], previous?: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = content.shape;
    const styles = style instanceof tf.Tensor ? [{ image: style, weight: 1 }] : style;
    const styleMean = () => tf.addN(styles.map((s) => tf.mul(tf.mean(s.image, [1, 2], true), s.weight)));
    if (!previous) return tf.add(styleMean(), contentBand(content)) as tf.Tensor4D;
    if (plan.isFirst) return tf.add(resizeHalfPixel(previous, [h, w]), contentBand(content)) as tf.Tensor4D;
    const upsampled = resizeHalfPixel(previous, [h, w]);
    return plan.isLast ? upsampled : (tf.add(upsampled, contentBand(content)) as tf.Tensor4D);
  });
}
