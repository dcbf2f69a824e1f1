import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVggWeights, VGG19_CAFFE, WeightsError, writeSafetensors } from '@strotss/core';
import { fileByteSource, nodeByteSource, resolveWeightsLocation } from '../src/fs-byte-source.js';

// Tests run from the repository root; the shared weights live beside it (see /work/shared/weights/README.md).
const SHARED_DIR = resolve('../shared/weights/vgg19-caffe');
const SHARED_MODEL = join(SHARED_DIR, 'model.json');
const haveShared = existsSync(SHARED_MODEL);
if (!haveShared) console.warn(`Skipping the real VGG19 weights tests: ${SHARED_MODEL} is absent.`);

describe.skipIf(!haveShared)('shared VGG19 (Caffe) TF.js weights', () => {
  it('load through loadVggWeights with 16 convs of the right shapes', async () => {
    const weights = await loadVggWeights(VGG19_CAFFE, fileByteSource(), '../shared/weights/vgg19-caffe/model.json');
    const convs = VGG19_CAFFE.layers.filter((l) => l.kind === 'conv');
    expect(Object.keys(weights)).toEqual(convs.map((c) => c.name));
    expect(convs.length).toBe(16);
    for (const conv of convs) {
      expect(weights[conv.name].kernel.length, conv.name).toBe(9 * conv.inChannels * conv.outChannels);
      expect(weights[conv.name].bias.length, conv.name).toBe(conv.outChannels);
    }

    // block1_conv1/kernel is the first tensor of the manifest, so it starts shard 1.
    const handle = await open(join(SHARED_DIR, 'group1-shard1of26.bin'), 'r');
    const raw = new Uint8Array(4 * 3 * 3 * 3 * 64);
    await handle.read(raw, 0, raw.length, 0);
    await handle.close();
    const expected = new Float32Array(raw.buffer);
    expect(weights.conv1_1.kernel).toEqual(expected);
    expect(weights.conv1_1.kernel[0]).not.toBe(0);
  }, 60_000);

  it('resolves the folder to its model.json', async () => {
    expect(await resolveWeightsLocation(SHARED_DIR)).toBe(SHARED_MODEL);
  });
});

describe('fileByteSource', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-weights-'));
    await writeFile(join(dir, 'ten.bin'), Uint8Array.from({ length: 10 }, (_, i) => i));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads whole files and ranges, by path or file: URL', async () => {
    const source = fileByteSource();
    const path = join(dir, 'ten.bin');
    expect(Array.from(await source.read(path))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(await source.readRange!(pathToFileURL(path).href, 3, 6))).toEqual([3, 4, 5]);
    // Past the end: fewer bytes come back and the readers report the truncation.
    expect(Array.from(await source.readRange!(path, 8, 20))).toEqual([8, 9]);
    expect(source.resolve(join(dir, 'model.json'), 'group1-shard1of2.bin')).toBe(join(dir, 'group1-shard1of2.bin'));
  });

  it('names a missing file and the ways to point at weights', async () => {
    const missing = join(dir, 'nope', 'model.json');
    for (const attempt of [() => fileByteSource().read(missing), () => fileByteSource().readRange!(missing, 0, 8)]) {
      const error = await attempt().catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(WeightsError);
      expect((error as Error).message).toContain(missing);
      expect((error as Error).message).toContain('--weights');
      expect((error as Error).message).toContain('STROTSS_WEIGHTS');
    }
  });

  it('nodeByteSource reads local safetensors through ranges and keeps URLs for fetch', async () => {
    const path = join(dir, 'tiny.safetensors');
    await writeFile(path, writeSafetensors({ x: { shape: [2], values: new Float32Array([1, 2]) } }));
    const source = nodeByteSource();
    expect((await source.read(path)).length).toBeGreaterThan(8);
    expect(source.resolve('https://example.org/a/model.json', 'shard.bin')).toBe('https://example.org/a/shard.bin');
    expect(source.resolve(join(dir, 'model.json'), 'shard.bin')).toBe(join(dir, 'shard.bin'));
  });
});

describe('resolveWeightsLocation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-resolve-'));
    for (const sub of ['tfjs', 'one', 'two', 'none']) await mkdir(join(dir, sub));
    await writeFile(join(dir, 'tfjs', 'model.json'), '{}');
    await writeFile(join(dir, 'tfjs', 'extra.safetensors'), '');
    await writeFile(join(dir, 'one', 'vgg16.safetensors'), '');
    await writeFile(join(dir, 'two', 'a.safetensors'), '');
    await writeFile(join(dir, 'two', 'b.safetensors'), '');
    await writeFile(join(dir, 'none', 'readme.txt'), '');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('picks model.json, else the single .safetensors, and passes files and URLs through', async () => {
    expect(await resolveWeightsLocation(join(dir, 'tfjs'))).toBe(join(dir, 'tfjs', 'model.json'));
    expect(await resolveWeightsLocation(join(dir, 'one'))).toBe(join(dir, 'one', 'vgg16.safetensors'));
    expect(await resolveWeightsLocation(pathToFileURL(join(dir, 'one')).href)).toBe(join(dir, 'one', 'vgg16.safetensors'));
    expect(await resolveWeightsLocation(join(dir, 'one', 'vgg16.safetensors'))).toBe(join(dir, 'one', 'vgg16.safetensors'));
    expect(await resolveWeightsLocation('https://example.org/vgg16.safetensors')).toBe('https://example.org/vgg16.safetensors');
  });

  it('explains what it looked for when a folder holds no weights or several', async () => {
    await expect(resolveWeightsLocation(join(dir, 'none'))).rejects.toThrow(/model\.json.*single \*\.safetensors.*readme\.txt/);
    await expect(resolveWeightsLocation(join(dir, 'two'))).rejects.toThrow(/a\.safetensors, b\.safetensors/);
    await expect(resolveWeightsLocation(join(dir, 'missing'))).rejects.toBeInstanceOf(WeightsError);
  });
});
