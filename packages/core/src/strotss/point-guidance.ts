import { InvalidOptionError, type Wording } from '../errors.js';
import type { RgbaImage } from '../image.js';
import type { Locations } from '../ops/hypercolumns.js';

/** A pixel position `[x, y]` (x = column, y = row, from the top-left corner) in an input image's own pixels. */
export type PixelPoint = readonly [number, number];

/** One correspondence: the output at `content` (content-image pixels) should look like the style at `style`. */
export interface PointPair {
  content: PixelPoint;
  style: PixelPoint;
}

/**
 * Point guidance (spec §11.2, the paper's formulation): each pair pulls the output's hypercolumn at
 * the content point towards the style's hypercolumn at the style point, with weight β.
 */
export interface PointGuidance {
  pairs: readonly PointPair[];
  /** β: the weight of a guided pair's cost (the paper: 5). */
  weight?: number;
  /** Add the paper's 8 neighbours around each point, spaced 20 px at 512 px (default true). */
  neighbours?: boolean;
}

/** The paper's β (spec §11.1/§11.2). */
export const DEFAULT_POINT_WEIGHT = 5;

/** The paper's neighbour spacing: 20 px in a 512 px output (spec §11.2). */
const NEIGHBOUR_SPACING_AT_512 = 20;

/** The guided locations of one scale: output locations and the style locations paired with them, row for row. */
export interface ScalePoints {
  output: Locations;
  style: Locations;
  weight: number;
}

function outsideError(pair: number, pairs: number, what: 'content' | 'style', point: PixelPoint, image: RgbaImage): InvalidOptionError {
  const shown = `(${point.join(', ')})`;
  return new InvalidOptionError(
    (w: Wording) =>
      `Point pair ${pair + 1} of ${pairs}: the ${what} point ${shown} lies outside the ${w.input(what, `${what} image`)} ` +
      `(${image.width}×${image.height}); x must be in 0…${image.width - 1} and y in 0…${image.height - 1}, in that image's own pixels.`,
    { details: { option: 'points', value: shown } },
  );
}

/** Throws InvalidOptionError when a pair is malformed or a point lies outside its image, naming the pair, the point and the image size. */
export function checkPointGuidance(points: PointGuidance, content: RgbaImage, style: RgbaImage): void {
  const pairs = points?.pairs;
  if (!Array.isArray(pairs) || pairs.length === 0) {
    throw new InvalidOptionError((w) => `${w.option('points') ?? 'points'} has no pairs; give at least one {content: [x, y], style: [x, y]}.`, {
      details: { option: 'points' },
    });
  }
  const weight = points.weight ?? DEFAULT_POINT_WEIGHT;
  if (!(Number.isFinite(weight) && weight > 0)) {
    throw new InvalidOptionError((w) => `${w.option('points.weight') ?? 'points.weight'} is ${weight}; it must be a number > 0 (the paper's β is 5).`, {
      details: { option: 'points.weight', value: weight },
    });
  }
  pairs.forEach((pair, i) => {
    for (const [what, image] of [['content', content], ['style', style]] as const) {
      const p = pair?.[what];
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw new InvalidOptionError(`Point pair ${i + 1} of ${pairs.length}: the ${what} point is ${JSON.stringify(p)}; it must be [x, y] in pixels.`, {
          details: { option: 'points', value: p },
        });
      }
      const [x, y] = p;
      if (x < 0 || y < 0 || x > image.width - 1 || y > image.height - 1) throw outsideError(i, pairs.length, what, [x, y], image);
    }
  });
}

/** Returns the pixel of an image `height × width` at this scale nearest to `point` given in the original `fullWidth × fullHeight` pixels. */
function atScale(point: PixelPoint, full: { width: number; height: number }, height: number, width: number): [number, number] {
  // Pixel centres map onto pixel centres (the half-pixel convention of the resizes, spec §3.2).
  const col = Math.round(((point[0] + 0.5) * width) / full.width - 0.5);
  const row = Math.round(((point[1] + 0.5) * height) / full.height - 0.5);
  return [Math.min(height - 1, Math.max(0, row)), Math.min(width - 1, Math.max(0, col))];
}

/**
 * The guided locations at one scale (content/output `h × w`, style `sh × sw`): each pair's points,
 * and with `neighbours` the 8 around them on a grid spaced 20 px per 512 px of the long side (at
 * least 1 px); a neighbour pair is kept when both of its points lie inside their images.
 */
export function pointsAtScale(
  points: PointGuidance,
  content: { width: number; height: number },
  style: { width: number; height: number },
  [h, w]: readonly [number, number],
  [sh, sw]: readonly [number, number],
): ScalePoints {
  const spacing = Math.max(1, Math.round((NEIGHBOUR_SPACING_AT_512 * Math.max(h, w)) / 512));
  const offsets = points.neighbours === false ? [0] : [-spacing, 0, spacing];
  const out = { rows: [] as number[], cols: [] as number[] };
  const sty = { rows: [] as number[], cols: [] as number[] };
  for (const pair of points.pairs) {
    const [r, c] = atScale(pair.content, content, h, w);
    const [sr, sc] = atScale(pair.style, style, sh, sw);
    for (const dr of offsets) {
      for (const dc of offsets) {
        if (r + dr < 0 || r + dr >= h || c + dc < 0 || c + dc >= w) continue;
        if (sr + dr < 0 || sr + dr >= sh || sc + dc < 0 || sc + dc >= sw) continue;
        out.rows.push(r + dr), out.cols.push(c + dc);
        sty.rows.push(sr + dr), sty.cols.push(sc + dc);
      }
    }
  }
  return {
    output: { rows: Int32Array.from(out.rows), cols: Int32Array.from(out.cols) },
    style: { rows: Int32Array.from(sty.rows), cols: Int32Array.from(sty.cols) },
    weight: points.weight ?? DEFAULT_POINT_WEIGHT,
  };
}
