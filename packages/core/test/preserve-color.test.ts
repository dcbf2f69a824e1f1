// Colour preservation (luminance-only transfer): the YIQ conversions, the recombination, and a run
// whose output carries the content's chroma under a stylised luminance.
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend } from '../src/backend.js';
import { imageToTensor, type RgbaImage } from '../src/image.js';
import { stylize } from '../src/job.js';
import { combineLuminanceChroma, greyscale, rgbToYiq, yiqToRgb } from '../src/ops/colour.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

/** The Y, I and Q planes of an image, as flat arrays of one value per pixel. */
function yiqPlanes(image: RgbaImage): Float32Array[] {
  const yiq = tf.tidy(() => rgbToYiq(imageToTensor(image)));
  const v = yiq.dataSync() as Float32Array;
  yiq.dispose();
  return [0, 1, 2].map((c) => v.filter((_, i) => i % 3 === c));
}

const meanAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + Math.abs(x - b[i]), 0) / a.length;

describe('YIQ colour ops', () => {
  it('round-trips RGB through YIQ, and Y is the BT.601 luminance', () => {
    const rgb = tf.tensor4d([0.2, 0.5, 0.9, 1, 0, 0, 0.3, 0.3, 0.3, 0, 1, 1], [1, 2, 2, 3]);
    const yiq = rgbToYiq(rgb);
    expect(Array.from(yiq.dataSync()).filter((_, i) => i % 3 === 0)[0]).toBeCloseTo(0.299 * 0.2 + 0.587 * 0.5 + 0.114 * 0.9, 6);
    // A grey pixel has no chroma.
    expect(Array.from(yiq.dataSync()).slice(7, 9).map((v) => Math.abs(v) < 1e-6)).toEqual([true, true]);
    const back = yiqToRgb(yiq);
    Array.from(back.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(rgb.dataSync()[i], 5));
    tf.dispose([rgb, yiq, back]);
  });

  it('greyscale repeats the luminance in three channels; the recombination takes Y from one image and I, Q from the other', () => {
    const a = imageToTensor(patternImage(6, 5, 1));
    const b = imageToTensor(patternImage(6, 5, 9));
    const grey = greyscale(a).dataSync();
    for (let p = 0; p < grey.length; p += 3) expect([grey[p + 1], grey[p + 2]]).toEqual([grey[p], grey[p]]);
    const mixed = combineLuminanceChroma(a, b);
    const [ym, im, qm] = [0, 1, 2].map((c) => Array.from(rgbToYiq(mixed).dataSync()).filter((_, i) => i % 3 === c));
    const [ya] = [0].map((c) => Array.from(rgbToYiq(a).dataSync()).filter((_, i) => i % 3 === c));
    const [, ib, qb] = [0, 1, 2].map((c) => Array.from(rgbToYiq(b).dataSync()).filter((_, i) => i % 3 === c));
    ym.forEach((v, i) => expect(v).toBeCloseTo(ya[i], 5));
    im.forEach((v, i) => expect(v).toBeCloseTo(ib[i], 5));
    qm.forEach((v, i) => expect(v).toBeCloseTo(qb[i], 5));
    tf.dispose([a, b, mixed]);
  });
});

describe('stylize({ preserveColor })', () => {
  beforeAll(() => registerBackend(cpu));
  const content = patternImage(24, 18, 1);
  const run = (preserveColor: boolean) =>
    stylize({ content, style: patternImage(20, 20, 40), weights: seededVggWeights(3), size: 24, scales: 1, iterations: 6, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32, seed: 5, preserveColor }).result;

  it("keeps the content's chroma (I, Q within 8-bit rounding) while the luminance is the optimised one", async () => {
    const [kept, free] = [await run(true), await run(false)];
    const [yc, ic, qc] = yiqPlanes(content);
    const [yk, ik, qk] = yiqPlanes(kept);
    const [, iFree, qFree] = yiqPlanes(free);
    // 8-bit rounding moves I, Q by < 0.004; clamping out-of-gamut pixels by a little more.
    expect(meanAbsDiff(ik, ic)).toBeLessThan(0.01);
    expect(meanAbsDiff(qk, qc)).toBeLessThan(0.01);
    // Without it, the run's chroma is its own (the style mean starts the first scale).
    expect(meanAbsDiff(iFree, ic) + meanAbsDiff(qFree, qc)).toBeGreaterThan(5 * (meanAbsDiff(ik, ic) + meanAbsDiff(qk, qc)));
    // The luminance is not the content's: it was optimised.
    expect(meanAbsDiff(yk, yc)).toBeGreaterThan(0.02);
  });
});
