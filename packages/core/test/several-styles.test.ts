// Several style images with weights: the largest-remainder split, validation, the sampler's counts
// per image in a run, and a run with two styles.
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend } from '../src/backend.js';
import { InvalidImageError, InvalidOptionError } from '../src/errors.js';
import { stylize } from '../src/job.js';
import { seededSamplingPlan, type SamplingPlan } from '../src/strotss/sampling.js';
import { normaliseStyles, splitByWeight } from '../src/strotss/styles.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

describe('splitByWeight (largest remainder)', () => {
  it('gives each image its share, the counts summing to the total', () => {
    expect(splitByWeight(1000, [0.7, 0.3])).toEqual([700, 300]);
    expect(splitByWeight(1000, [1 / 3, 1 / 3, 1 / 3])).toEqual([334, 333, 333]);
    expect(splitByWeight(5, [0.5, 0.5])).toEqual([3, 2]);
    expect(splitByWeight(10, [0.05, 0.9, 0.05])).toEqual([1, 9, 0]);
    expect(splitByWeight(1000, [1])).toEqual([1000]);
    for (let k = 1; k < 40; k++) {
      const raw = [k % 7 + 1, (k * 3) % 5 + 1, k % 2 + 0.5];
      const sum = raw.reduce((a, b) => a + b);
      const counts = splitByWeight(997, raw.map((w) => w / sum));
      expect(counts.reduce((a, b) => a + b)).toBe(997);
      counts.forEach((c, i) => expect(Math.abs(c - (997 * raw[i]) / sum)).toBeLessThan(1));
    }
  });
});

describe('normaliseStyles', () => {
  const a = patternImage(8, 8, 1);
  it('normalises the weights to sum to 1 and takes one image as weight 1', () => {
    expect(normaliseStyles(a)).toEqual([{ image: a, weight: 1 }]);
    expect(normaliseStyles([{ image: a, weight: 7 }, { image: a, weight: 3 }]).map((s) => s.weight)).toEqual([0.7, 0.3]);
  });
  it('refuses an empty list, and a weight that is not a positive number, naming the image', () => {
    expect(() => normaliseStyles([])).toThrow(/style is an empty list/);
    for (const bad of [0, -1, Number.NaN, Infinity]) {
      const e = (() => {
        try {
          normaliseStyles([{ image: a, weight: 1 }, { image: a, weight: bad }]);
        } catch (error) {
          return error as InvalidOptionError;
        }
      })();
      expect(e).toBeInstanceOf(InvalidOptionError);
      expect(e!.message).toContain(`The weight of style image 2 of 2 is ${bad}; it must be a number > 0`);
      expect(e!.details).toMatchObject({ option: 'styleWeights', value: bad });
    }
    expect(() => normaliseStyles([{ image: a, weight: 1 }, { image: { width: 2, height: 2, data: new Uint8ClampedArray(3) }, weight: 1 }])).toThrow(
      InvalidImageError,
    );
  });
});

describe('stylize() with several style images', () => {
  beforeAll(() => registerBackend(cpu));
  const content = patternImage(24, 18, 1);
  const [s1, s2] = [patternImage(20, 20, 40), patternImage(30, 20, 90)];
  const base = { content, weights: seededVggWeights(3), size: 24, scales: 1, iterations: 2, samplesPerStep: 32, styleDraws: 2, styleSamplesPerDraw: 40 };

  /** A seeded plan that records how many style pixels each draw takes from which image (and of how many). */
  function recordingPlan(): { plan: SamplingPlan; takes: { image: number; draw: number; take: number; of: number }[] } {
    const inner = seededSamplingPlan(9);
    const takes: { image: number; draw: number; take: number; of: number }[] = [];
    const plan: SamplingPlan = {
      ...inner,
      styleDraw: (ctx, pixels, take) => {
        takes.push({ image: ctx.image ?? 0, draw: ctx.draw, take, of: pixels.rows.length });
        return inner.styleDraw(ctx, pixels, take);
      },
    };
    return { plan, takes };
  }

  it('draws each image’s share of every draw (0.7/0.3 of 40 → 28 + 12), from that image’s own pixels', async () => {
    const { plan, takes } = recordingPlan();
    const image = await stylize({ ...base, style: [{ image: s1, weight: 0.7 }, { image: s2, weight: 0.3 }], samplingPlan: plan }).result;
    expect([image.width, image.height]).toEqual([24, 18]);
    // At long side 24: style 1 is 24×24, style 2 24×16 pixels.
    expect(takes).toEqual([
      { image: 0, draw: 0, take: 28, of: 576 },
      { image: 0, draw: 1, take: 28, of: 576 },
      { image: 1, draw: 0, take: 12, of: 384 },
      { image: 1, draw: 1, take: 12, of: 384 },
    ]);
  });

  it('one image in a list of one is the plain style option, sample for sample', async () => {
    const plain = await stylize({ ...base, style: s1, seed: 4 }).result;
    const listed = await stylize({ ...base, style: [{ image: s1, weight: 2.5 }], seed: 4 }).result;
    expect(Buffer.from(listed.data).equals(Buffer.from(plain.data))).toBe(true);
    const mixed = await stylize({ ...base, style: [{ image: s1, weight: 1 }, { image: s2, weight: 1 }], seed: 4 }).result;
    expect(Buffer.from(mixed.data).equals(Buffer.from(plain.data))).toBe(false);
  });

  it('refuses region guidance with several style images', async () => {
    const mask = { width: 20, height: 20, data: new Uint8ClampedArray(20 * 20 * 4).fill(255) };
    const error = await stylize({ ...base, style: [{ image: s1, weight: 1 }, { image: s2, weight: 1 }], guidance: { content: mask, style: mask } }).result.catch((e) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('guidance takes one style image, but 2 are given');
  });
});
