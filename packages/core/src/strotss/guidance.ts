import { tf } from '../tfjs.js';
import { InvalidImageError, type Wording } from '../errors.js';
import { assertRgbaImage, type RgbaImage } from '../image.js';
import type { StyleTransferWarning } from './stylize.js';
import { resizeHalfPixel } from '../ops/resize.js';

/** Region guidance (spec §11.1, the reference's `-gr`): two flat-colour masks, one per image. */
export interface RegionGuidance {
  content: RgbaImage;
  style: RgbaImage;
  /** A style-guidance colour becomes a region when it covers more than this many pixels (reference: 10 000). */
  minRegionPixels?: number;
}

/** One region: its colour (RGBA, 0xRRGGBBAA) and its pixel count in the style guidance. */
export interface Region {
  colour: number;
  stylePixels: number;
}

const packColour = (d: Uint8ClampedArray, p: number) => ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;

/** Hex form of a packed colour, for messages. */
export function colourHex(colour: number): string {
  return `#${colour.toString(16).padStart(8, '0')}`;
}

/** Returns the `limit` most frequent colours of `counts` as "#rrggbbaa (n px)", largest first, saying how many more there are. */
export function describeColours(counts: ReadonlyMap<number, number>, limit = 5): string {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const shown = sorted.slice(0, limit).map(([c, n]) => `${colourHex(c)} (${n} px)`);
  const more = sorted.length - shown.length;
  return shown.join(', ') + (more > 0 ? ` and ${more} other colour${more > 1 ? 's' : ''}` : '');
}

/** The regions of a guidance pair: every style-guidance colour on more than `minRegionPixels` pixels (spec §11.1). */
export function findRegions(guidance: RegionGuidance): Region[] {
  const threshold = guidance.minRegionPixels ?? 10_000;
  const counts = colourCounts(guidance.style);
  const regions = [...counts.entries()]
    .filter(([, n]) => n > threshold)
    .map(([colour, stylePixels]) => ({ colour, stylePixels }))
    .sort((a, b) => a.colour - b.colour);
  if (regions.length === 0) {
    throw new InvalidImageError(
      (w) =>
        `The ${w.input('guidance.style', 'style guidance')} has no colour on more than ${threshold} pixels, so it defines no region ` +
        `(its colours: ${describeColours(counts)}); paint flat colours over large areas` +
        (w.option('guidance.minRegionPixels') ? `, or lower ${w.option('guidance.minRegionPixels')}.` : '.'),
      { details: { option: 'guidance.style', limit: threshold } },
    );
  }
  return regions;
}

/** Colours (packed RGBA) present in an image, with their pixel counts. */
function colourCounts(image: RgbaImage): Map<number, number> {
  const counts = new Map<number, number>();
  for (let p = 0; p < image.data.length; p += 4) {
    const c = packColour(image.data, p);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  return counts;
}

/** Relative difference of two aspect ratios above which a mask does not belong to its image. */
const ASPECT_TOLERANCE = 0.02;

/**
 * Validates a guidance pair against its images (spec §11.1) and finds its regions. Throws when a
 * mask's aspect ratio differs from its image's, or when the content mask has none of the regions'
 * colours (the guidance would do nothing); warns when only some region colours are missing there
 * (those style regions then apply to the whole output, as in the reference).
 */
export function checkGuidance(
  guidance: RegionGuidance,
  content: RgbaImage,
  style: RgbaImage,
): { regions: Region[]; warnings: StyleTransferWarning[] } {
  for (const [key, mask, image] of [['content', guidance.content, content], ['style', guidance.style, style]] as const) {
    assertRgbaImage(mask, `${key} guidance`, `guidance.${key}`);
    const ratio = mask.width / mask.height;
    const want = image.width / image.height;
    if (Math.abs(ratio - want) / want > ASPECT_TOLERANCE) {
      throw new InvalidImageError(
        (w: Wording) =>
          `The ${w.input(`guidance.${key}`, `${key} guidance`)} is ${mask.width}×${mask.height} but the ${w.input(key, `${key} image`)} is ` +
          `${image.width}×${image.height}: a mask must have the aspect ratio of its image (${ratio.toFixed(3)} vs ${want.toFixed(3)}). ` +
          'Draw it over the image at the same size.',
        { details: { option: `guidance.${key}`, value: `${mask.width}×${mask.height}` } },
      );
    }
  }
  const regions = findRegions(guidance);
  const inContent = colourCounts(guidance.content);
  const missing = regions.filter((r) => !inContent.has(r.colour));
  if (missing.length === regions.length) {
    throw new InvalidImageError(
      (w: Wording) =>
        `The ${w.input('guidance.content', 'content guidance')} has none of the region colours of the ` +
        `${w.input('guidance.style', 'style guidance')} (${regions.map((r) => colourHex(r.colour)).join(', ')}); its main colours are ` +
        `${describeColours(inContent)}. Paint both masks with the same flat colours (lossless PNG: JPEG edges change colours).`,
      { details: { option: 'guidance.content' } },
    );
  }
  const warnings: StyleTransferWarning[] = missing.map((r) => ({
    type: 'warning',
    code: 'GUIDANCE_COLOUR_MISSING',
    message:
      `Region ${colourHex(r.colour)} of the style guidance (${r.stylePixels} px) does not occur in the content guidance, ` +
      `whose colours are ${describeColours(inContent)}: as in the reference, that style region then applies to the whole output.`,
    details: { option: 'guidance.content', value: colourHex(r.colour) },
  }));
  return { regions, warnings };
}

/**
 * The mask of `colour` in `guide`, resized (half-pixel bilinear) to `height × width` and
 * thresholded as the reference does: max < 0.1 → the whole image; else value > 0.5 (spec §11.1).
 */
export async function regionMask(guide: RgbaImage, colour: number, height: number, width: number, what: 'content' | 'style'): Promise<Uint8Array> {
  const exact = new Float32Array(guide.width * guide.height);
  for (let i = 0, p = 0; i < exact.length; i++, p += 4) exact[i] = packColour(guide.data, p) === colour ? 1 : 0;
  // Read back asynchronously: WebGPU in Node has no synchronous readback.
  const resizedTensor = tf.tidy(() => resizeHalfPixel(tf.tensor4d(exact, [1, guide.height, guide.width, 1]), [height, width]));
  const resized = (await resizedTensor.data()) as Float32Array;
  resizedTensor.dispose();
  let max = 0;
  for (const v of resized) max = Math.max(max, v);
  const mask = new Uint8Array(height * width);
  if (max < 0.1) return mask.fill(1);
  let count = 0;
  for (let i = 0; i < mask.length; i++) if (resized[i] > 0.5) mask[i] = 1, count++;
  if (count === 0) {
    const native = exact.reduce((n, v) => n + v, 0);
    throw new InvalidImageError(
      (w: Wording) =>
        `Region ${colourHex(colour)} of the ${w.input(`guidance.${what}`, `${what} guidance`)} (${native} of its ${guide.width}×${guide.height} px) ` +
        `is empty at the scale of ${width}×${height} px (its largest coverage there is ${max.toFixed(2)}, a pixel needs more than 0.5): make that region larger or merge it into a neighbour, ` +
        `or start at a larger first scale (fewer ${w.option('scales') ?? 'scales'}).`,
      { details: { option: `guidance.${what}`, value: colourHex(colour), limit: width } },
    );
  }
  return mask;
}
