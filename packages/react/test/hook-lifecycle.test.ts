// @vitest-environment happy-dom
// The hook's life cycle: status transitions, a restart aborts the running job, errors are surfaced
// as status 'error', nothing renders after unmount, previews at most once per animation frame, and
// the same run through a worker (a Node worker thread standing where a browser has its module worker).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, createElement, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidImageError, InvalidOptionError, stylize, type RgbaImage, type VggWeights } from '@strotss/core';
import { loadWeightsFrom, startJobWorkerThread, type JobWorkerThread } from '@strotss/backend-node';
import { chooseRunPlace, useStyleTransfer, type UseStyleTransfer, type UseStyleTransferOptions } from '@strotss/react';
import { smoothImage as image } from '../../../test-support/seeded.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

// happy-dom gives modules a non-file import.meta.url; vitest runs from the repository root.
const vggWeightsPath = resolve(process.cwd(), '../shared/weights/vgg19-caffe/model.json');
const workerEntryPath = resolve(process.cwd(), 'packages/backend-node/dist/job-worker-entry.js');
const workerEntry = pathToFileURL(workerEntryPath);
const haveWeights = existsSync(vggWeightsPath);
const haveWorkerEntry = existsSync(workerEntryPath);
if (!haveWeights) console.warn(`VGG19 weights not found at ${vggWeightsPath}: hook life-cycle tests skipped`);
if (!haveWorkerEntry) console.warn(`${workerEntryPath} not built (npm run build): the hook's worker test is skipped`);


const tiny = { size: 32, iterations: 3, samplesPerStep: 32, styleDraws: 1, styleSamplesPerDraw: 32, seed: 3, backend: 'cpu', model: 'vgg19-caffe' as const };

/** Mounts a component using the hook; records every rendered state. */
function mount(options: UseStyleTransferOptions) {
  let current: UseStyleTransfer | undefined;
  const renders: UseStyleTransfer[] = [];
  function Probe() {
    const state = useStyleTransfer(options);
    current = state;
    useEffect(() => {
      renders.push(state);
    });
    return createElement('p', null, state.status);
  }
  const root = createRoot(document.createElement('div'));
  act(() => root.render(createElement(Probe)));
  return { latest: () => current!, root, renders };
}

async function until(predicate: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !predicate(); i++) await act(() => new Promise((r) => setTimeout(r, 20)));
  if (!predicate()) throw new Error(`timed out waiting for ${what}`);
}

describe('chooseRunPlace', () => {
  it('uses a worker unless told not to, given a loader function, or without Worker', () => {
    expect(chooseRunPlace(false, {})).toEqual({ runsIn: 'main-thread', reason: 'worker: false was given' });
    expect(chooseRunPlace(undefined, async () => ({})).reason).toMatch(/loader function/);
    expect(chooseRunPlace(() => ({ channel: {} as never, terminate: () => undefined }), { url: 'x' })).toEqual({ runsIn: 'worker' });
    const hadWorker = 'Worker' in globalThis;
    const saved = (globalThis as { Worker?: unknown }).Worker;
    (globalThis as { Worker?: unknown }).Worker = undefined;
    expect(chooseRunPlace(undefined, { url: 'x' })).toEqual({ runsIn: 'main-thread', reason: 'this environment has no Web Worker' });
    (globalThis as { Worker?: unknown }).Worker = class {};
    expect(chooseRunPlace(undefined, { url: 'x' })).toEqual({ runsIn: 'worker' });
    if (hadWorker) (globalThis as { Worker?: unknown }).Worker = saved;
    else delete (globalThis as { Worker?: unknown }).Worker;
  });
});

