import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { InvalidImageError, InvalidOptionError } from '../src/errors.js';
import type { RgbaImage } from '../src/image.js';
import type { Locations } from '../src/ops/hypercolumns.js';
import { defaultScaleCount, scaleSchedule } from '../src/strotss/schedule.js';
import {
  gridCandidates,
  gridStrides,
  maskPixels,
  OutputSampler,
  seededSamplingPlan,
  type SamplingPlan,
} from '../src/strotss/sampling.js';
import { randomInt, randomPermutation, seededRandom } from '../src/strotss/random.js';
import { colourHex, findRegions, regionMask } from '../src/strotss/guidance.js';
import { resolveOptions, type StyleTransferOptions } from '../src/strotss/options.js';
import { FEATURE_EXTRACTORS } from '../src/model/presets.js';

// ---------------------------------------------------------------------------------------------
// Helpers

/** Packs RGBA like the guidance code does (0xRRGGBBAA, unsigned). */
const pack = (r: number, g: number, b: number, a = 255) => (((r << 24) | (g << 16) | (b << 8) | a) >>> 0);
const RED = pack(255, 0, 0);
const BLUE = pack(0, 0, 255);
const GREEN = pack(0, 255, 0);

/** A flat-colour image: `colourAt(row, col)` gives the packed RGBA of each pixel. */
function flatImage(width: number, height: number, colourAt: (row: number, col: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const v = colourAt(r, c);
      const p = (r * width + c) * 4;
      data[p] = v >>> 24;
      data[p + 1] = (v >>> 16) & 255;
      data[p + 2] = (v >>> 8) & 255;
      data[p + 3] = v & 255;
    }
  }
  return { width, height, data };
}

/** Row-major disc mask of radius `radius` centred in an H×W image. */
function discMask(height: number, width: number, radius: number): Uint8Array {
  const mask = new Uint8Array(height * width);
  const cy = (height - 1) / 2;
  const cx = (width - 1) / 2;
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      if ((r - cy) ** 2 + (c - cx) ** 2 <= radius * radius) mask[r * width + c] = 1;
    }
  }
  return mask;
}

const keyOf = (r: number, c: number, width: number) => r * width + c;
const keys = (loc: Locations, width: number) => Array.from(loc.rows, (r, i) => keyOf(r, loc.cols[i], width));
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);

// ---------------------------------------------------------------------------------------------
// §4 scale schedule

describe('scaleSchedule (spec §4)', () => {
  it('size 512, w = 1: long sides 64..512, α 16/8/4/2, lr 2e-3 then 1e-3 at the last scale', () => {
    const plans = scaleSchedule({ size: 512, contentWeight: 1, iterations: 250 });
    expect(plans.map((p) => p.index)).toEqual([1, 2, 3, 4]);
    expect(plans.map((p) => p.longSide)).toEqual([64, 128, 256, 512]);
    expect(plans.map((p) => p.alpha)).toEqual([16, 8, 4, 2]);
    expect(plans.map((p) => p.learningRate)).toEqual([2e-3, 2e-3, 2e-3, 1e-3]);
    expect(plans.map((p) => p.iterations)).toEqual([250, 250, 250, 250]);
    expect(plans.map((p) => p.isFirst)).toEqual([true, false, false, false]);
    expect(plans.map((p) => p.isLast)).toEqual([false, false, false, true]);
  });

  it('size 256: three scales 64, 128, 256; the last has lr 1e-3', () => {
    const plans = scaleSchedule({ size: 256, contentWeight: 1, iterations: 7 });
    expect(plans.map((p) => p.longSide)).toEqual([64, 128, 256]);
    expect(plans.map((p) => p.alpha)).toEqual([16, 8, 4]);
    expect(plans.map((p) => p.learningRate)).toEqual([2e-3, 2e-3, 1e-3]);
    expect(plans.map((p) => p.iterations)).toEqual([7, 7, 7]);
    expect(plans.map((p) => [p.isFirst, p.isLast])).toEqual([
      [true, false],
      [false, false],
      [false, true],
    ]);
  });

  it('size 64: one scale that is both first and last, with lr 1e-3 and α 16w', () => {
    const plans = scaleSchedule({ size: 64, contentWeight: 1, iterations: 3 });
    expect(plans).toHaveLength(1);
    expect(plans[0]).toEqual({ index: 1, longSide: 64, alpha: 16, learningRate: 1e-3, iterations: 3, isFirst: true, isLast: true });
  });

  it('w = 0.5 halves every α (α_s = 16w / 2^(s−1))', () => {
    const plans = scaleSchedule({ size: 512, contentWeight: 0.5, iterations: 1 });
    expect(plans.map((p) => p.alpha)).toEqual([8, 4, 2, 1]);
  });

  it('an explicit scale count keeps the output size at the last scale', () => {
    const plans = scaleSchedule({ size: 512, contentWeight: 1, iterations: 1, scales: 2 });
    expect(plans.map((p) => p.longSide)).toEqual([256, 512]);
    expect(plans.map((p) => p.alpha)).toEqual([16, 8]);
    expect(plans.map((p) => p.learningRate)).toEqual([2e-3, 1e-3]);
  });

  it('defaultScaleCount: ⌊log2(size/64)⌋ + 1, at least 1', () => {
    expect([32, 64, 100, 127, 128, 255, 256, 512, 1024].map(defaultScaleCount)).toEqual([1, 1, 1, 1, 2, 2, 3, 4, 5]);
  });
});

