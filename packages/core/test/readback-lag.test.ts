// Loss values read a few steps late (StrotssBackend.readbackLag, for device backends): the same
// events in the same order as reading every step at once, later steps really dispatched before an
// earlier step's values are reported, and nothing leaked when a lagged job is cancelled.
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { registerBackend, unregisterBackend, type StrotssBackend } from '../src/backend.js';
import { StyleTransferAbortError } from '../src/errors.js';
import { stylize } from '../src/job.js';
import type { StyleTransferEvent } from '../src/strotss/stylize.js';
import { DispatchCounter } from '../src/testing/dispatch-counter.js';
import { patternImage, seededVggWeights } from '../../../test-support/seeded.js';

/** TF.js' cpu backend (a StrotssBackend's id is its TF.js name), reading losses `lag` steps late. */
function cpuWithLag(lag: number): StrotssBackend {
  return { id: 'cpu', priority: 0, precision: 'fp32', readbackLag: lag, isSupported: async () => true, init: async () => void (await tf.setBackend('cpu')) };
}

const weights = seededVggWeights(5);
const tiny = {
  // Square: the first of two scales is 16 px, the VGG's smallest input.
  content: patternImage(16, 16, 1),
  style: patternImage(16, 16, 2),
  weights,
  size: 32,
  scales: 2,
  iterations: 3,
  samplesPerStep: 32,
  styleDraws: 1,
  styleSamplesPerDraw: 32,
  previewEvery: 2,
  seed: 3,
};

/** Events without their clocks; previews as their pixels. */
function comparable(events: StyleTransferEvent[]): unknown[] {
  return events.map((e) => {
    if (e.type === 'step') {
      const { elapsedSeconds: _e, etaSeconds: _t, ...rest } = e;
      return rest;
    }
    if (e.type === 'done') return { type: 'done', data: Array.from(e.image.data), finalLosses: e.finalLosses };
    if (e.type === 'preview') return { ...e, image: Array.from(e.image.data) };
    return e;
  });
}

describe('readbackLag', () => {
  it('reports the same events in the same order as reading every step, each scale complete before the next', async () => {
    const runs: StyleTransferEvent[][] = [];
    for (const lag of [0, 2, 10]) {
      registerBackend(cpuWithLag(lag));
      const job = stylize({ ...tiny, backend: 'cpu' });
      const events: StyleTransferEvent[] = [];
      job.onEvent((e) => events.push(e));
      await job.result;
      expect(job.leakedTensors).toBe(0);
      unregisterBackend('cpu');
      runs.push(events);
    }
    const kinds = runs[0].map((e) => (e.type === 'step' ? `step ${e.scale}.${e.iteration}` : e.type));
    expect(kinds.filter((k) => k.startsWith('step'))).toHaveLength(6);
    expect(kinds.indexOf('scale', 1)).toBe(kinds.indexOf('step 1.2') + 1); // scales count from 1; no preview after step 2 (every 2nd)
    expect(comparable(runs[1])).toEqual(comparable(runs[0]));
    expect(comparable(runs[2])).toEqual(comparable(runs[0]));
  });

  it('dispatches the next steps before reporting a step: two more iterations of kernels at the first step event', async () => {
    const kernelsAtSteps = async (lag: number): Promise<number[]> => {
      registerBackend(cpuWithLag(lag));
      const options = { ...tiny, size: 16, scales: 1, iterations: 4, previewEvery: 0, backend: 'cpu' };
      await stylize({ ...options, iterations: 1 }).result; // warm-up: lazily registered kernels exist
      const counter = DispatchCounter.install('cpu');
      try {
        const job = stylize(options);
        const at: number[] = [];
        job.onEvent((e) => {
          if (e.type === 'step') at.push(counter.snapshot().kernels);
        });
        await job.result;
        return at;
      } finally {
        counter.uninstall();
        unregisterBackend('cpu');
      }
    };
    const now = await kernelsAtSteps(0);
    const late = await kernelsAtSteps(2);
    const perIteration = now[1] - now[0];
    expect(perIteration).toBeGreaterThan(100);
    expect(now[2] - now[1]).toBe(perIteration);
    expect(late[0] - now[0]).toBe(2 * perIteration);
    // The last steps are reported once the scale has no more steps to dispatch.
    expect(late.at(-1)).toBe(now.at(-1));
  });

  it('a cancelled lagged job settles as cancelled and leaks nothing (reads in flight included)', async () => {
    registerBackend(cpuWithLag(3));
    const before = tf.memory().numTensors;
    const job = stylize({ ...tiny, size: 16, scales: 1, iterations: 20, backend: 'cpu' });
    job.onEvent((e) => {
      if (e.type === 'step' && e.iteration === 1) job.cancel();
    });
    expect(await job.result.catch((e: unknown) => e)).toBeInstanceOf(StyleTransferAbortError);
    expect(job.getSnapshot().status).toBe('cancelled');
    expect(job.leakedTensors).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    unregisterBackend('cpu');
  });
});
