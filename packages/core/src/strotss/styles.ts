import { InvalidOptionError } from '../errors.js';
import { assertRgbaImage, type RgbaImage } from '../image.js';

/** One of several style images and its share of the style samples (any positive number; shares are normalised). */
export interface WeightedStyle {
  image: RgbaImage;
  weight: number;
}

/** What the `style` option takes: one image, or several with weights. */
export type StyleInput = RgbaImage | readonly WeightedStyle[];

/** True when `style` is a list of weighted styles rather than one image. */
export function isStyleList(style: StyleInput): style is readonly WeightedStyle[] {
  return Array.isArray(style);
}

/**
 * Returns the style images with weights normalised to sum to 1 (one image: weight 1); throws
 * InvalidOptionError for an empty list or a weight that is not a positive finite number, and
 * InvalidImageError for a malformed image (naming its index).
 */
export function normaliseStyles(style: StyleInput): WeightedStyle[] {
  if (!isStyleList(style)) return [{ image: style, weight: 1 }];
  if (style.length === 0) {
    throw new InvalidOptionError((w) => `${w.option('style') ?? 'style'} is an empty list; give one image, or at least one {image, weight}.`, {
      details: { option: 'style', value: [] },
    });
  }
  style.forEach((s, i) => {
    if (typeof s?.weight !== 'number' || !Number.isFinite(s.weight) || s.weight <= 0) {
      throw new InvalidOptionError(
        (w) =>
          `The weight of style image ${i + 1} of ${style.length} is ${String(s?.weight)}; it must be a number > 0 ` +
          `(weights are shares of the style samples, e.g. 0.7 and 0.3${w.option('styleWeights') ? `: ${w.option('styleWeights')} 0.7,0.3` : ''}).`,
        { details: { option: 'styleWeights', value: s?.weight } },
      );
    }
    assertRgbaImage(s.image, `style image ${i + 1}`, i === 0 ? 'style' : `style.${i}`);
  });
  const total = style.reduce((sum, s) => sum + s.weight, 0);
  return style.map((s) => ({ image: s.image, weight: s.weight / total }));
}

/**
 * Splits `total` samples across images in proportion to `weights` (summing to 1) by the largest-remainder
 * method: each gets ⌊total·w⌋, and the samples left over go to the largest fractional parts (ties: the
 * earlier image). The counts always sum to `total`.
 */
export function splitByWeight(total: number, weights: readonly number[]): number[] {
  const exact = weights.map((w) => total * w);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, rest: e - Math.floor(e) })).sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k].i]++;
  return counts;
}
