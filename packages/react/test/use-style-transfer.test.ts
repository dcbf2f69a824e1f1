// @vitest-environment happy-dom
import { describe, expect, it, beforeAll } from 'vitest';
import { createElement, act, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { tf, type RgbaImage, type VggWeights } from '@strotss/core';
import { loadWeightsFrom } from '@strotss/backend-node';
import { useStyleTransfer, type UseStyleTransfer } from '@strotss/react';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// happy-dom gives modules a non-file import.meta.url; vitest runs from the repository root.
const weightsPath = resolve(process.cwd(), '../shared/weights/vgg19-caffe/model.json');
const haveWeights = existsSync(weightsPath);
if (!haveWeights) console.warn(`VGG19 weights not found at ${weightsPath}: React hook tests skipped`);

/** A smooth synthetic RGBA image. */
function image(width: number, height: number, phase: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const p = 4 * (y * width + x);
      data[p] = 128 + 100 * Math.sin(x / 5 + phase);
      data[p + 1] = 128 + 100 * Math.cos(y / 4 + phase);
      data[p + 2] = (x * y + phase * 40) % 256;
      data[p + 3] = 255;
    }
  return { width, height, data };
}

const tiny = { size: 32, iterations: 3, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32, seed: 3, backend: 'cpu', model: 'vgg19-caffe' as const, worker: false };

/** Mounts a component using the hook; `latest()` returns its most recent render's value. */
function mount(weights: VggWeights, overrides: { iterations?: number } = {}) {
  let current: UseStyleTransfer | undefined;
  const renders: string[] = [];
  function Probe() {
    const state = useStyleTransfer({ ...tiny, ...overrides, weights });
    current = state;
    useEffect(() => {
      renders.push(state.status);
    });
    return createElement('p', null, `${state.status} ${Math.round(state.progress * 100)}%`);
  }
  const container = document.createElement('div');
  const root = createRoot(container);
  act(() => root.render(createElement(Probe)));
  return { latest: () => current!, container, root, renders };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !predicate(); i++) await act(() => new Promise((r) => setTimeout(r, 20)));
  if (!predicate()) throw new Error(`timed out waiting for ${what}`);
}

describe.skipIf(!haveWeights)('useStyleTransfer', () => {
  let weights: VggWeights;
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    await import('@strotss/backend-node');
    weights = await loadWeightsFrom(weightsPath, 'vgg19-caffe');
  });

  it('renders idle, then running with progress, then done with the result', async () => {
    const before = tf.memory().numTensors;
    const { latest, container, root, renders } = mount(weights);
    expect(latest().status).toBe('idle');
    expect(container.textContent).toBe('idle 0%');
    let result: RgbaImage | undefined;
    await act(async () => {
      void latest().start(image(40, 30, 0), image(40, 30, 2)).then((r) => (result = r));
    });
    await until(() => latest().status === 'done', 'done');
    expect(result).toBeDefined();
    expect(latest().result).toBe(result);
    expect([result!.width, result!.height]).toEqual([32, 24]);
    expect(latest().progress).toBe(1);
    expect(container.textContent).toBe('done 100%');
    expect(renders).toContain('running');
    act(() => root.unmount());
    expect(tf.memory().numTensors).toBe(before);
  });

  // Mid-run cancellation of a job is covered by backend-node's job tests; here the hook's
  // semantics: cancel() ends in status 'cancelled' (no error), start() resolves undefined,
  // reset() returns to idle, and unmounting aborts the job it started.
  it('cancel() is a status, not an error; unmount aborts the job', async () => {
    const before = tf.memory().numTensors;
    const first = mount(weights);
    let settled: Promise<RgbaImage | undefined> | undefined;
    await act(async () => {
      settled = first.latest().start(image(40, 30, 1), image(40, 30, 3));
      first.latest().cancel();
    });
    await expect(settled).resolves.toBeUndefined();
    await until(() => first.latest().status === 'cancelled', 'cancelled');
    expect(first.latest().error).toBeUndefined();
    act(() => first.latest().reset());
    expect(first.latest().status).toBe('idle');
    act(() => first.root.unmount());

    const second = mount(weights);
    let job: Promise<RgbaImage | undefined> | undefined;
    act(() => {
      job = second.latest().start(image(40, 30, 1), image(40, 30, 3));
      second.root.unmount();
    });
    await expect(job).resolves.toBeUndefined();
    expect(tf.memory().numTensors).toBe(before);
  });
});
