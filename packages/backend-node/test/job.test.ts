import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidImageError,
  InvalidOptionError,
  resolveBackend,
  stylize,
  StyleTransferAbortError,
  tf,
  type JobSnapshot,
  type RgbaImage,
  type StyleTransferEvent,
  type StyleTransferJob,
  type StyleTransferOptions,
  type VggWeights,
} from '@strotss/core';
// Registers tensorflow → wasm → cpu.
import { loadWeightsFrom } from '@strotss/backend-node';

// The shared weights live beside the repository: /work/shared next to /work/main.
const WEIGHTS = fileURLToPath(new URL('../../../../shared/weights/vgg19-caffe/model.json', import.meta.url));
const haveWeights = existsSync(WEIGHTS);
if (!haveWeights) console.warn(`Skipping the STROTSS job tests: ${WEIGHTS} is absent.`);

/** Tiny settings: one 64-px scale of two iterations with few samples (a full default iteration costs seconds). */
const TINY = {
  model: 'vgg19-caffe',
  size: 64,
  iterations: 2,
  samplesPerStep: 64,
  styleDraws: 2,
  styleSamplesPerDraw: 64,
  backend: 'wasm',
} as const;

/** A smooth synthetic RGBA image (gradients + waves), different per `phase`. */
function synthetic(width: number, height: number, phase: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = (r * width + c) * 4;
      data[p] = 128 + 100 * Math.sin((c + phase) / 5);
      data[p + 1] = (255 * r) / height;
      data[p + 2] = 128 + 100 * Math.cos((r * phase + c) / 7);
      data[p + 3] = 255;
    }
  }
  return { width, height, data };
}

/** A flat-colour image from a function of (row, col) → [r, g, b]. */
function flat(width: number, height: number, colour: (row: number, col: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let r = 0; r < height; r++) {
    for (let c = 0; c < width; c++) {
      const p = (r * width + c) * 4;
      const [R, G, B] = colour(r, c);
      data[p] = R;
      data[p + 1] = G;
      data[p + 2] = B;
      data[p + 3] = 255;
    }
  }
  return { width, height, data };
}

const RED: [number, number, number] = [255, 0, 0];
const BLUE: [number, number, number] = [0, 0, 255];

// 64×48 content (landscape; long side 64 → 64×48 at the only scale) and a portrait style image.
const content = synthetic(64, 48, 1);
const style = synthetic(40, 56, 3);

/** A job with its event log and every snapshot it published. */
interface Recorded {
  job: StyleTransferJob;
  events: StyleTransferEvent[];
  snapshots: JobSnapshot[];
}

function record(options: StyleTransferOptions, onEvent?: (e: StyleTransferEvent, job: StyleTransferJob) => void): Recorded {
  const job = stylize(options);
  const events: StyleTransferEvent[] = [];
  const snapshots: JobSnapshot[] = [job.getSnapshot()];
  job.subscribe((s) => snapshots.push(s));
  job.onEvent((e) => {
    events.push(e);
    onEvent?.(e, job);
  });
  return { job, events, snapshots };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the job to fail');
}

/** Consecutive duplicates removed. */
const runs = <T>(xs: T[]) => xs.filter((x, i) => i === 0 || x !== xs[i - 1]);