// ---------------------------------------------------------------------------------------------
// §8.1 output/content locations

describe('gridStrides / gridCandidates (spec §8.1)', () => {
  // Spec sizes are W×H; the functions take (height, width).
  const cases: Array<{ w: number; h: number; strides: [number, number]; count: number }> = [
    { w: 64, h: 48, strides: [1, 1], count: 3072 },
    { w: 128, h: 96, strides: [1, 1], count: 12288 },
    { w: 256, h: 192, strides: [1, 2], count: 24576 },
    { w: 512, h: 384, strides: [3, 4], count: 16384 },
    { w: 512, h: 512, strides: [4, 4], count: 16384 },
  ];
  for (const { w, h, strides, count } of cases) {
    it(`${w}×${h} → strides (${strides}) and ${count} candidates for every offset`, () => {
      expect(gridStrides(h, w)).toEqual(strides);
      for (let or = 0; or < strides[0]; or++) {
        for (let oc = 0; oc < strides[1]; oc++) {
          const cand = gridCandidates(h, w, strides, [or, oc]);
          expect(cand.rows.length).toBe(count);
          expect(cand.cols.length).toBe(count);
          // Every candidate is on the jittered grid and inside the image.
          for (let k = 0; k < count; k += 97) {
            expect(cand.rows[k] % strides[0]).toBe(or);
            expect(cand.cols[k] % strides[1]).toBe(oc);
            expect(cand.rows[k]).toBeLessThan(h);
            expect(cand.cols[k]).toBeLessThan(w);
          }
        }
      }
    });
  }

  it('lists candidates in column-major order (k → row k mod H, col ⌊k / H⌋ at strides 1)', () => {
    const h = 48;
    const w = 64;
    const cand = gridCandidates(h, w, [1, 1], [0, 0]);
    for (let k = 0; k < h * w; k++) {
      if (cand.rows[k] !== k % h || cand.cols[k] !== Math.floor(k / h)) {
        throw new Error(`candidate ${k} is (${cand.rows[k]}, ${cand.cols[k]}), expected (${k % h}, ${Math.floor(k / h)})`);
      }
    }
  });

  it('column-major with strides and offsets too', () => {
    const cand = gridCandidates(7, 9, [2, 3], [1, 2]);
    // rows 1,3,5 ; cols 2,5,8 → column-major: (1,2),(3,2),(5,2),(1,5),...
    expect(Array.from(cand.rows)).toEqual([1, 3, 5, 1, 3, 5, 1, 3, 5]);
    expect(Array.from(cand.cols)).toEqual([2, 2, 2, 5, 5, 5, 8, 8, 8]);
  });

  it('keeps only candidates inside the mask', () => {
    const h = 32;
    const w = 40;
    const mask = discMask(h, w, 10);
    const cand = gridCandidates(h, w, [1, 1], [0, 0], mask);
    const inside = mask.reduce((a, b) => a + b, 0);
    expect(cand.rows.length).toBe(inside);
    for (let k = 0; k < cand.rows.length; k++) expect(mask[cand.rows[k] * w + cand.cols[k]]).toBe(1);
  });

  it('maskPixels lists every pixel (row-major) or every pixel inside the mask', () => {
    const all = maskPixels(3, 4);
    expect(Array.from(all.rows)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(Array.from(all.cols)).toEqual([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]);
    const mask = Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
    const some = maskPixels(3, 4, mask);
    expect(Array.from(some.rows)).toEqual([0, 1, 2]);
    expect(Array.from(some.cols)).toEqual([1, 3, 0]);
  });
});

describe('OutputSampler (spec §8.1)', () => {
  const h = 64;
  const w = 64;
  const mask = discMask(h, w, 28);
  const candidates = gridCandidates(h, w, [1, 1], [0, 0], mask);
  const candidateKeys = new Set(keys(candidates, w));

  it('paired mode: every sample is a real candidate (row, col) pair', () => {
    const sampler = new OutputSampler(candidates, seededSamplingPlan(11, 'paired'), { scale: 1, region: 0 }, 1024);
    expect(sampler.count).toBe(1024);
    for (let t = 0; t < 10; t++) {
      const loc = sampler.next(t);
      expect(loc.rows.length).toBe(1024);
      const outside = keys(loc, w).filter((k) => !candidateKeys.has(k));
      expect(outside).toEqual([]);
      // Pairs shuffled together: no duplicates within one iteration.
      expect(new Set(keys(loc, w)).size).toBe(1024);
    }
  });

  it('reference mode: rows and columns are shuffled independently, so some samples leave a circular region (~9 %)', () => {
    const sampler = new OutputSampler(candidates, seededSamplingPlan(11, 'reference'), { scale: 1, region: 0 }, 1024);
    let outside = 0;
    let total = 0;
    for (let t = 0; t < 10; t++) {
      const loc = sampler.next(t);
      for (const k of keys(loc, w)) {
        total++;
        if (!candidateKeys.has(k)) outside++;
      }
    }
    const leak = outside / total;
    expect(leak).toBeGreaterThan(0.03);
    expect(leak).toBeLessThan(0.2);
  });

  it('reference mode keeps the row and column multisets (marginals) of the candidates', () => {
    const sampler = new OutputSampler(candidates, seededSamplingPlan(5, 'reference'), { scale: 1, region: 0 }, 1e6);
    expect(sampler.count).toBe(candidates.rows.length);
    const loc = sampler.next(0);
    expect(sorted(loc.rows)).toEqual(sorted(candidates.rows));
    expect(sorted(loc.cols)).toEqual(sorted(candidates.cols));
    // ...but the pairs are not kept: at least one sample is not a candidate pair.
    expect(keys(loc, w).some((k) => !candidateKeys.has(k))).toBe(true);
  });

  it('applies the permutations cumulatively and takes the first min(N, #candidates)', () => {
    const small: Locations = { rows: Int32Array.from([10, 11, 12, 13, 14]), cols: Int32Array.from([20, 21, 22, 23, 24]) };
    const seen: Array<{ scale: number; region: number; iteration: number; count: number }> = [];
    const rotate = (n: number) => Int32Array.from({ length: n }, (_, i) => (i + 1) % n);
    const reverse = (n: number) => Int32Array.from({ length: n }, (_, i) => n - 1 - i);
    const plan: SamplingPlan = {
      gridOffsets: () => [0, 0],
      iterationPermutations: (ctx, count) => {
        seen.push({ scale: ctx.scale, region: ctx.region, iteration: ctx.iteration, count });
        return { rows: rotate(count), cols: reverse(count) };
      },
      styleDraw: (_ctx, pixels) => pixels,
    };
    const sampler = new OutputSampler(small, plan, { scale: 2, region: 1 }, 3);
    expect(sampler.count).toBe(3);
    const first = sampler.next(0);
    expect(Array.from(first.rows)).toEqual([11, 12, 13]);
    expect(Array.from(first.cols)).toEqual([24, 23, 22]);
    const second = sampler.next(1);
    // Cumulative: rows rotated twice; columns reversed twice = original order.
    expect(Array.from(second.rows)).toEqual([12, 13, 14]);
    expect(Array.from(second.cols)).toEqual([20, 21, 22]);
    expect(seen).toEqual([
      { scale: 2, region: 1, iteration: 0, count: 5 },
      { scale: 2, region: 1, iteration: 1, count: 5 },
    ]);
    // The sampler copies its input: the caller's candidate lists are untouched.
    expect(Array.from(small.rows)).toEqual([10, 11, 12, 13, 14]);
  });
});

// ---------------------------------------------------------------------------------------------
// Seeded randomness

describe('seededSamplingPlan', () => {
  const pixels = maskPixels(20, 30);
  const run = (seed: number, mode: 'paired' | 'reference') => {
    const plan = seededSamplingPlan(seed, mode);
    const ctx = { scale: 1, region: 0 };
    return {
      offsets: plan.gridOffsets(ctx, [4, 4]),
      perms: [0, 1, 2].map((iteration) => {
        const p = plan.iterationPermutations({ ...ctx, iteration }, 50);
        return { rows: Array.from(p.rows), cols: Array.from(p.cols) };
      }),
      draw: keys(plan.styleDraw({ ...ctx, draw: 0 }, pixels, 40), 30),
    };
  };

  it('is reproducible for the same seed', () => {
    expect(run(1234, 'paired')).toEqual(run(1234, 'paired'));
    expect(run(1234, 'reference')).toEqual(run(1234, 'reference'));
  });

  it('differs for another seed', () => {
    const a = run(1234, 'paired');
    const b = run(1235, 'paired');
    expect(a.perms).not.toEqual(b.perms);
    expect(a.draw).not.toEqual(b.draw);
  });

  it('paired mode uses one permutation for rows and columns; reference mode two', () => {
    const paired = run(9, 'paired');
    for (const p of paired.perms) expect(p.cols).toEqual(p.rows);
    const reference = run(9, 'reference');
    expect(reference.perms.some((p) => p.cols.join() !== p.rows.join())).toBe(true);
  });

  it('grid offsets lie in [0, stride)', () => {
    const plan = seededSamplingPlan(3);
    for (let i = 0; i < 200; i++) {
      const [r, c] = plan.gridOffsets({ scale: 1, region: 0 }, [3, 4]);
      expect(r).toBeGreaterThanOrEqual(0);
      expect(r).toBeLessThan(3);
      expect(c).toBeGreaterThanOrEqual(0);
      expect(c).toBeLessThan(4);
    }
  });

  it('styleDraw returns `take` distinct pixels, all inside the mask', () => {
    const h = 40;
    const w = 50;
    const mask = discMask(h, w, 15);
    const inMask = maskPixels(h, w, mask);
    const plan = seededSamplingPlan(77);
    const draw = plan.styleDraw({ scale: 1, region: 0, draw: 0 }, inMask, 500);
    expect(draw.rows.length).toBe(500);
    const drawn = keys(draw, w);
    expect(new Set(drawn).size).toBe(500);
    for (const k of drawn) expect(mask[k]).toBe(1);
    // Taking every pixel gives a permutation of the population.
    const all = plan.styleDraw({ scale: 1, region: 0, draw: 1 }, inMask, inMask.rows.length);
    expect(sorted(keys(all, w))).toEqual(sorted(keys(inMask, w)));
    // Two draws of the same plan differ (fresh shuffles).
    const again = plan.styleDraw({ scale: 1, region: 0, draw: 2 }, inMask, 500);
    expect(keys(again, w)).not.toEqual(drawn);
  });
});

describe('seededRandom / randomPermutation', () => {
  it('seededRandom gives floats in [0, 1), roughly uniform over 10 bins', () => {
    const random = seededRandom(42);
    const bins = new Array(10).fill(0);
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const v = random.next();
      if (!(v >= 0 && v < 1)) throw new Error(`draw ${i} is ${v}`);
      bins[Math.floor(v * 10)]++;
    }
    // Expected 10 000 per bin, σ ≈ 95: ±500 is > 5σ.
    for (const b of bins) {
      expect(b).toBeGreaterThan(9500);
      expect(b).toBeLessThan(10500);
    }
  });

  it('is deterministic per seed, and seeds differ', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const sa = Array.from({ length: 20 }, () => a.next());
    const sb = Array.from({ length: 20 }, () => b.next());
    const sc = Array.from({ length: 20 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(new Set(sa).size).toBe(20);
  });

  it('randomInt stays in [0, n)', () => {
    const random = seededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const k = randomInt(random, 7);
      expect(Number.isInteger(k)).toBe(true);
      seen.add(k);
    }
    expect(sorted([...seen])).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('randomPermutation is a permutation of 0..n−1', () => {
    const random = seededRandom(5);
    for (const n of [0, 1, 2, 17, 1000]) {
      const p = randomPermutation(random, n);
      expect(p.length).toBe(n);
      expect(sorted(p)).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('randomPermutation is roughly uniform over the 24 permutations of 4', () => {
    const random = seededRandom(2024);
    const counts = new Map<string, number>();
    const trials = 24_000;
    for (let i = 0; i < trials; i++) {
      const key = Array.from(randomPermutation(random, 4)).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // Expected 1000 each, σ ≈ 31.
    for (const [key, n] of counts) {
      expect(n, key).toBeGreaterThan(850);
      expect(n, key).toBeLessThan(1150);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// §11.1 region guidance

describe('findRegions / regionMask (spec §11.1)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('a style colour is a region only on more than 10 000 pixels; regions are sorted by colour', () => {
    // 200×101 = 20 200 pixels: 10 001 red, 10 000 blue, 199 green.
    let k = 0;
    const style = flatImage(200, 101, () => {
      const i = k++;
      return i < 10_001 ? RED : i < 20_001 ? BLUE : GREEN;
    });
    const content = flatImage(10, 10, () => RED);
    const regions = findRegions({ content, style });
    expect(regions).toEqual([{ colour: RED, stylePixels: 10_001 }]);
    // Lowering the threshold admits the others, in colour order.
    const more = findRegions({ content, style, minRegionPixels: 100 });
    expect(more.map((r) => colourHex(r.colour))).toEqual(['#0000ffff', '#00ff00ff', '#ff0000ff']);
    expect(more.map((r) => r.stylePixels)).toEqual([10_000, 199, 10_001]);
  });

  it('no colour over the threshold → InvalidImageError naming the threshold', () => {
    const style = flatImage(100, 100, (r) => (r < 50 ? RED : BLUE)); // 5000 each
    const content = flatImage(10, 10, () => RED);
    expect(() => findRegions({ content, style })).toThrow(InvalidImageError);
    expect(() => findRegions({ content, style })).toThrow(/10000/);
  });

  it('colours are compared on the full RGBA tuple (alpha included)', () => {
    const translucentRed = pack(255, 0, 0, 128);
    const style = flatImage(200, 120, (r) => (r < 60 ? RED : translucentRed)); // 12 000 each
    const content = flatImage(10, 10, () => RED);
    expect(findRegions({ content, style }).map((r) => r.colour).sort()).toEqual([RED, translucentRed].sort());
  });

  it('resizes the mask to the scale and keeps pixels with value > 0.5', async () => {
    // 160×120 guidance: left half red, right half blue.
    const guide = flatImage(160, 120, (_r, c) => (c < 80 ? RED : BLUE));
    const mask = await regionMask(guide, RED, 24, 32, 'content');
    expect(mask.length).toBe(24 * 32);
    for (let r = 0; r < 24; r++) {
      for (let c = 0; c < 32; c++) expect(mask[r * 32 + c], `(${r},${c})`).toBe(c < 16 ? 1 : 0);
    }
    const blue = await regionMask(guide, BLUE, 24, 32, 'content');
    for (let i = 0; i < blue.length; i++) expect(blue[i]).toBe(1 - mask[i]);
  });

  it('a boundary pixel with coverage exactly 0.5 is outside (strictly > 0.5)', async () => {
    // 4 columns → 2: half-pixel bilinear downsampling by 2 averages column pairs; columns 1,2 red
    // give coverage 0.5 at both output columns → nothing > 0.5 → the region vanishes.
    const guide = flatImage(4, 2, (_r, c) => (c === 1 || c === 2 ? RED : BLUE));
    await expect(regionMask(guide, RED, 1, 2, 'style')).rejects.toThrow(InvalidImageError);
    // Columns 0..2 red: coverage 1 and 0.5 → only the first column is in.
    const wider = flatImage(4, 2, (_r, c) => (c <= 2 ? RED : BLUE));
    expect(Array.from(await regionMask(wider, RED, 1, 2, 'style'))).toEqual([1, 0]);
  });

  it('a colour absent from the guidance (max < 0.1) → the whole image', async () => {
    const guide = flatImage(160, 120, (_r, c) => (c < 80 ? RED : BLUE));
    const mask = await regionMask(guide, GREEN, 12, 16, 'content');
    expect(mask.length).toBe(12 * 16);
    expect(Array.from(mask).every((v) => v === 1)).toBe(true);
  });

  it('a tiny region missed entirely by the resize (max < 0.1) → the whole image', async () => {
    // 160→16 samples source column/row 10·o + 4.5: pixel (0, 0) is never touched.
    const guide = flatImage(160, 120, (r, c) => (r === 0 && c === 0 ? GREEN : RED));
    expect(Array.from(await regionMask(guide, GREEN, 12, 16, 'content')).every((v) => v === 1)).toBe(true);
  });

  it('a tiny region that vanishes (0.1 ≤ max ≤ 0.5) → a clear InvalidImageError', async () => {
    // Pixel (4, 4) gets weight 0.25 at output (0, 0): coverage 0.25, nothing above 0.5.
    const guide = flatImage(160, 120, (r, c) => (r === 4 && c === 4 ? GREEN : RED));
    let error: unknown;
    try {
      await regionMask(guide, GREEN, 12, 16, 'style');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidImageError);
    const message = (error as Error).message;
    expect(message).toContain('#00ff00ff');
    expect(message).toContain('style guidance');
    expect(message).toContain('16×12');
    expect(message).toContain('0.25');
  });

  it('does not leak tensors', async () => {
    const guide = flatImage(160, 120, (_r, c) => (c < 80 ? RED : BLUE));
    const before = tf.memory().numTensors;
    await regionMask(guide, RED, 24, 32, 'content');
    await regionMask(guide, GREEN, 24, 32, 'content');
    expect(tf.memory().numTensors).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// Options

describe('resolveOptions', () => {
  const image: RgbaImage = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
  const base = { content: image, style: image, weights: {} } as StyleTransferOptions;
  const error = (patch: Record<string, unknown>): Error => {
    try {
      resolveOptions({ ...base, ...patch } as StyleTransferOptions);
    } catch (e) {
      return e as Error;
    }
    throw new Error(`resolveOptions accepted ${JSON.stringify(patch)}`);
  };

  it('fills in the defaults', () => {
    const r = resolveOptions({ ...base, seed: 3 });
    expect(r.model).toBe(FEATURE_EXTRACTORS.vgg16);
    expect(r).toMatchObject({
      size: 512,
      contentWeight: 1,
      iterations: 250,
      seed: 3,
      sampler: 'paired',
      previewEvery: 0,
      samplesPerStep: 1024,
      styleDraws: 5,
      styleSamplesPerDraw: 1000,
      pyramidLevels: 5,
    });
    expect(r.scales).toBeUndefined();
    expect(Number.isInteger(resolveOptions(base).seed)).toBe(true);
  });

  it.each([
    [{ size: 0 }, /size is 0/],
    [{ size: 8 }, /size is 8/],
    [{ iterations: 1.5 }, /iterations is 1\.5/],
    [{ iterations: 0 }, /iterations is 0/],
    [{ contentWeight: -1 }, /contentWeight is -1/],
    [{ contentWeight: Number.NaN }, /contentWeight is NaN/],
    [{ sampler: 'x' }, /sampler is 'x'/],
    [{ model: 'vgg99' }, /model is 'vgg99'/],
    [{ model: 'toString' }, /model is 'toString'/],
    [{ seed: 0.5 }, /seed is 0\.5/],
    [{ scales: -2 }, /scales is -2/],
    [{ samplesPerStep: 0 }, /samplesPerStep is 0/],
    [{ cosineEpsilon: -1 }, /cosineEpsilon is -1/],
  ] as Array<[Record<string, unknown>, RegExp]>)('rejects %o with InvalidOptionError naming the value', (patch, message) => {
    const e = error(patch);
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as InvalidOptionError).code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(message);
  });

  it('the model error lists the valid models', () => {
    expect(error({ model: 'vgg99' }).message).toContain('vgg16');
    expect(error({ model: 'vgg99' }).message).toContain('vgg19-caffe');
  });
});
