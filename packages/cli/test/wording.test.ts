// Point 3: every error the CLI prints is core's StrotssError worded for the CLI (flags, the paths the
// user gave); the JSON error line carries the code and the structured details.

import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findRegions, InvalidOptionError, optionOr, StrotssError } from '@strotss/core';
import { writeImageFile } from '@strotss/backend-node';
import { cliWording, cliWordingFor } from '../src/wording.js';
import { cli, jsonLines, solid, writeZeroVgg16 } from './helpers.js';

describe('cliWording', () => {
  it('names every option the CLI has by its flag', () => {
    const flags = {
      size: '--size',
      contentWeight: '--content-weight',
      iterations: '--iterations',
      scales: '--scales',
      seed: '--seed',
      sampler: '--sampler',
      model: '--model',
      preset: '--preset',
      weights: '--weights',
      offline: '--offline',
      backend: '--backend',
      previewEvery: '--preview-every',
      guidance: '--guidance',
      'guidance.content': '--guidance',
      'guidance.style': '--guidance',
    };
    for (const [name, flag] of Object.entries(flags)) expect(cliWording.option(name), name).toBe(flag);
  });

  it('has no name for the options the CLI has no knob for', () => {
    for (const name of ['maxPixels', 'minRegionPixels', 'guidance.minRegionPixels', 'format', 'cosineEpsilon', 'samplesPerStep', 'styleDraws', 'styleSamplesPerDraw', 'pyramidLevels', 'samplingPlan', 'signal', 'toString', '']) {
      expect(cliWording.option(name), name).toBeUndefined();
    }
  });

  it('names the inputs with the paths the user gave', () => {
    const wording = cliWordingFor({ content: 'examples/content/chelsea.png', style: 's.jpg', 'guidance.content': 'cm.png', 'guidance.style': 'sm.png' });
    expect(wording.input('content', 'content image')).toBe('content image examples/content/chelsea.png');
    expect(wording.input('style', 'style image')).toBe('style image s.jpg');
    expect(wording.input('guidance.content', 'content guidance')).toBe('content guidance cm.png');
    expect(wording.input('guidance.style', 'style guidance')).toBe('style guidance sm.png');
    expect(cliWording.input('content', 'content image')).toBe('content image');
  });

  it("an error about minRegionPixels is worded without that name (the CLI has no such knob)", () => {
    const mask = solid(48, 64, [255, 0, 0]); // 3 072 pixels of one colour: no region above 10 000
    let error: unknown;
    try {
      findRegions({ content: mask, style: mask });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StrotssError);
    const core = error as StrotssError;
    expect(core.message).toContain('guidance.minRegionPixels'); // the API's wording offers the option
    const worded = core.describe(cliWordingFor({ 'guidance.style': 'sm.png' }));
    expect(worded).toContain('The style guidance sm.png has no colour on more than 10000 pixels');
    expect(worded).not.toMatch(/minRegionPixels/);

    const option = new InvalidOptionError((w) => `Too few pixels per region; lower ${optionOr(w, 'minRegionPixels', 'nothing: paint larger regions')}.`, {
      details: { option: 'minRegionPixels', value: 5 },
    });
    expect(option.message).toBe('Too few pixels per region; lower minRegionPixels.');
    expect(option.describe(cliWording)).toBe('Too few pixels per region; lower nothing: paint larger regions.');
  });

  it('no message in packages/cli/src names an API-only knob', () => {
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    for (const file of readdirSync(src).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(join(src, file), 'utf8');
      expect(text, file).not.toMatch(/maxPixels|minRegionPixels|format: ["']tfjs["']|cosineEpsilon|samplesPerStep/);
    }
  });
});

describe('core errors printed by the CLI name the files the user gave (stderr and JSON)', () => {
  let dir: string;
  const path = (name: string) => join(dir, name);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-cli-wording-'));
    await writeImageFile(path('c.png'), solid(64, 48, [200, 120, 40]));
    await writeImageFile(path('s.png'), solid(48, 64, [30, 60, 220]));
    await writeImageFile(path('tall-mask.png'), solid(10, 40, [255, 0, 0]));
    await writeImageFile(path('small-mask.png'), solid(48, 64, [255, 0, 0]));
    await writeImageFile(path('content-mask.png'), solid(64, 48, [255, 0, 0]));
    await writeZeroVgg16(path('w.safetensors'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const job = (...extra: string[]) => [path('c.png'), path('s.png'), '-o', path('o.png'), '--weights', path('w.safetensors'), '--backend', 'cpu', '--model', 'vgg16', ...extra];

  it('a mask of the wrong shape: names the mask and the image by their paths', async () => {
    const run = await cli(job('--guidance', path('tall-mask.png'), path('s.png'), '--json'));
    expect(run.code).toBe(1);
    const message = `The content guidance ${path('tall-mask.png')} is 10×40 but the content image ${path('c.png')} is 64×48`;
    expect(run.stderr).toContain(`strotss: ${message}`);
    const error = jsonLines(run.stdout).find((l) => l.type === 'error');
    expect(error).toMatchObject({ type: 'error', code: 'INVALID_IMAGE', details: { option: 'guidance.content', value: '10×40' } });
    expect(error?.message).toContain(message);
  });

  it('a style mask with no region: no minRegionPixels in the message', async () => {
    const run = await cli(job('--guidance', path('content-mask.png'), path('small-mask.png')));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`The style guidance ${path('small-mask.png')} has no colour on more than 10000 pixels`);
    expect(run.stderr).not.toContain('minRegionPixels');
  });
});
