import { tf } from '../tfjs.js';
import { InvalidImageError, StyleTransferAbortError, type ErrorDetails, type Wording } from '../errors.js';
import { assertRgbaImage, imageToTensor, tensorToImage, type RgbaImage } from '../image.js';
import { VggFeatureExtractor } from '../model/vgg.js';
import type { VggWeights } from '../model/presets.js';
import { contentBand } from '../ops/pyramid.js';
import { resizeHalfPixel, scaledSize } from '../ops/resize.js';
import { checkGuidance, regionMask, type RegionGuidance } from './guidance.js';
import type { ResolvedOptions } from './options.js';
import { optimiseScale, type ScaleRegion, type StepValues } from './run-scale.js';
import { seededSamplingPlan, type SamplingPlan } from './sampling.js';
import { scaleSchedule, type ScalePlan } from './schedule.js';

/** Events of a running job, told apart by `type`. */
export type StyleTransferEvent =
  | { type: 'weights'; loaded: number; total: number }
  | { type: 'scale'; scale: number; scales: number; width: number; height: number; alpha: number; learningRate: number; iterations: number }
  | ({ type: 'step'; scale: number; scales: number; elapsedSeconds: number; etaSeconds: number } & Omit<StepValues, 'image'>)
  | { type: 'preview'; scale: number; iteration: number; image: RgbaImage }
  | { type: 'warning'; code: string; message: string; details: ErrorDetails }
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

/**
 * The whole STROTSS algorithm (spec §1): for each scale, initialise (spec §5), optimise
 * (spec §20) and hand the image to the next scale; yields typed events and returns the final
 * image, clamped to 8 bits (spec §12). Every tensor it makes is disposed, also on abort.
 */
export async function* runStrotss(run: StrotssRun): AsyncGenerator<StyleTransferEvent, RgbaImage, void> {
  const started = Date.now();
  const { options, signal } = run;
  const schedule = scaleSchedule({
    size: options.size,
    contentWeight: options.contentWeight,
    iterations: options.iterations,
    scales: options.scales,
  });
  const pools = options.model.layers.filter((l) => l.kind === 'pool').length;
  validateInputs(run.content, run.style, schedule, 2 ** pools);
  for (const warning of inputWarnings(run.content, run.style, schedule)) yield warning;
  const guided = run.guidance ? checkGuidance(run.guidance, run.content, run.style) : null;
  for (const warning of guided?.warnings ?? []) yield warning;
  const regions = guided?.regions ?? null;
  const sampling = run.samplingPlan ?? seededSamplingPlan(options.seed, options.sampler);
  const extractor = new VggFeatureExtractor(options.model, run.weights);
  const contentFull = imageToTensor(run.content);
  const styleFull = imageToTensor(run.style);
  let previous: tf.Tensor4D | undefined;
  const finalLosses: number[] = [];
  const totalIterations = schedule.reduce((k, s) => k + s.iterations, 0);
  let doneIterations = 0;
  try {
    for (const plan of schedule) {
      throwIfAborted(signal);
      const [h, w] = scaledSize(run.content.height, run.content.width, plan.longSide);
      const [sh, sw] = scaledSize(run.style.height, run.style.width, plan.longSide);
      const content = resizeHalfPixel(contentFull, [h, w]);
      const style = resizeHalfPixel(styleFull, [sh, sw]);
      const init = initialImage(plan, content, style, previous);
      previous?.dispose();
      previous = undefined;
      const scaleRegions: ScaleRegion[] = regions
        ? await Promise.all(
            regions.map(async (r) => ({
              contentMask: await regionMask(run.guidance!.content, r.colour, h, w, 'content'),
              styleMask: await regionMask(run.guidance!.style, r.colour, sh, sw, 'style'),
            })),
          )
        : [{}];
      yield { type: 'scale', scale: plan.index, scales: schedule.length, width: w, height: h, alpha: plan.alpha, learningRate: plan.learningRate, iterations: plan.iterations };
      const steps = optimiseScale({
        extractor,
        content,
        style,
        init,
        plan,
        regions: scaleRegions,
        sampling,
        samplesPerStep: options.samplesPerStep,
        styleDraws: options.styleDraws,
        styleSamplesPerDraw: options.styleSamplesPerDraw,
        pyramidLevels: options.pyramidLevels,
        cosine: { epsilon: options.cosineEpsilon },
        imageAt: (t) => options.previewEvery > 0 && (t + 1) % options.previewEvery === 0,
        readbackLag: run.readbackLag,
      });
      try {
        let lastLoss = NaN;
        for (;;) {
          const next = await steps.next();
          if (next.done) {
            previous = next.value;
            break;
          }
          doneIterations++;
          lastLoss = next.value.loss;
          const elapsedSeconds = (Date.now() - started) / 1000;
          const etaSeconds = (elapsedSeconds / doneIterations) * (totalIterations - doneIterations);
          const { image, ...values } = next.value;
          yield { type: 'step', scale: plan.index, scales: schedule.length, elapsedSeconds, etaSeconds, ...values };
          if (image) {
            const preview = await tensorToImage(image);
            image.dispose();
            yield { type: 'preview', scale: plan.index, iteration: values.iteration, image: preview };
          }
          await yieldToEventLoop();
          throwIfAborted(signal);
        }
        finalLosses.push(lastLoss);
      } finally {
        await steps.return(undefined as never);
        tf.dispose([content, style, init]);
      }
    }
    const image = await tensorToImage(previous!);
    yield { type: 'done', image, seconds: (Date.now() - started) / 1000, seed: options.seed, finalLosses };
    return image;
  } finally {
    previous?.dispose();
    tf.dispose([contentFull, styleFull]);
    extractor.dispose();
  }
}

/** The image a scale starts from (spec §5): style mean + content band, ↑previous + band, or ↑previous at the last scale. */
export function initialImage(plan: ScalePlan, content: tf.Tensor4D, style: tf.Tensor4D, previous?: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = content.shape;
    if (plan.isFirst || !previous) return tf.add(tf.mean(style, [1, 2], true), contentBand(content)) as tf.Tensor4D;
    const upsampled = resizeHalfPixel(previous, [h, w]);
    return plan.isLast ? upsampled : (tf.add(upsampled, contentBand(content)) as tf.Tensor4D);
  });
}
