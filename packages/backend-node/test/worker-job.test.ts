// Jobs in a Node worker thread (the same protocol as the browser's module worker): the events equal
// those of the same job run in this thread with the same seed; cancel, errors and transfers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  InvalidOptionError,
  stylize,
  StyleTransferAbortError,
  type StyleTransferEvent,
  type VggWeights,
} from '@strotss/core';
import { loadWeightsFrom, startJobWorkerThread, stylizeInThread, type JobWorkerThread } from '@strotss/backend-node';
import { vggWeightsPath } from '../../../test-support/reference-parity.js';
import { smoothImage as image } from '../../../test-support/seeded.js';

const haveWeights = existsSync(vggWeightsPath);
const entry = new URL('../dist/job-worker-entry.js', import.meta.url);
const built = existsSync(fileURLToPath(entry));
if (!haveWeights) console.warn(`worker jobs: VGG19 weights not found at ${vggWeightsPath}: skipped`);
if (!built) console.warn(`worker jobs: ${fileURLToPath(entry)} not built (npm run build): skipped`);


const tiny = { size: 32, iterations: 3, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32, seed: 11, backend: 'cpu', model: 'vgg19-caffe' as const, previewEvery: 2 };

/** The event without its wall-clock fields (elapsed time, ETA, total seconds), which differ between runs. */
function timeless(event: StyleTransferEvent): unknown {
  const { elapsedSeconds: _e, etaSeconds: _eta, seconds: _s, ...rest } = event as StyleTransferEvent & Record<string, unknown>;
  return rest;
}

describe.skipIf(!haveWeights || !built)('jobs in a worker thread', () => {
  let weights: VggWeights;
  let thread: JobWorkerThread;
  beforeAll(async () => {
    weights = await loadWeightsFrom(vggWeightsPath, 'vgg19-caffe');
    thread = startJobWorkerThread({ entry });
  });
  afterAll(async () => {
    await thread?.terminate();
  });

  it('emits the same events, snapshot and result as the in-thread job for the same seed', async () => {
    const inThread = stylize({ ...tiny, weights, content: image(40, 30, 0), style: image(36, 36, 2) });
    const local: StyleTransferEvent[] = [];
    inThread.onEvent((e) => local.push(e));
    const localResult = await inThread.result;

    const job = stylizeInThread(thread, { ...tiny, weights, content: image(40, 30, 0), style: image(36, 36, 2) });
    const remote: StyleTransferEvent[] = [];
    const statuses: string[] = [];
    job.onEvent((e) => remote.push(e));
    job.subscribe((s) => statuses.push(s.status));
    const remoteResult = await job.result;

    expect(remote.map((e) => e.type)).toContain('preview');
    expect(remote.map(timeless)).toEqual(local.map(timeless));
    expect(remoteResult).toEqual(localResult);
    const a = job.getSnapshot();
    const b = inThread.getSnapshot();
    expect([a.status, a.progress, a.backend, a.seed, a.iteration, a.scales, a.loss]).toEqual([b.status, b.progress, b.backend, b.seed, b.iteration, b.scales, b.loss]);
    expect(statuses.at(-1)).toBe('done');
    expect(statuses).toContain('running');
  });

  it('cancels: the status becomes cancelled and result rejects with StyleTransferAbortError', async () => {
    const job = stylizeInThread(thread, { ...tiny, iterations: 200, weights, content: image(40, 30, 1), style: image(40, 30, 3) });
    const steps: number[] = [];
    job.onEvent((e) => {
      if (e.type !== 'step') return;
      steps.push(e.iteration);
      if (steps.length === 2) job.cancel();
    });
    await expect(job.result).rejects.toBeInstanceOf(StyleTransferAbortError);
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(steps.length).toBeLessThan(10);
  });

  it('surfaces option errors as the core error class with its details', async () => {
    const job = stylizeInThread(thread, { ...tiny, size: 3, weights, content: image(40, 30, 1), style: image(40, 30, 3) });
    const error = await job.result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).details.option).toBe('size');
    expect(job.getSnapshot()).toMatchObject({ status: 'error', error });
  });

  it('transfers the input buffers when asked, and previews come back as images', async () => {
    const content = image(40, 30, 4);
    const job = stylizeInThread(thread, { ...tiny, iterations: 2, weights, content, style: image(40, 30, 5) }, { transferInputs: true });
    expect(content.data.byteLength).toBe(0);
    const result = await job.result;
    expect([result.width, result.height, result.data.length]).toEqual([32, 24, 32 * 24 * 4]);
    expect(job.getSnapshot().preview?.data).toBeInstanceOf(Uint8ClampedArray);
  });
});
