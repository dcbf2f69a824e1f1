import { tf } from '../tfjs.js';
import { InvalidImageError, InvalidOptionError, StyleTransferAbortError, type ErrorDetails, type Wording } from '../errors.js';
import { assertRgbaImage, imageToTensor, tensorToImage, type RgbaImage } from '../image.js';
import { VggFeatureExtractor } from '../model/vgg.js';
import type { VggWeights } from '../model/presets.js';
import { contentBand } from '../ops/pyramid.js';
import { resizeHalfPixel, scaledSize } from '../ops/resize.js';
import { checkGuidance, regionMask, type RegionGuidance } from './guidance.js';
import type { ResolvedOptions } from './options.js';
import { CHECKPOINT_VERSION, type CheckpointReason, type RunFingerprint, type StrotssCheckpoint } from './checkpoint.js';
import type { RandomState } from './random.js';
import { isScaleState, optimiseScale, type ScaleRegion, type ScaleState, type StepValues } from './run-scale.js';
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
  style: RgbaImage;
  weights: VggWeights;
  options: ResolvedOptions;
  samplingPlan?: SamplingPlan;
  guidance?: RegionGuidance;
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

/** Checks both images and the aspect ratio the VGG can take at the smallest scale; throws InvalidImageError. */
export function validateInputs(content: RgbaImage, style: RgbaImage, schedule: readonly ScalePlan[], minSide: number): void {
  assertRgbaImage(content, 'content image', 'content');
  assertRgbaImage(style, 'style image', 'style');
  const first = schedule[0].longSide;
  for (const [what, img] of [['content', content], ['style', style]] as const) {
    const [h, w] = scaledSize(img.height, img.width, first);
    if (Math.min(h, w) >= minSide) continue;
    const long = Math.max(img.width, img.height);
    const short = Math.min(img.width, img.height);
    throw new InvalidImageError(
      (wd: Wording) =>
        `The ${wd.input(what, `${what} image`)} is ${img.width}×${img.height} (aspect ratio ${(long / short).toFixed(1)}:1): ` +
        `at the first scale (long side ${first} px) it becomes ${w}×${h}, but the VGG needs at least ${minSide} px on the short side. ` +
        `Crop it to an aspect ratio of at most ${Math.max(1, Math.floor(first / minSide))}:1, or use fewer ${wd.option('scales') ?? 'scales'} ` +
        `(or a larger ${wd.option('size') ?? 'size'}) so that the first scale is at least ${Math.ceil((minSide * long) / short)} px long.`,
      { details: { option: what, value: `${img.width}×${img.height}` } },
    );
  }
}

/** Warnings about inputs the job can take but probably should not: images smaller than the first scale are upscaled. */
export function inputWarnings(content: RgbaImage, style: RgbaImage, schedule: readonly ScalePlan[]): StyleTransferWarning[] {
  const first = schedule[0].longSide;
  const warnings: StyleTransferWarning[] = [];
  for (const [what, img] of [['content', content], ['style', style]] as const) {
    const long = Math.max(img.width, img.height);
    if (long >= first) continue;
    warnings.push({
      type: 'warning',
      code: 'TINY_IMAGE',
      message:
        `The ${what} image is ${img.width}×${img.height}, smaller than the first scale (${first} px on the long side): ` +
        `it is upscaled ×${(first / long).toFixed(1)} and carries little ${what === 'style' ? 'texture' : 'detail'}. Use an image of at least ${first} px.`,
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
  contentFull: tf.Tensor4D;
  styleFull: tf.Tensor4D;
  initFull?: tf.Tensor4D;
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
  validateInputs(run.content, run.style, schedule, 2 ** pools);
  if (run.init) assertRgbaImage(run.init, 'initial image', 'init');
  for (const warning of inputWarnings(run.content, run.style, schedule)) yield warning;
  const guided = run.guidance ? checkGuidance(run.guidance, run.content, run.style) : null;
  for (const warning of guided?.warnings ?? []) yield warning;
  const state: RunState = {
    run,
    schedule,
    sampling: run.samplingPlan ?? seededSamplingPlan(options.seed, options.sampler),
    extractor: new VggFeatureExtractor(options.model, run.weights),
    contentFull: imageToTensor(run.content),
    styleFull: imageToTensor(run.style),
    initFull: run.init ? imageToTensor(run.init) : undefined,
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
    const image = await tensorToImage(previous!);
    yield { type: 'done', image, seconds: (Date.now() - state.started) / 1000, seed: options.seed, finalLosses: state.finalLosses };
    return image;
  } finally {
    previous?.dispose();
    tf.dispose([state.contentFull, state.styleFull, ...(state.initFull ? [state.initFull] : [])]);
    state.extractor.dispose();
  }
}

/** Runs one scale: its events, its checkpoints; returns its image (the caller owns it). */
async function* runScale(state: RunState, plan: ScalePlan, previous: tf.Tensor4D | undefined): AsyncGenerator<StyleTransferEvent, tf.Tensor4D, void> {
  const { run, schedule } = state;
  const { options, signal } = run;
  const resume = run.resume?.scale === plan.index ? run.resume : undefined;
  const [h, w] = scaledSize(run.content.height, run.content.width, plan.longSide);
  const [sh, sw] = scaledSize(run.style.height, run.style.width, plan.longSide);
  const content = resizeHalfPixel(state.contentFull, [h, w]);
  const style = resizeHalfPixel(state.styleFull, [sh, sw]);
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
    tf.dispose([content, style, ...(init ? [init] : [])]);
  }
}

/** The step event of one iteration, and its preview when it carries an image. */
async function* stepEvents(state: RunState, plan: ScalePlan, step: StepValues): AsyncGenerator<StyleTransferEvent, void, void> {
  const elapsedSeconds = (Date.now() - state.started) / 1000;
  const etaSeconds = (elapsedSeconds / state.doneIterations) * (state.totalIterations - state.doneIterations);
  const { image, ...values } = step;
  yield { type: 'step', scale: plan.index, scales: state.schedule.length, elapsedSeconds, etaSeconds, ...values };
  if (image) {
    const preview = await tensorToImage(image);
    image.dispose();
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
  return plan.isFirst && state.initFull ? resizeHalfPixel(state.initFull, size) : undefined;
}

/**
 * The image a scale starts from (spec §5): style mean + content band, ↑previous + band, or ↑previous
 * at the last scale. With `previous` at the first scale (an `init` image, e.g. the last frame's
 * result), that image + content band.
 */
export function initialImage(plan: ScalePlan, content: tf.Tensor4D, style: tf.Tensor4D, previous?: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = content.shape;
    if (!previous) return tf.add(tf.mean(style, [1, 2], true), contentBand(content)) as tf.Tensor4D;
    if (plan.isFirst) return tf.add(resizeHalfPixel(previous, [h, w]), contentBand(content)) as tf.Tensor4D;
    const upsampled = resizeHalfPixel(previous, [h, w]);
    return plan.isLast ? upsampled : (tf.add(upsampled, contentBand(content)) as tf.Tensor4D);
  });
}
