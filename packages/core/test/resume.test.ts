// Resume (docs/guide/resume.md): a checkpoint taken mid-scale, written to bytes and read back, continues
// in a fresh job to the same bytes as a run that was never stopped; a checkpoint of another run is refused.
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend } from '../src/backend.js';
import { InvalidOptionError, StyleTransferAbortError } from '../src/errors.js';
import { stylize, type StyleTransferJob } from '../src/job.js';
import type { RgbaImage } from '../src/image.js';
import { checkResumable, decodeCheckpoint, encodeCheckpoint, type StrotssCheckpoint } from '../src/strotss/checkpoint.js';
import type { StyleTransferOptions } from '../src/strotss/options.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

// Two scales (16 and 32 px) of 4 iterations: small enough for a few seconds, large enough for a mid-scale stop.
const base: StyleTransferOptions = {
  content: patternImage(32, 32, 1),
  style: patternImage(24, 24, 2),
  weights: seededVggWeights(3),
  backend: 'cpu',
  size: 32,
  scales: 2,
  iterations: 4,
  seed: 11,
  samplesPerStep: 32,
  styleDraws: 2,
  styleSamplesPerDraw: 48,
};

/** Runs a job to its end and returns its image and its checkpoints. */
async function run(job: StyleTransferJob): Promise<{ image: RgbaImage; checkpoints: Array<{ reason: string; checkpoint: StrotssCheckpoint }> }> {
  const checkpoints: Array<{ reason: string; checkpoint: StrotssCheckpoint }> = [];
  job.onEvent((e) => {
    if (e.type === 'checkpoint') checkpoints.push({ reason: e.reason, checkpoint: e.checkpoint });
  });
  return { image: await job.result, checkpoints };
}

/** A checkpoint as another process gets it: through its file bytes. */
const roundTrip = (c: StrotssCheckpoint) => decodeCheckpoint(encodeCheckpoint(c));

describe('resume from a checkpoint', () => {
  let uninterrupted: RgbaImage;
  beforeAll(async () => {
    registerBackend(cpu);
    uninterrupted = (await run(stylize(base))).image;
  }, 600_000);

  it('checkpoints every 2 iterations leave the result unchanged; each resumed in a fresh job ends bit-identical', async () => {
    const { image, checkpoints } = await run(stylize({ ...base, checkpointEvery: 2 }));
    expect(Buffer.from(image.data).equals(Buffer.from(uninterrupted.data))).toBe(true);
    expect(checkpoints.map((c) => [c.reason, c.checkpoint.scale, c.checkpoint.iteration])).toEqual([
      ["every", 1, 2],
      ["every", 2, 2],
    ]);
    for (const { checkpoint } of checkpoints) {
      // Only the images and weights are given again: the options come from the checkpoint.
      const job = stylize({ content: base.content, style: base.style, weights: base.weights, backend: 'cpu', resume: roundTrip(checkpoint) });
      const steps: number[] = [];
      job.onEvent((e) => e.type === 'step' && steps.push(e.iteration));
      const resumed = await job.result;
      expect(steps[0]).toBe(checkpoint.iteration);
      expect(Buffer.from(resumed.data).equals(Buffer.from(uninterrupted.data))).toBe(true);
      expect(job.leakedTensors).toBe(0);
    }
  }, 900_000);

  it('a cancel with checkpointOnCancel stops at the next iteration boundary with a checkpoint that resumes bit-identical', async () => {
    const job = stylize({ ...base, checkpointOnCancel: true });
    job.onEvent((e) => e.type === 'step' && e.scale === 1 && e.iteration === 2 && job.cancel());
    const { checkpoints } = await run(job).catch(() => ({ checkpoints: [] }));
    expect(await job.result.catch((e: unknown) => e)).toBeInstanceOf(StyleTransferAbortError);
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(job.lastCheckpoint).toMatchObject({ scale: 1, iteration: 3 });
    expect(checkpoints).toHaveLength(0); // run() never returned: the job rejected; lastCheckpoint holds it
    const resumed = await stylize({ ...base, resume: roundTrip(job.lastCheckpoint!) }).result;
    expect(Buffer.from(resumed.data).equals(Buffer.from(uninterrupted.data))).toBe(true);
  }, 900_000);

  it('requestCheckpoint() resolves at the next boundary; a resumed job can checkpoint and resume again', async () => {
    const job = stylize(base);
    let asked: Promise<StrotssCheckpoint> | undefined;
    job.onEvent((e) => {
      if (e.type === 'step' && e.scale === 2 && e.iteration === 0) asked = job.requestCheckpoint();
    });
    await job.result;
    const first = await asked!;
    expect([first.scale, first.iteration]).toEqual([2, 1]);
    const second = stylize({ ...base, resume: roundTrip(first), checkpointEvery: 3 });
    const { image, checkpoints } = await run(second);
    expect(Buffer.from(image.data).equals(Buffer.from(uninterrupted.data))).toBe(true);
    expect(checkpoints.map((c) => c.checkpoint.iteration)).toEqual([3]);
    const third = await stylize({ ...base, resume: roundTrip(checkpoints[0].checkpoint) }).result;
    expect(Buffer.from(third.data).equals(Buffer.from(uninterrupted.data))).toBe(true);
  }, 900_000);

  it('refuses a checkpoint of another run, naming each difference', async () => {
    const { checkpoints } = await run(stylize({ ...base, iterations: 2, checkpointEvery: 1 }));
    const checkpoint = checkpoints[0].checkpoint;
    const other = stylize({ ...base, iterations: 2, seed: 12, content: patternImage(32, 32, 5), resume: checkpoint });
    const error = (await other.result.catch((e: unknown) => e)) as InvalidOptionError;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.details.option).toBe('resume');
    expect(error.message).toContain('seed was 11, now 12');
    expect(error.message).toContain('the content image differs from the one it was made with');
    expect(() => checkResumable(checkpoint, { ...checkpoint.fingerprint, backend: 'wasm' })).toThrow(
      'it was made on the cpu backend, this job runs on wasm (a resumed result is identical only on the same backend)',
    );
  }, 900_000);

  it('refuses bytes that are not a checkpoint, or of another format version', () => {
    expect(() => decodeCheckpoint(new TextEncoder().encode('PNG not a checkpoint'))).toThrow(/does not start with "STROTSSC"/);
    const bytes = encodeCheckpoint({
      version: 1,
      fingerprint: { backend: 'cpu', options: {}, inputs: {} },
      scale: 1,
      iteration: 1,
      finalLosses: [],
      random: { scaleStart: [1, 2, 3, 4], now: [5, 6, 7, 8] },
      levels: [{ shape: [1, 1, 2, 1], data: Float32Array.of(0.5, -1) }],
      squareAvg: [{ shape: [1, 1, 2, 1], data: Float32Array.of(1e-9, 2) }],
    });
    expect(decodeCheckpoint(bytes).levels[0].data).toEqual(Float32Array.of(0.5, -1));
    expect(() => decodeCheckpoint(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated/);
    new DataView(bytes.buffer).setUint32(8, 2, true);
    expect(() => decodeCheckpoint(bytes)).toThrow(/format version 2, this SDK reads version 1/);
  });
});
