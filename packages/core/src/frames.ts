import { StrotssError, StyleTransferAbortError, type Wording } from './errors.js';
import type { RgbaImage } from './image.js';
import { stylize, type StyleTransferJob } from './job.js';
import type { StyleTransferOptions } from './strotss/options.js';

/** One frame of a sequence: its image and, for messages, a name (e.g. its file). */
export interface Frame {
  image: RgbaImage;
  name?: string;
}

/** Options of {@link stylizeFrames}: a job's options, with frames in place of one content image. */
export interface FramesOptions extends Omit<StyleTransferOptions, 'content' | 'init' | 'resume' | 'checkpointEvery' | 'checkpointOnCancel'> {
  /** The frames, in playing order (read one at a time). */
  frames: Iterable<Frame> | AsyncIterable<Frame>;
  /**
   * `true` (default): each frame starts from the previous frame's result, so the clip stays
   * temporally stable (docs/guide/frames.md); `false`: every frame starts from the style's mean colour.
   */
  chain?: boolean;
  /** Called with each frame's job as it starts (for progress and previews). */
  onFrame?: (index: number, job: StyleTransferJob, frame: Frame) => void;
}

/** One stylised frame. */
export interface FrameResult {
  index: number;
  name?: string;
  image: RgbaImage;
  seconds: number;
  seed: number;
}

/** An error of one frame of a sequence: names the frame; `cause` is the frame's own error. */
export class FrameError extends StrotssError {
  readonly frame: number;
  constructor(index: number, name: string | undefined, cause: unknown) {
    const what = `Frame ${index + 1}${name ? ` (${name})` : ''}`;
    const inner = (w: Wording) => (cause instanceof StrotssError ? cause.describe(w) : String((cause as Error)?.message ?? cause));
    super('FRAME', (w) => `${what}: ${inner(w)}`, { cause, details: { ...(cause instanceof StrotssError ? cause.details : {}), value: name ?? index } });
    this.frame = index;
  }
}

/**
 * Stylises `frames` in order, one job each, yielding each result as it is done. Every frame uses
 * the same seed (the given one, or one drawn here), so each samples the same way; with `chain`
 * each starts from the previous result (spec §5's first-scale start replaced by it). A failing frame
 * throws {@link FrameError}; a cancel throws StyleTransferAbortError.
 */
export async function* stylizeFrames(options: FramesOptions): AsyncGenerator<FrameResult, void, void> {
  const { frames, chain = true, onFrame, ...jobOptions } = options;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  // A loader runs once, not once per frame.
  const weights = typeof options.weights === 'function' ? await options.weights(() => undefined) : options.weights;
  let previous: RgbaImage | undefined;
  let index = 0;
  for await (const frame of frames) {
    if (options.signal?.aborted) throw new StyleTransferAbortError();
    const started = Date.now();
    const job = stylize({ ...jobOptions, weights, seed, content: frame.image, init: chain ? previous : undefined });
    onFrame?.(index, job, frame);
    let image: RgbaImage;
    try {
      image = await job.result;
    } catch (e) {
      if (e instanceof StyleTransferAbortError) throw e;
      throw new FrameError(index, frame.name, e);
    }
    yield { index, name: frame.name, image, seconds: (Date.now() - started) / 1000, seed };
    previous = image;
    index++;
  }
}

/** Mean absolute difference of two same-sized RGBA images over their RGB channels, in 8-bit levels (0–255). */
export function meanAbsoluteDifference(a: RgbaImage, b: RgbaImage): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new RangeError(`images differ in size: ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  let sum = 0;
  for (let i = 0; i < a.data.length; i += 4) {
    sum += Math.abs(a.data[i] - b.data[i]) + Math.abs(a.data[i + 1] - b.data[i + 1]) + Math.abs(a.data[i + 2] - b.data[i + 2]);
  }
  return sum / ((a.data.length / 4) * 3);
}

/** The temporal-stability figure of a clip: the mean over consecutive pairs of their mean absolute difference (0–255). */
export function consecutiveDifference(frames: readonly RgbaImage[]): number {
  if (frames.length < 2) return 0;
  let sum = 0;
  for (let k = 1; k < frames.length; k++) sum += meanAbsoluteDifference(frames[k - 1], frames[k]);
  return sum / (frames.length - 1);
}