describe.skipIf(!haveWeights)('STROTSS job on wasm (tiny settings)', () => {
  let weights: VggWeights;
  const base = (): StyleTransferOptions => ({ ...TINY, content, style, weights, seed: 7 });
  // The plain seed-7 run, computed once and shared by the tests that compare against it.
  let baselineRun: Promise<RgbaImage> | undefined;
  const baseline = () => (baselineRun ??= stylize(base()).result);

  beforeAll(async () => {
    weights = await loadWeightsFrom(WEIGHTS, 'vgg19-caffe');
    await resolveBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('completes: weights → scale → steps → done, snapshots starting → running → done, no tensors leaked', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const { job, events, snapshots } = record({
      ...base(),
      scales: 2,
      // A loader, so the job reports weight progress.
      weights: async (report) => {
        report(1, 2);
        report(2, 2);
        return weights;
      },
    });
    const image = await job.result;
    expect(tf.memory().numTensors).toBe(tensorsBefore);

    expect(image.width).toBe(64);
    expect(image.height).toBe(48);
    expect(image.data.length).toBe(64 * 48 * 4);
    for (let p = 3; p < image.data.length; p += 4) if (image.data[p] !== 255) throw new Error(`alpha at ${p} is ${image.data[p]}`);

    expect(events.map((e) => e.type)).toEqual(['weights', 'weights', 'scale', 'step', 'step', 'scale', 'step', 'step', 'done']);
    const scales = events.filter((e) => e.type === 'scale');
    expect(scales.map((e) => [e.scale, e.scales, e.width, e.height, e.iterations])).toEqual([
      [1, 2, 32, 24, 2],
      [2, 2, 64, 48, 2],
    ]);
    expect(scales.map((e) => e.learningRate)).toEqual([2e-3, 1e-3]);
    expect(scales.map((e) => e.alpha)).toEqual([16, 8]);
    const steps = events.filter((e) => e.type === 'step');
    expect(steps.map((e) => [e.scale, e.iteration])).toEqual([
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
    ]);
    for (const s of steps) {
      for (const v of [s.loss, s.content, s.remd, s.moment, s.palette, s.etaSeconds, s.elapsedSeconds]) expect(Number.isFinite(v)).toBe(true);
      expect(s.loss).toBeGreaterThan(0);
    }
    const done = events.at(-1)!;
    if (done.type !== 'done') throw new Error('no done event');
    expect(done.image).toEqual(image);
    expect(done.seed).toBe(7);
    expect(done.finalLosses).toHaveLength(2);
    expect(done.finalLosses).toEqual([steps[1].loss, steps[3].loss]);

    expect(runs(snapshots.map((s) => s.status))).toEqual(['starting', 'running', 'done']);
    const last = job.getSnapshot();
    expect(last).toBe(snapshots.at(-1));
    expect(last).toMatchObject({ status: 'done', progress: 1, backend: 'wasm', seed: 7, scale: 2, scales: 2, iteration: 2, iterations: 2 });
    expect(last.result).toBe(image);
    expect(last.weights).toEqual({ loaded: 2, total: 2 });
    const progress = snapshots.map((s) => s.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(runs(progress)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });

  it('the same seed gives bit-identical images; another seed a different one', async () => {
    const a = await baseline();
    const b = await stylize(base()).result;
    const c = await stylize({ ...base(), seed: 8 }).result;
    expect(Buffer.from(a.data).equals(Buffer.from(b.data))).toBe(true);
    expect(Buffer.from(a.data).equals(Buffer.from(c.data))).toBe(false);
  });

  it("previewEvery: 1 emits a 'preview' RgbaImage after every step; the last equals the result", async () => {
    const { job, events } = record({ ...base(), previewEvery: 1 });
    const image = await job.result;
    expect(events.map((e) => e.type).filter((t) => t !== 'warning')).toEqual(['scale', 'step', 'preview', 'step', 'preview', 'done']);
    const previews = events.flatMap((e) => (e.type === 'preview' ? [e] : []));
    expect(previews.map((p) => p.iteration)).toEqual([0, 1]);
    for (const p of previews) {
      expect(p.image.width).toBe(64);
      expect(p.image.height).toBe(48);
      expect(p.image.data).toBeInstanceOf(Uint8ClampedArray);
      expect(p.image.data.length).toBe(64 * 48 * 4);
    }
    // The result is the image at the start of the last iteration (spec §10), i.e. the last preview.
    expect(Buffer.from(previews[1].image.data).equals(Buffer.from(image.data))).toBe(true);
    expect(job.getSnapshot().preview).toBe(previews[1].image);
    // Without previews the result is the same (previews do not disturb the run).
    const plain = await baseline();
    expect(Buffer.from(plain.data).equals(Buffer.from(image.data))).toBe(true);
  });

  it('cancel() after the first step rejects with StyleTransferAbortError, status cancelled, no tensors leaked', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const { job, events, snapshots } = record({ ...base(), iterations: 5 }, (e, j) => {
      if (e.type === 'step') j.cancel();
    });
    const error = await rejection(job.result);
    expect(error).toBeInstanceOf(StyleTransferAbortError);
    expect((error as StyleTransferAbortError).code).toBe('ABORTED');
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(job.getSnapshot().error).toBeUndefined();
    expect(job.signal.aborted).toBe(true);
    expect(events.filter((e) => e.type === 'step')).toHaveLength(1);
    expect(events.some((e) => e.type === 'done')).toBe(false);
    expect(runs(snapshots.map((s) => s.status))).toEqual(['starting', 'running', 'cancelled']);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('an AbortSignal in the options cancels the job', async () => {
    const tensorsBefore = tf.memory().numTensors;
    const controller = new AbortController();
    const { job, events } = record({ ...base(), iterations: 5, signal: controller.signal }, (e) => {
      if (e.type === 'step') controller.abort();
    });
    const error = await rejection(job.result);
    expect(error).toBeInstanceOf(StyleTransferAbortError);
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(events.filter((e) => e.type === 'step')).toHaveLength(1);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('an already-aborted signal cancels before any step', async () => {
    const { job, events } = record({ ...base(), signal: AbortSignal.abort() });
    expect(await rejection(job.result)).toBeInstanceOf(StyleTransferAbortError);
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(events.filter((e) => e.type === 'step')).toEqual([]);
  });

  it.each([
    ['a 0×0 content image', { content: { width: 0, height: 0, data: new Uint8ClampedArray(0) } }, /content image is 0×0/],
    [
      'a content image whose data length does not match',
      { content: { width: 64, height: 48, data: new Uint8ClampedArray(64 * 48 * 3) } },
      /content image holds 9216 bytes but 64×48 RGBA needs 12288/,
    ],
    ['a style image of non-integer size', { style: { width: 2.5, height: 4, data: new Uint8ClampedArray(40) } }, /style image is 2\.5×4/],
    ['a 16:1 content image (too thin for the VGG at 64 px)', { content: synthetic(256, 16, 1) }, /aspect ratio 16\.0:1/],
  ] as Array<[string, Partial<StyleTransferOptions>, RegExp]>)('%s → InvalidImageError through the result', async (_name, patch, message) => {
    const tensorsBefore = tf.memory().numTensors;
    const { job, events } = record({ ...base(), ...patch });
    const error = await rejection(job.result);
    expect(error).toBeInstanceOf(InvalidImageError);
    expect(error.message).toMatch(message);
    expect(job.getSnapshot().status).toBe('error');
    expect(job.getSnapshot().error).toBe(error);
    expect(events.filter((e) => e.type === 'step')).toEqual([]);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  it('an invalid option → InvalidOptionError through the result, status error', async () => {
    const { job } = record({ ...base(), iterations: 1.5 });
    const error = await rejection(job.result);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toContain('iterations is 1.5');
    expect(job.getSnapshot().status).toBe('error');
  });

  it('an image smaller than the first scale is upscaled with a TINY_IMAGE warning naming it (a 1×1 style too)', async () => {
    const { job, events } = record({ ...base(), style: synthetic(1, 1, 2), iterations: 1 });
    await job.result;
    const tiny = events.flatMap((e) => (e.type === 'warning' ? [e] : []));
    expect(tiny.map((w) => [w.code, w.details.option, w.details.value])).toEqual([['TINY_IMAGE', 'style', '1×1']]);
    expect(tiny[0].message).toMatch(/The style image is 1×1, smaller than the first scale \(64 px on the long side\): it is upscaled ×64\.0/);
  });

  describe('region guidance', () => {
    // Content guidance: left half red / right half blue (4:3, as the content). Style guidance: top
    // red / bottom blue, 160×224 (5:7, as the style) so that each colour covers 17 920 > 10 000 pixels.
    const guidance = {
      content: flat(160, 120, (_r, c) => (c < 80 ? RED : BLUE)),
      style: flat(160, 224, (r) => (r < 112 ? RED : BLUE)),
    };

    it('a two-region run completes and differs from the unguided run with the same seed', async () => {
      const tensorsBefore = tf.memory().numTensors;
      const { job, events } = record({ ...base(), guidance });
      const image = await job.result;
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      expect([image.width, image.height]).toEqual([64, 48]);
      expect(job.getSnapshot().status).toBe('done');
      const steps = events.flatMap((e) => (e.type === 'step' ? [e] : []));
      expect(steps).toHaveLength(2);
      for (const s of steps) expect(Number.isFinite(s.loss)).toBe(true);
      const unguided = await baseline();
      expect(Buffer.from(image.data).equals(Buffer.from(unguided.data))).toBe(false);
    });

    it('a mask of another aspect ratio than its image → InvalidImageError naming both sizes, before any step', async () => {
      const { job, events } = record({ ...base(), guidance: { ...guidance, style: flat(160, 160, (r) => (r < 80 ? RED : BLUE)) } });
      const error = await rejection(job.result);
      expect(error).toBeInstanceOf(InvalidImageError);
      expect(error.message).toMatch(/The style guidance is 160×160 but the style image is 40×56: a mask must have the aspect ratio of its image/);
      expect((error as InvalidImageError).details.option).toBe('guidance.style');
      expect(events.filter((e) => e.type === 'step')).toEqual([]);
    });

    it('a content mask with none of the style regions\' colours → InvalidImageError listing both; one missing colour → a warning', async () => {
      const green = flat(160, 120, () => [0, 255, 0]);
      const { job } = record({ ...base(), guidance: { ...guidance, content: green } });
      const error = await rejection(job.result);
      expect(error.message).toMatch(/The content guidance has none of the region colours of the style guidance \(#0000ffff, #ff0000ff\); its main colours are #00ff00ff/);
      const partly = flat(160, 120, (_r, c) => (c < 80 ? RED : ([0, 255, 0] as [number, number, number])));
      const { job: warned, events } = record({ ...base(), guidance: { ...guidance, content: partly } });
      await warned.result;
      const warnings = events.flatMap((e) => (e.type === 'warning' && e.code === 'GUIDANCE_COLOUR_MISSING' ? [e] : []));
      expect(warnings.map((w) => w.details.value)).toEqual(['#0000ffff']);
      expect(warned.getSnapshot().warnings?.some((w) => w.code === 'GUIDANCE_COLOUR_MISSING')).toBe(true);
    });

    it('a style guidance with no region (every colour ≤ 10 000 px) → InvalidImageError through the result', async () => {
      const small = { content: guidance.content, style: flat(100, 140, (r) => (r < 70 ? RED : BLUE)) }; // halves of 7 000 px
      const { job } = record({ ...base(), guidance: small });
      const error = await rejection(job.result);
      expect(error).toBeInstanceOf(InvalidImageError);
      expect(error.message).toContain('no colour on more than 10000 pixels');
      expect(job.getSnapshot().status).toBe('error');
    });
  });
});
