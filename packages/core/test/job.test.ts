// Jobs without a backend package: stylize() prepares its backend, reports option errors as option
// errors, never hangs in 'starting', and runs one job at a time (each counting only its own tensors).
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend, unregisterBackend } from '../src/backend.js';
import { BackendUnavailableError, InvalidImageError, InvalidOptionError, StyleTransferAbortError } from '../src/errors.js';
import { stylize, type JobStatus } from '../src/job.js';
import { tagWeights } from '../src/model/presets.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';
import { cpuBackend } from './cpu-backend.js';

const cpu = cpuBackend;

const weights = seededVggWeights(3);
const tiny = { content: patternImage(24, 18, 1), style: patternImage(20, 20, 2), weights, size: 24, scales: 1, iterations: 2, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32 };

describe('stylize()', () => {
  it('with no backend registered, an option error is an option error and a missing backend a BackendUnavailableError; the status never stays starting', async () => {
    unregisterBackend('cpu');
    const bad = stylize({ ...tiny, iterations: 0 });
    const badError = await bad.result.catch((e: unknown) => e);
    expect(badError).toBeInstanceOf(InvalidOptionError);
    expect((badError as InvalidOptionError).details).toMatchObject({ option: 'iterations', value: 0 });
    expect(bad.getSnapshot().status).toBe('error');
    const none = stylize(tiny);
    const noneError = await none.result.catch((e: unknown) => e);
    expect(noneError).toBeInstanceOf(BackendUnavailableError);
    expect(none.getSnapshot().status).toBe('error');
    const broken = stylize({ ...tiny, content: { width: 0, height: 0, data: new Uint8ClampedArray() } });
    expect(await broken.result.catch((e: unknown) => e)).toBeInstanceOf(InvalidImageError);
  });

  it('prepares the registered backend itself (no resolveBackend first) and runs', async () => {
    registerBackend(cpu);
    const job = stylize(tiny);
    const result = await job.result;
    expect([result.width, result.height]).toEqual([24, 18]);
    expect(job.getSnapshot()).toMatchObject({ status: 'done', backend: 'cpu' });
    expect(job.leakedTensors).toBe(0);
  });

  it('refuses weights loaded for another model (VGG19 weights with model vgg16), naming both', async () => {
    registerBackend(cpu);
    const vgg19Shaped = tagWeights({ ...weights }, 'vgg19-caffe');
    const job = stylize({ ...tiny, weights: vgg19Shaped, model: 'vgg16' });
    const error = (await job.result.catch((e: unknown) => e)) as InvalidOptionError;
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error.message).toBe("model is 'vgg16' but the weights are vgg19-caffe weights; pass model vgg19-caffe, or vgg16 weights.");
    expect(error.describe({ option: (n) => `--${n}`, input: (_n, d) => d })).toContain('pass --model vgg19-caffe');
  });

  it('runs concurrent jobs one after another (queued), each counting only its own tensors; a queued job can be cancelled', async () => {
    registerBackend(cpu);
    const statuses: JobStatus[][] = [[], [], []];
    const jobs = [0, 1, 2].map((k) => stylize({ ...tiny, seed: k }));
    jobs.forEach((job, k) => job.subscribe((s) => statuses[k].push(s.status)));
    const cancelled = stylize({ ...tiny, seed: 9 });
    await Promise.resolve();
    await Promise.resolve();
    expect(cancelled.getSnapshot()).toMatchObject({ status: 'queued' });
    cancelled.cancel();
    expect(await cancelled.result.catch((e: unknown) => e)).toBeInstanceOf(StyleTransferAbortError);
    expect(cancelled.getSnapshot().status).toBe('cancelled');
    const results = await Promise.all(jobs.map((j) => j.result));
    expect(results).toHaveLength(3);
    // The first starts at once; the others wait for the engine, then run.
    const changes = (k: number) => statuses[k].filter((s, i) => s !== statuses[k][i - 1]);
    expect(changes(0)).toEqual(['starting', 'running', 'done']);
    for (const k of [1, 2]) expect(changes(k)).toEqual(['queued', 'starting', 'running', 'done']);
    for (const job of jobs) expect(job.leakedTensors).toBe(0);
  });
});
