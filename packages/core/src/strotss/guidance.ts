import { tf } from '../tfjs.js';
import { InvalidImageError } from '../errors.js';
import type { RgbaImage } from '../image.js';
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

/** The regions of a guidance pair: every style-guidance colour on more than `minRegionPixels` pixels (spec §11.1). */
export function findRegions(guidance: RegionGuidance): Region[] {
  const threshold = guidance.minRegionPixels ?? 10_000;
  const counts = new Map<number, number>();
  const d = guidance.style.data;
  for (let p = 0; p < d.length; p += 4) {
    const c = packColour(d, p);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const regions = [...counts.entries()]
    .filter(([, n]) => n > threshold)
    .map(([colour, stylePixels]) => ({ colour, stylePixels }))
    .sort((a, b) => a.colour - b.colour);
  if (regions.length === 0) {
    throw new InvalidImageError(
      `The style guidance has no colour on more than ${threshold} pixels, so it defines no region; ` +
        'use flat colours over large areas, or lower minRegionPixels.',
    );
  }
  return regions;
}

/**
 * The mask of `colour` in `guide`, resized (half-pixel bilinear) to `height × width` and
 * thresholded as the reference does: max < 0.1 → the whole image; else value > 0.5 (spec §11.1).
 */
export async function regionMask(guide: RgbaImage, colour: number, height: number, width: number, what: string): Promise<Uint8Array> {
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
    throw new InvalidImageError(
      `Region ${colourHex(colour)} of the ${what} guidance vanishes at ${width}×${height} (its largest coverage is ${max.toFixed(2)}); ` +
        'make that region larger or merge it into a neighbour.',
    );
  }
  return mask;
}
