import type { Locations } from '../ops/hypercolumns.js';
import { randomInt, randomPermutation, seededRandom, type RandomState } from './random.js';

/** How output/content locations are reshuffled each iteration (spec §8.1). */
export type SamplerMode = 'paired' | 'reference';

/** Where a random choice is made: scale (1-based), region index and, per iteration, its number. */
export interface SamplingContext {
  scale: number;
  region: number;
}

/**
 * Every random choice of a run, behind one interface so the reference's own choices can be
 * injected for parity tests (spec §13). The default is {@link seededSamplingPlan}.
 */
export interface SamplingPlan {
  /** Grid offsets (row, col), each in [0, stride) (spec §8.1), drawn once per scale and region. */
  gridOffsets(ctx: SamplingContext, strides: readonly [number, number]): [number, number];
  /**
   * Permutations applied to the candidate row list and column list before iteration
   * `iteration` (cumulative: rows ← rows[perm]). Equal permutations shuffle (row, col) pairs
   * together; independent ones are the reference's behaviour.
   */
  iterationPermutations(ctx: SamplingContext & { iteration: number }, count: number): { rows: Int32Array; cols: Int32Array };
  /**
   * Style sample locations of draw `draw` (0..4): `take` distinct pixels out of `pixels` (spec §8.3);
   * `image` is the style image's index when there are several (absent for the first).
   */
  styleDraw(ctx: SamplingContext & { draw: number; image?: number }, pixels: Locations, take: number): Locations;
  /** Where the plan's random sequence stands; absent for plans that cannot be checkpointed (injected choices). */
  getRandomState?(): RandomState;
  /** Moves the plan's random sequence to `state` (resume from a checkpoint). */
  setRandomState?(state: Readonly<RandomState>): void;
}

/** The random choices of a seeded run; `mode` says whether rows and columns are shuffled together. */
export function seededSamplingPlan(seed: number, mode: SamplerMode = 'paired'): SamplingPlan {
  const random = seededRandom(seed);
  return {
    getRandomState: () => random.getState(),
    setRandomState: (state) => random.setState(state),
    gridOffsets: (_ctx, [sr, sc]) => [randomInt(random, sr), randomInt(random, sc)],
    iterationPermutations: (_ctx, count) => {
      const rows = randomPermutation(random, count);
      return { rows, cols: mode === 'paired' ? rows : randomPermutation(random, count) };
    },
    styleDraw: (_ctx, pixels, take) => {
      const order = randomPermutation(random, pixels.rows.length);
      return pickLocations(pixels, order.subarray(0, take));
    },
  };
}

/** Locations at the given indices. */
export function pickLocations(from: Locations, indices: ArrayLike<number>): Locations {
  const rows = new Int32Array(indices.length);
  const cols = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    rows[i] = from.rows[indices[i]];
    cols[i] = from.cols[indices[i]];
  }
  return { rows, cols };
}

/** Grid strides (row, col) for an H×W image: q = ⌊HW/128²⌋, (max(⌊√q⌋,1), max(⌈√q⌉,1)) (spec §8.1). */
export function gridStrides(height: number, width: number): [number, number] {
  const q = Math.floor((height * width) / 16384);
  return [Math.max(Math.floor(Math.sqrt(q)), 1), Math.max(Math.ceil(Math.sqrt(q)), 1)];
}

/**
 * Candidate locations of the jittered grid inside `mask` (row-major H×W, or all pixels when
 * absent), in the reference's column-major order (spec §8.1).
 */
export function gridCandidates(
  height: number,
  width: number,
  strides: readonly [number, number],
  offsets: readonly [number, number],
  mask?: Uint8Array,
): Locations {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let c = offsets[1]; c < width; c += strides[1]) {
    for (let r = offsets[0]; r < height; r += strides[0]) {
      if (mask && !mask[r * width + c]) continue;
      rows.push(r);
      cols.push(c);
    }
  }
  return { rows: Int32Array.from(rows), cols: Int32Array.from(cols) };
}

/** All pixels inside `mask` (or all pixels), row-major: the population style samples are drawn from. */
export function maskPixels(height: number, width: number, mask?: Uint8Array): Locations {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if (mask && !mask[r * width + c]) continue;
      rows.push(r);
      cols.push(c);
    }
  }
  return { rows: Int32Array.from(rows), cols: Int32Array.from(cols) };
}

/** The candidate lists of one region, reshuffled in place before every iteration (spec §8.1). */
export class OutputSampler {
  private rows: Int32Array;
  private cols: Int32Array;
  readonly count: number;

  constructor(
    candidates: Locations,
    private readonly plan: SamplingPlan,
    private readonly ctx: SamplingContext,
    readonly samplesPerStep: number,
  ) {
    this.rows = candidates.rows.slice();
    this.cols = candidates.cols.slice();
    this.count = Math.min(samplesPerStep, this.rows.length);
  }

  /** Applies this iteration's permutations and returns its first min(N, #candidates) locations. */
  next(iteration: number): Locations {
    const perms = this.plan.iterationPermutations({ ...this.ctx, iteration }, this.rows.length);
    this.rows = applyPermutation(this.rows, perms.rows);
    this.cols = applyPermutation(this.cols, perms.cols);
    return { rows: this.rows.slice(0, this.count), cols: this.cols.slice(0, this.count) };
  }
}

function applyPermutation(values: Int32Array, perm: Int32Array): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < perm.length; i++) out[i] = values[perm[i]];
  return out;
}
