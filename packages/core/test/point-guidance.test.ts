// Point guidance (spec §11.2): the term and its gradient, the points at a scale with the paper's
// neighbours, the validation, and a run whose loss carries β·ℓ_points/(α+2).
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend } from '../src/backend.js';
import { InvalidOptionError } from '../src/errors.js';
import { stylize } from '../src/job.js';
import { cosineDistancePairGrad } from '../src/ops/distances.js';
import { pointGuidanceLoss } from '../src/ops/point-loss.js';
import { checkPointGuidance, pointsAtScale } from '../src/strotss/point-guidance.js';
import type { StyleTransferEvent } from '../src/strotss/stylize.js';
import { thrown } from '../../../test-support/thrown.js';
import { mulberry32, patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

describe('pointGuidanceLoss', () => {
  const next = mulberry32(3);
  const A = tf.tensor2d(Array.from({ length: 4 * 6 }, () => next() - 0.3), [4, 6]);
  const B = tf.tensor2d(Array.from({ length: 4 * 6 }, () => next() - 0.3), [4, 6]);

  it('is the mean cosine distance of the paired rows, 0 when they point the same way', () => {
    const a = A.arraySync();
    const b = B.arraySync();
    const cos = a.map((row, i) => {
      const dot = row.reduce((s, v, k) => s + v * b[i][k], 0);
      return 1 - dot / (Math.hypot(...row) * Math.hypot(...b[i]));
    });
    expect(pointGuidanceLoss(A, B).dataSync()[0]).toBeCloseTo(cos.reduce((s, v) => s + v) / 4, 5);
    expect(pointGuidanceLoss(A, tf.mul(A, 3) as tf.Tensor2D).dataSync()[0]).toBeCloseTo(0, 6);
  });

  it('has the cosine pair gradient divided by the number of pairs', () => {
    const grad = tf.grad((a: tf.Tensor) => pointGuidanceLoss(a as tf.Tensor2D, B))(A);
    const expected = tf.div(cosineDistancePairGrad(A, B), 4);
    Array.from(grad.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected.dataSync()[i], 5));
  });
});

describe('points at a scale', () => {
  const content = { width: 512, height: 384 };
  const style = { width: 400, height: 400 };
  it("maps each point into the scale's pixels and adds the paper's 8 neighbours (20 px at 512)", () => {
    const at = pointsAtScale({ pairs: [{ content: [255.5, 191.5], style: [199.5, 199.5] }] }, content, style, [384, 512], [512, 512]);
    expect(Array.from(at.output.rows)).toEqual([172, 172, 172, 192, 192, 192, 212, 212, 212]);
    expect(Array.from(at.output.cols)).toEqual([236, 256, 276, 236, 256, 276, 236, 256, 276]);
    expect(Array.from(at.style.rows)).toEqual([236, 236, 236, 256, 256, 256, 276, 276, 276]);
    expect(at.weight).toBe(5);
    // At 64 px the spacing is 3 px; neighbours that fall off either image are dropped.
    const corner = pointsAtScale({ pairs: [{ content: [0, 0], style: [200, 200] }] }, content, style, [48, 64], [64, 64]);
    expect(Array.from(corner.output.rows)).toEqual([0, 0, 3, 3]);
    expect(Array.from(corner.output.cols)).toEqual([0, 3, 0, 3]);
    const single = pointsAtScale({ pairs: [{ content: [0, 0], style: [200, 200] }], neighbours: false, weight: 2 }, content, style, [48, 64], [64, 64]);
    expect([single.output.rows.length, single.weight]).toEqual([1, 2]);
  });
});

describe('checkPointGuidance', () => {
  const content = patternImage(512, 384, 1);
  const style = patternImage(300, 200, 2);
  const error = (f: () => void) => thrown<InvalidOptionError>(f);
  it('names the pair, the point and the image size when a point lies outside its image', () => {
    const e = error(() => checkPointGuidance({ pairs: [{ content: [10, 10], style: [5, 5] }, { content: [600, 10], style: [5, 5] }] }, content, style));
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect(e.message).toBe(
      'Point pair 2 of 2: the content point (600, 10) lies outside the content image (512×384); x must be in 0…511 and y in 0…383, in that image\'s own pixels.',
    );
    expect(e.details).toEqual({ option: 'points', value: '(600, 10)' });
    expect(error(() => checkPointGuidance({ pairs: [{ content: [1, 1], style: [100, 250] }] }, content, style)).message).toContain(
      'the style point (100, 250) lies outside the style image (300×200)',
    );
  });
  it('refuses no pairs, a malformed point and a weight that is not positive', () => {
    expect(error(() => checkPointGuidance({ pairs: [] }, content, style)).message).toContain('points has no pairs');
    expect(error(() => checkPointGuidance({ pairs: [{ content: [1], style: [1, 1] }] } as never, content, style)).message).toContain(
      'Point pair 1 of 1: the content point is [1]; it must be [x, y] in pixels.',
    );
    expect(error(() => checkPointGuidance({ pairs: [{ content: [1, 1], style: [1, 1] }], weight: 0 }, content, style)).message).toContain(
      'points.weight is 0; it must be a number > 0',
    );
  });
});

describe('stylize({ points })', () => {
  beforeAll(() => registerBackend(cpu));
  it('adds β·ℓ_points/(α+2) to the loss and reports ℓ_points with every step; ℓ_points falls', async () => {
    const steps: Extract<StyleTransferEvent, { type: 'step' }>[] = [];
    const job = stylize({
      content: patternImage(24, 18, 1),
      style: patternImage(20, 20, 40),
      weights: seededVggWeights(3),
      size: 24,
      scales: 1,
      iterations: 8,
      samplesPerStep: 32,
      styleDraws: 1,
      styleSamplesPerDraw: 32,
      seed: 2,
      points: { pairs: [{ content: [12, 9], style: [3, 17] }], weight: 50 },
    });
    job.onEvent((e) => e.type === 'step' && steps.push(e));
    await job.result;
    const alpha = 16;
    for (const s of steps) {
      expect(s.points).toBeTypeOf('number');
      const rest = (alpha * s.content + s.remd + s.moment + s.palette / alpha) / (alpha + 2);
      expect(s.loss).toBeCloseTo(rest + (50 * s.points!) / (alpha + 2), 5);
    }
    expect(steps.at(-1)!.points!).toBeLessThan(steps[0].points!);
    expect(job.leakedTensors).toBe(0);
  });
});