describe.skipIf(!haveWeights)('useStyleTransfer life cycle', () => {
  let weights: VggWeights;
  let thread: JobWorkerThread | undefined;
  beforeAll(async () => {
    await import('@tensorflow/tfjs-backend-cpu');
    weights = await loadWeightsFrom(vggWeightsPath, 'vgg19-caffe');
  });
  afterAll(async () => {
    await thread?.terminate();
  });

  it('goes idle → starting → running → done, and says where it ran', async () => {
    const { latest, root, renders } = mount({ ...tiny, weights, worker: false });
    await act(async () => void latest().start(image(40, 30, 0), image(40, 30, 2)));
    await until(() => latest().status === 'done', 'done');
    const statuses = renders.map((r) => r.status).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses).toEqual(['idle', 'starting', 'running', 'done']);
    expect(latest()).toMatchObject({ runsIn: 'main-thread', runsInReason: 'worker: false was given', backend: 'cpu', progress: 1 });
    act(() => root.unmount());
  });

  it('a second start aborts the first job (its promise resolves undefined); cancel() then stops the second', async () => {
    const { latest, root } = mount({ ...tiny, iterations: 200, weights, worker: false });
    let first: Promise<RgbaImage | undefined> | undefined;
    await act(async () => void (first = latest().start(image(40, 30, 0), image(40, 30, 2))));
    await until(() => latest().progress > 0, 'progress of the first job');
    let second: Promise<RgbaImage | undefined> | undefined;
    await act(async () => void (second = latest().start(image(40, 30, 1), image(40, 30, 3))));
    await expect(first).resolves.toBeUndefined();
    await act(() => latest().cancel());
    await expect(second).resolves.toBeUndefined();
    expect(latest().status).toBe('cancelled');
    expect(latest().error).toBeUndefined();
    act(() => root.unmount());
  });

  it('surfaces errors: a bad option and an input that is no image end in status error', async () => {
    const bad = mount({ ...tiny, size: 3, weights, worker: false });
    await act(async () => void bad.latest().start(image(40, 30, 0), image(40, 30, 2)));
    await until(() => bad.latest().status === 'error', 'the option error');
    expect(bad.latest().error).toBeInstanceOf(InvalidOptionError);
    act(() => bad.root.unmount());

    const notImage = mount({ ...tiny, weights, worker: false });
    await act(async () => void notImage.latest().start(42 as never, image(40, 30, 2)));
    expect(notImage.latest().status).toBe('error');
    expect(notImage.latest().error).toBeInstanceOf(InvalidImageError);
    expect(notImage.latest().error?.message).toMatch(/content image \(42\) is not an image input/);
    act(() => notImage.root.unmount());
  });

  it('renders nothing after unmount, even while the aborted job winds down', async () => {
    const errors = vi.spyOn(console, 'error');
    const { latest, root, renders } = mount({ ...tiny, iterations: 200, weights, worker: false });
    let run: Promise<RgbaImage | undefined> | undefined;
    await act(async () => void (run = latest().start(image(40, 30, 0), image(40, 30, 2))));
    await until(() => latest().progress > 0, 'progress');
    act(() => root.unmount());
    const count = renders.length;
    await expect(run).resolves.toBeUndefined();
    await act(() => new Promise((r) => setTimeout(r, 200)));
    expect(renders.length).toBe(count);
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it('publishes progress and previews at most once per animation frame', async () => {
    let frames = 0;
    const raf = globalThis.requestAnimationFrame;
    globalThis.requestAnimationFrame = (cb) => raf((t) => (frames++, cb(t)));
    try {
      const { latest, root, renders } = mount({ ...tiny, iterations: 8, previewEvery: 1, weights, worker: false });
      await act(async () => void latest().start(image(40, 30, 0), image(40, 30, 2)));
      await until(() => latest().status === 'done', 'done');
      const running = renders.filter((r) => r.status === 'running');
      const previews = new Set(running.map((r) => r.preview).filter(Boolean));
      expect(previews.size).toBeGreaterThan(0);
      // Each running render after the first came from one frame callback.
      expect(new Set(running.map((r) => r.snapshot)).size).toBeLessThanOrEqual(frames + 1);
      act(() => root.unmount());
    } finally {
      globalThis.requestAnimationFrame = raf;
    }
  });

  it.skipIf(!haveWorkerEntry)('runs in a worker when given one: same result as in-thread for the same seed, worker ended on unmount', async () => {
    const expected = await stylize({ ...tiny, weights, content: image(40, 30, 0), style: image(40, 30, 2) }).result;
    let exited = false;
    const { latest, root } = mount({
      ...tiny,
      weights,
      worker: () => {
        thread = startJobWorkerThread({ entry: workerEntry });
        thread.worker.once('exit', () => (exited = true));
        return { channel: thread.channel, terminate: () => void thread!.terminate() };
      },
    });
    await act(async () => void latest().start(image(40, 30, 0), image(40, 30, 2)));
    await until(() => latest().status === 'done', 'done in the worker');
    expect(latest().runsIn).toBe('worker');
    expect(latest().result).toEqual(expected);
    act(() => root.unmount());
    await until(() => exited, 'the worker thread to end');
  });
});
