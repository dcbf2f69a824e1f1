// Image sequences (docs/guide/frames.md): each frame starts from the previous result, all frames share one
// seed, a failing frame is named, and the temporal-stability figure is the mean consecutive difference.
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend } from '../src/backend.js';
import { InvalidImageError } from '../src/errors.js';
import { consecutiveDifference, FrameError, meanAbsoluteDifference, stylizeFrames, type FrameResult } from '../src/frames.js';
import { stylize } from '../src/job.js';
import type { RgbaImage } from '../src/image.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

/** A 24×24 crop of `image` starting `dx` pixels from its left edge: one frame of a pan. */
function crop(image: RgbaImage, dx: number, size = 24): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) data.set(image.data.subarray((y * image.width + dx) * 4, (y * image.width + dx + size) * 4), y * size * 4);
  return { width: size, height: size, data };
}

const scene = patternImage(40, 24, 1);
const frames = [0, 3].map((dx, k) => ({ name: `f${k}.png`, image: crop(scene, dx) }));
const options = { style: patternImage(20, 20, 2), weights: seededVggWeights(3), backend: 'cpu', size: 24, scales: 1, iterations: 1, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32 };

async function collect(chain: boolean): Promise<FrameResult[]> {
  const out: FrameResult[] = [];
  for await (const r of stylizeFrames({ ...options, frames, chain, seed: 4 })) out.push(r);
  return out;
}

describe('stylizeFrames', () => {
  beforeAll(() => registerBackend(cpu));

  it('chained: frame k is the job of frame k started from frame k−1’s result, with the same seed; independent: from the style mean', async () => {
    const chained = await collect(true);
    expect(chained.map((r) => [r.index, r.name, r.seed])).toEqual([
      [0, 'f0.png', 4],
      [1, 'f1.png', 4],
    ]);
    const again = await stylize({ ...options, seed: 4, content: frames[1].image, init: chained[0].image }).result;
    expect(Buffer.from(again.data).equals(Buffer.from(chained[1].image.data))).toBe(true);
    const independent = await collect(false);
    // The first frame has no predecessor: the same either way; the next one starts elsewhere and ends elsewhere.
    expect(Buffer.from(independent[0].image.data).equals(Buffer.from(chained[0].image.data))).toBe(true);
    expect(Buffer.from(independent[1].image.data).equals(Buffer.from(chained[1].image.data))).toBe(false);
  }, 900_000);

  it('a bad frame fails with FrameError naming it, after the frames before it were yielded', async () => {
    const broken = [...frames.slice(0, 1), { name: 'f1.png', image: { width: 24, height: 24, data: new Uint8ClampedArray(5) } }];
    const seen: number[] = [];
    const error = await (async () => {
      for await (const r of stylizeFrames({ ...options, frames: broken, seed: 1 })) seen.push(r.index);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0]);
    expect(error).toBeInstanceOf(FrameError);
    expect((error as FrameError).frame).toBe(1);
    expect((error as FrameError).message).toMatch(/^Frame 2 \(f1\.png\): /);
    expect((error as FrameError).cause).toBeInstanceOf(InvalidImageError);
  }, 600_000);

  it('meanAbsoluteDifference is the mean RGB difference in 8-bit levels; consecutiveDifference averages consecutive pairs', () => {
    const a = { width: 1, height: 2, data: Uint8ClampedArray.of(0, 0, 0, 255, 10, 10, 10, 0) };
    const b = { width: 1, height: 2, data: Uint8ClampedArray.of(3, 0, 0, 0, 10, 10, 16, 255) };
    expect(meanAbsoluteDifference(a, b)).toBeCloseTo(9 / 6, 12); // alpha ignored
    expect(consecutiveDifference([a, b, a])).toBeCloseTo(9 / 6, 12);
    expect(() => meanAbsoluteDifference(a, { width: 2, height: 1, data: a.data })).toThrow(/differ in size/);
  });
});
