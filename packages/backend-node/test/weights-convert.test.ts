// The shared VGG19 (Caffe) TF.js weights through the convert → cache → load path give exactly the weights
// and the taps of the direct load; float16 conversion halves the size and stays close.

import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convLayers, loadCompactWeights, parseSafetensorsHeader, resolveBackend, tf, VGG19_CAFFE, VggFeatureExtractor, type VggWeights } from '@strotss/core';
import { FileSystemWeightsCache } from '../src/fs-weights-cache.js';
import { convertWeightsFile, loadWeightsFrom } from '../src/weights.js';

const SHARED_DIR = resolve('../shared/weights/vgg19-caffe');
const haveShared = existsSync(join(SHARED_DIR, 'model.json'));
if (!haveShared) console.warn(`Skipping the VGG19 convert/cache tests: ${SHARED_DIR}/model.json is absent.`);

/** A smooth 36×32 RGB image in [0,1] as a [1,H,W,3] tensor. */
function testImage(): tf.Tensor4D {
  const h = 32;
  const w = 36;
  const values = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) values[(y * w + x) * 3 + c] = 0.5 + 0.45 * Math.sin(x / (3 + c) + y / 5 + c);
  return tf.tensor4d(values, [1, h, w, 3]);
}

/** Returns every VGG tap of the test image under `weights`, as arrays. */
function taps(weights: VggWeights): Float32Array[] {
  const extractor = new VggFeatureExtractor(VGG19_CAFFE, weights);
  try {
    const image = testImage();
    const maps = extractor.featureMaps(image);
    const out = maps.map((m) => m.dataSync() as Float32Array);
    tf.dispose([image, ...maps]);
    return out;
  } finally {
    extractor.dispose();
  }
}

const bits = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe.skipIf(!haveShared)('vgg19-caffe through convert and the cache', () => {
  let dir: string;
  let direct: VggWeights;
  let directTaps: Float32Array[];

  beforeAll(async () => {
    // wasm: the fastest backend always present here; identical weights give identical taps on any backend.
    await import('../src/index.js');
    await resolveBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'strotss-convert-'));
    direct = await loadWeightsFrom(SHARED_DIR, 'vgg19-caffe');
    directTaps = taps(direct);
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('float32: identical weights and identical taps, bit for bit', async () => {
    const cache = new FileSystemWeightsCache(join(dir, 'cache'));
    const { entry, path } = await convertWeightsFile(SHARED_DIR, { cache }); // model inferred from the names
    expect(entry.model).toBe('vgg19-caffe');
    expect(entry.source).toBe(`file://${join(SHARED_DIR, 'model.json')}`);
    expect(path).toBe(cache.pathOf(entry));
    expect(await cache.keys()).toEqual([entry]);

    const bytes = (await cache.get(entry))!;
    expect(bytes.length).toBe(entry.size);
    const header = parseSafetensorsHeader(bytes);
    expect(Object.keys(header.tensors)).toHaveLength(2 * convLayers(VGG19_CAFFE).length); // only the 16 convs used
    expect(header.metadata).toMatchObject({ strotss_format: 'strotss-vgg/1', model: 'vgg19-caffe' });

    const cached = await loadCompactWeights(VGG19_CAFFE, bytes, path);
    for (const conv of convLayers(VGG19_CAFFE)) {
      expect(bits(cached[conv.name].kernel).equals(bits(direct[conv.name].kernel)), conv.name).toBe(true);
      expect(bits(cached[conv.name].bias).equals(bits(direct[conv.name].bias)), conv.name).toBe(true);
    }
    const cachedTaps = taps(cached);
    expect(cachedTaps).toHaveLength(VGG19_CAFFE.taps.length);
    cachedTaps.forEach((t, i) => expect(bits(t).equals(bits(directTaps[i])), VGG19_CAFFE.taps[i]).toBe(true));

    // The cached file is also an ordinary --weights file.
    const viaPath = await loadWeightsFrom(path, 'vgg19-caffe');
    expect(bits(viaPath.conv5_4.kernel).equals(bits(direct.conv5_4.kernel))).toBe(true);
  }, 120_000);

  it('float16: half the bytes, taps within 0.1% (relative RMS) of the float32 ones', async () => {
    const f32 = join(dir, 'vgg19-f32.safetensors');
    const f16 = join(dir, 'vgg19-f16.safetensors');
    await convertWeightsFile(SHARED_DIR, { output: f32 });
    const { entry } = await convertWeightsFile(SHARED_DIR, { output: f16, float16: true });
    const [size32, size16] = [(await stat(f32)).size, (await stat(f16)).size];
    expect(size16).toBe(entry.size);
    expect(size16 / size32).toBeGreaterThan(0.49);
    expect(size16 / size32).toBeLessThan(0.51);

    const half = await loadWeightsFrom(f16, 'vgg19-caffe');
    const halfTaps = taps(half);
    const errors = halfTaps.map((t, i) => {
      const ref = directTaps[i];
      let num = 0;
      let den = 0;
      for (let k = 0; k < t.length; k++) {
        num += (t[k] - ref[k]) ** 2;
        den += ref[k] ** 2;
      }
      return Math.sqrt(num / den);
    });
    console.log(`float16 weights: relative RMS tap error per tap ${errors.map((e) => e.toExponential(1)).join(', ')}`);
    for (const e of errors) expect(e).toBeLessThan(1e-3);
    expect(Math.max(...errors)).toBeGreaterThan(0); // it really is float16
  }, 120_000);
});
