// Point 2: the CLI keeps no copy of core's rules. It leaves what the user did not give undefined,
// core's resolveOptions fills in the preset's defaults and checks every value (before any file is
// read: a bad value is a usage error), and stylize() gets the user's own values.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { QUALITY_PRESETS, type StyleTransferOptions } from '@strotss/core';
import { writeImageFile } from '@strotss/backend-node';
import { parseCliArgs, type RunArgs } from '../src/args.js';
import { resolveRunOptions } from '../src/run-options.js';
import { cli, jsonLines, solid, writeZeroVgg16 } from './helpers.js';

/** What the CLI passed to stylize(); the job it gets back finishes at once with a 4×4 image. */
const calls = vi.hoisted(() => ({ options: [] as unknown[] }));
vi.mock('@strotss/core', async (importOriginal) => {
  const core = await importOriginal<typeof import('@strotss/core')>();
  return {
    ...core,
    stylize: (options: StyleTransferOptions) => {
      calls.options.push(options);
      const image = { width: 4, height: 4, data: new Uint8ClampedArray(64).fill(255) };
      return { onEvent: () => () => undefined, result: Promise.resolve(image), getSnapshot: () => ({ status: 'done', progress: 1, seed: 42 }) };
    },
  };
});

const run = (...extra: string[]) => parseCliArgs(['c.png', 's.png', '-o', 'out.png', ...extra]) as RunArgs;

describe('--preset: the CLI fills in nothing, core does', () => {
  it('numbers not given stay undefined', () => {
    expect(run()).toMatchObject({ preset: undefined, size: undefined, iterations: undefined, scales: undefined, contentWeight: undefined, seed: undefined, sampler: undefined, previewEvery: undefined });
    expect(run('--preset', 'draft', '--iterations', '5')).toMatchObject({ preset: 'draft', size: undefined, iterations: 5, scales: undefined });
  });

  it("core's resolveOptions fills in each preset; explicit flags win", () => {
    expect(resolveRunOptions(run())).toMatchObject({ preset: 'reference', size: 512, iterations: 250, scales: undefined });
    expect(resolveRunOptions(run('--preset', 'fast'))).toMatchObject({ size: 512, iterations: QUALITY_PRESETS.fast.iterations, scales: undefined });
    expect(resolveRunOptions(run('--preset', 'draft'))).toMatchObject({ size: 256, iterations: 10, scales: 2 });
    expect(resolveRunOptions(run('--preset', 'draft', '--iterations', '5'))).toMatchObject({ iterations: 5, scales: 2 });
    expect(resolveRunOptions(run('--preset', 'draft', '--size', '512'))).toMatchObject({ size: 512, scales: undefined });
  });
});

describe('values core refuses are usage errors, worded with the flags, before any file is read', () => {
  it('--size 64 --scales 9: exit 2 with core message naming --scales and --size', async () => {
    const result = await cli(['missing.png', 'missing-too.png', '-o', 'o.png', '--size', '64', '--scales', '9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'strotss: --scales is 9 with --size 64: the first scale would be 0 px long, but the VGG needs at least 16. ' +
        "Use at most 3 scales, or a larger --size.\nRun 'strotss --help' for the options.\n",
    );
  });

  it('--json: the error line carries the code and core details', async () => {
    const result = await cli(['missing.png', 'missing-too.png', '-o', 'o.png', '--size', '64', '--scales', '9', '--json']);
    expect(result.code).toBe(2);
    expect(jsonLines(result.stdout)).toEqual([
      { type: 'error', code: 'INVALID_OPTION', message: expect.stringContaining('--scales is 9 with --size 64'), details: { option: 'scales', value: 9, fits: 3 } },
    ]);
  });

  it.each([
    [['--preset', 'quick'], "--preset is 'quick'; use one of reference, fast, draft."],
    [['--model', 'vgg11'], "--model is 'vgg11'; use one of vgg16, vgg19-caffe."],
    [['--sampler', 'bogus'], "--sampler is 'bogus'; use 'paired' or 'reference'."],
    [['--size', '8'], '--size is 8; the VGG needs a long side of at least 16 pixels'],
  ])('%j', async (flags, message) => {
    const result = await cli(['missing.png', 'missing-too.png', '-o', 'o.png', ...flags]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`strotss: ${message}`);
    expect(result.stderr).not.toContain('missing.png');
  });
});

describe('stylize() gets what the user gave, not the resolved values', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-cli-preset-'));
    await writeImageFile(join(dir, 'c.png'), solid(64, 48, [200, 120, 40]));
    await writeImageFile(join(dir, 's.png'), solid(48, 64, [30, 60, 220]));
    await writeZeroVgg16(join(dir, 'w.safetensors'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--preset draft --iterations 5: size, scales, seed … stay undefined for core to fill in', async () => {
    calls.options.length = 0;
    const argv = [join(dir, 'c.png'), join(dir, 's.png'), '-o', join(dir, 'o.png'), '--weights', join(dir, 'w.safetensors')];
    const result = await cli([...argv, '--backend', 'cpu', '--preset', 'draft', '--iterations', '5']);
    expect(result.code, result.stderr).toBe(0);
    expect(calls.options).toHaveLength(1);
    const options = calls.options[0] as StyleTransferOptions;
    expect(options).toMatchObject({ preset: 'draft', iterations: 5, model: 'vgg16', backend: 'cpu' });
    for (const key of ['size', 'scales', 'contentWeight', 'seed', 'sampler', 'previewEvery'] as const) expect(options[key], key).toBeUndefined();
  });

  it("the aspect-ratio pre-check uses the resolved values (draft's first scale is 128 px)", async () => {
    await writeImageFile(join(dir, 'wide.png'), solid(400, 40, [0, 0, 0]));
    const argv = [join(dir, 'wide.png'), join(dir, 's.png'), '-o', join(dir, 'o.png'), '--weights', join(dir, 'w.safetensors')];
    const result = await cli([...argv, '--preset', 'draft', '--model', 'vgg16']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('at the first scale (long side 128 px) it shrinks to 128×12');
  });
});
