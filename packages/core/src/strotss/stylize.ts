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
import { checkPointGuidance, pointsAtScale, type PointGuidance } from './point-guidance.js';
import { optimiseScale, type ScaleRegion, type ScaleStyle, type StepValues } from './run-scale.js';
import { normaliseStyles, type StyleInput } from './styles.js';
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
  const styles = normaliseStyles(run.style);
  validateInputs(run.content, styles.map((s) => s.image), schedule, 2 ** pools);
  for (const warning of inputWarnings(run.content, styles.map((s) => s.image), schedule)) yield warning;
  checkGuidanceInputs(run, styles.length);
  const guided = run.guidance ? checkGuidance(run.guidance, run.content, styles[0].image) : null;
  for (const warning of guided?.warnings ?? []) yield warning;
  const regions = guided?.regions ?? null;
  const sampling = run.samplingPlan ?? seededSamplingPlan(options.seed, options.sampler);
  const extractor = new VggFeatureExtractor(options.model, run.weights);
  const inputs = inputTensors(run.content, styles, options.preserveColor);
  const { contentFull } = inputs;
  let previous: tf.Tensor4D | undefined;
  const finalLosses: number[] = [];
  const totalIterations = schedule.reduce((k, s) => k + s.iterations, 0);
  let doneIterations = 0;
  try {
    for (const plan of schedule) {
      throwIfAborted(signal);
      const [h, w] = scaledSize(run.content.height, run.content.width, plan.longSide);
      const style: ScaleStyle[] = inputs.styles.map(({ tensor, image, weight }) => ({
        image: resizeHalfPixel(tensor, scaledSize(image.height, image.width, plan.longSide)),
        weight,
      }));
      const [, sh, sw] = style[0].image.shape;
      const content = resizeHalfPixel(contentFull, [h, w]);
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
        points: run.points ? pointsAtScale(run.points, run.content, styles[0].image, [h, w], [sh, sw]) : undefined,
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
            const preview = await inputs.finish(image);
            yield { type: 'preview', scale: plan.index, iteration: values.iteration, image: preview };
          }
          await yieldToEventLoop();
          throwIfAborted(signal);
        }
        finalLosses.push(lastLoss);
      } finally {
        await steps.return(undefined as never);
        tf.dispose([content, init, ...style.map((s) => s.image)]);
      }
    }
    const image = await inputs.finish(previous!);
    yield { type: 'done', image, seconds: (Date.now() - started) / 1000, seed: options.seed, finalLosses };
    return image;
  } finally {
    previous?.dispose();
    inputs.dispose();
    extractor.dispose();
  }
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
  /** Reads an optimised image `[1,h,w,3]` back as the output (and disposes it): with preserveColor, its luminance with the content's chroma. */
  finish(x: tf.Tensor4D): Promise<RgbaImage>;
  dispose(): void;
}

/**
 * The input tensors. With `preserveColor` (luminance-only transfer) the optimisation sees the content
 * and the styles in grey, and {@link InputTensors.finish} puts the content's chroma (YIQ's I and Q,
 * resized half-pixel to the output) back under the output's luminance.
 */
function inputTensors(content: RgbaImage, styles: readonly { image: RgbaImage; weight: number }[], preserveColor: boolean): InputTensors {
  const colourContent = imageToTensor(content);
  const maybeGrey = (t: tf.Tensor4D) => {
    if (!preserveColor) return t;
    const grey = greyscale(t);
    t.dispose();
    return grey;
  };
  const contentFull = preserveColor ? greyscale(colourContent) : colourContent;
  const tensors = styles.map((s) => ({ tensor: maybeGrey(imageToTensor(s.image)), image: s.image, weight: s.weight }));
  return {
    contentFull,
    styles: tensors,
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
      tf.dispose([contentFull, ...tensors.map((t) => t.tensor)]);
      if (colourContent !== contentFull) colourContent.dispose();
    },
  };
}

/**
 * The image a scale starts from (spec §5): style mean + content band, ↑previous + band, or ↑previous
 * at the last scale. With several style images, the mean is their means weighted by their shares.
 */
export function initialImage(plan: ScalePlan, content: tf.Tensor4D, style: tf.Tensor4D | readonly ScaleStyle[], previous?: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = content.shape;
    const styles = style instanceof tf.Tensor ? [{ image: style, weight: 1 }] : style;
    const styleMean = () => tf.addN(styles.map((s) => tf.mul(tf.mean(s.image, [1, 2], true), s.weight)));
    if (plan.isFirst || !previous) return tf.add(styleMean(), contentBand(content)) as tf.Tensor4D;
    const upsampled = resizeHalfPixel(previous, [h, w]);
    return plan.isLast ? upsampled : (tf.add(upsampled, contentBand(content)) as tf.Tensor4D);
  });
}
