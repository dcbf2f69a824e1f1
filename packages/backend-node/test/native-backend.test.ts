import { describe, expect, it } from 'vitest';
import {
  tf,
  describeBackends,
  FEATURE_EXTRACTORS,
  imageObjective,
  imageObjectiveOnOps,
  listBackends,
  resolveBackend,
  stylize,
  VggFeatureExtractor,
  WorkloadTooLargeError,
  type BackendWorkload,
  type RgbaImage,
} from '@strotss/core';
import { prepareStyleSamples, disposeStyleSamples } from '@strotss/core/ops';
import {
  checkWasmWorkload,
  createNativeBackend,
  nativeBackendStats,
  registerNodeBackends,
  resolveNativeOptions,
  WASM_HEAP_LIMIT,
  WASM_MEMORY,
} from '@strotss/backend-node';
import { workloadBytes } from '@strotss/core';
import { seededVggWeights } from '../../../test-support/seeded.js';

/** A smooth RGBA test image (gradients and a disc), `w × h`. */
function testImage(w: number, h: number, phase: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = 4 * (y * w + x);
      const disc = (x - w / 2) ** 2 + (y - h / 2) ** 2 < (h / 3) ** 2 ? 80 : 0;
      data[p] = (255 * x) / w;
      data[p + 1] = (128 + 127 * Math.sin(phase + y / 5)) | 0;
      data[p + 2] = disc + ((x * y) % 97);
      data[p + 3] = 255;
    }
  }
  return { width: w, height: h, data };
}

const weights = seededVggWeights(11, { spread: 0.3, heScaled: true });
const content = testImage(60, 44, 0);
const style = testImage(48, 48, 2);

describe('native backend: registration and settings', () => {
  it('is registered between webgpu and wasm, and reports why it is unavailable when onnxruntime-node cannot load', async () => {
    expect(listBackends().map((b) => b.id)).toEqual(['tensorflow', 'native', 'wasm', 'cpu']);
    const broken = createNativeBackend(async () => undefined, {}, () => ({ reason: 'onnxruntime-node is not installed (npm install onnxruntime-node)' }));
    expect(await broken.isSupported()).toBe(false);
    expect(await broken.unsupportedReason?.()).toMatch(/onnxruntime-node is not installed/);
    await expect(broken.init()).rejects.toThrow(/onnxruntime-node is not installed/);
  });

  it('takes its settings from one options object, environment variables filling the defaults', () => {
    expect(resolveNativeOptions({}, { STROTSS_NATIVE_THREADS: '3' }).threads).toBe(3);
    expect(resolveNativeOptions({ threads: 1 }, { STROTSS_NATIVE_THREADS: '3' }).threads).toBe(1);
    expect(resolveNativeOptions({}, { STROTSS_NATIVE_SPINNING: '0' }).spinning).toBe(false);
    expect(() => resolveNativeOptions({}, { STROTSS_NATIVE_THREADS: 'many' })).toThrow(/STROTSS_NATIVE_THREADS must be an integer from 1 to 256, got "many"/);
  });

  it('registerNodeBackends leaves out a backend set to false and puts the defaults back', async () => {
    registerNodeBackends({ native: false, tensorflow: false });
    expect(listBackends().map((b) => b.id)).toEqual(['wasm', 'cpu']);
    registerNodeBackends();
    expect((await describeBackends()).find((b) => b.id === 'native')?.available).toBe(true);
  });
});

describe('native backend: jobs', () => {
  it('runs the fused kernels, and the same seed gives the same image and losses (deterministic on several threads)', async () => {
    const run = async () => {
      const losses: number[] = [];
      const job = stylize({ content, style, weights, model: 'vgg16', size: 48, scales: 2, iterations: 3, seed: 5, backend: 'native' });
      job.onEvent((e) => e.type === 'step' && losses.push(e.loss));
      const image = await job.result;
      expect(job.getSnapshot().backend).toBe('native');
      expect(job.leakedTensors).toBe(0);
      return { image, losses };
    };
    const before = nativeBackendStats();
    const a = await run();
    const after = nativeBackendStats()!;
    // 2 scales × 3 iterations through the fused image objective; per scale one content and one style lookup.
    expect(after.runs.StrotssImageObjective - (before?.runs.StrotssImageObjective ?? 0)).toBe(6);
    expect(after.runs.StrotssHypercolumns - (before?.runs.StrotssHypercolumns ?? 0)).toBe(4);
    const b = await run();
    // The second job has equal weights: it reuses the first one's sessions (none built or loaded again).
    expect(nativeBackendStats()!.sessionsCreated).toBe(after.sessionsCreated);
    expect(b.losses).toEqual(a.losses);
    expect(Buffer.from(b.image.data).equals(Buffer.from(a.image.data))).toBe(true);
  });

  it('its fused image objective (VGG, lookups, two regions, terms, backward) equals the ops path on the same backend', async () => {
    await resolveBackend('native');
    const extractor = new VggFeatureExtractor(FEATURE_EXTRACTORS.vgg16, weights);
    const before = tf.memory().numTensors;
    const image = tf.randomUniform([1, 40, 56, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const styleImage = tf.randomUniform([1, 36, 36, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const pick = (n: number, h: number, w: number, seed: number) => ({
      rows: Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % h),
      cols: Int32Array.from({ length: n }, (_, i) => (i * 13 + 3 * seed) % w),
    });
    const sets = [pick(300, 40, 56, 1), pick(200, 40, 56, 2)];
    const contents = extractor.lookUp(image, sets.map((locations) => ({ locations, mode: 'bilinear' as const })));
    const styles = extractor
      .lookUp(styleImage, [pick(400, 36, 36, 5), pick(350, 36, 36, 6)].map((locations) => ({ locations, mode: 'nearest' as const })))
      .map(prepareStyleSamples);
    const regions = sets.map((locations, r) => ({ locations, content: contents[r], style: styles[r] }));
    const x = tf.randomUniform([1, 40, 56, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const fused = tf.valueAndGrad((v: tf.Tensor) => tf.squeeze(tf.slice(imageObjective(extractor, v as tf.Tensor4D, regions, 8), [0], [1])) as tf.Scalar)(x);
    const ops = tf.valueAndGrad((v: tf.Tensor) => tf.squeeze(tf.slice(imageObjectiveOnOps(extractor, v as tf.Tensor4D, regions, 8), [0], [1])) as tf.Scalar)(x);
    const [fv, ov] = [(await fused.value.data())[0], (await ops.value.data())[0]];
    expect(Math.abs(fv - ov) / Math.abs(ov)).toBeLessThan(1e-5);
    const fg = (await fused.grad.data()) as Float32Array;
    const og = (await ops.grad.data()) as Float32Array;
    let num = 0;
    let den = 0;
    for (let i = 0; i < og.length; i++) {
      num += (fg[i] - og[i]) ** 2;
      den += og[i] ** 2;
    }
    expect(Math.sqrt(num / den)).toBeLessThan(1e-4);
    tf.dispose([fused.value, fused.grad, ops.value, ops.grad, image, styleImage, x, ...contents]);
    styles.forEach(disposeStyleSamples);
    expect(tf.memory().numTensors).toBe(before);
    extractor.dispose();
  });

  it('refuses a job larger than this machine can hold before it starts, naming the size that fits', async () => {
    const job = stylize({ content, style, weights, model: 'vgg16', size: 60_000, scales: 1, iterations: 1, seed: 1, backend: 'native' });
    const error = (await job.result.catch((e: unknown) => e)) as WorkloadTooLargeError;
    expect(error).toBeInstanceOf(WorkloadTooLargeError);
    expect(error.message).toMatch(/size 60000 is too large here: the style image becomes 60000×60000 at the last scale, and the job needs about [\d.]+ GiB, over 90 % of this machine's memory/);
    expect(error.details.fits).toBeGreaterThan(1000);
    expect(error.details.fits).toBeLessThan(60_000);
    expect(job.getSnapshot().status).toBe('error');
  });
});

describe('wasm memory check', () => {
  const workload = (size: number, w: number, h: number, model: 'vgg16' | 'vgg19-caffe'): BackendWorkload => ({
    size,
    channels: 64,
    bytesPerElement: 4,
    model: FEATURE_EXTRACTORS[model],
    imagesAt: (long) => {
      const f = long / Math.max(w, h);
      return [{ label: 'content', width: Math.trunc(w * f), height: Math.trunc(h * f) }];
    },
  });

  it('takes a 1024 px 4:3 VGG16 job (measured to complete) and refuses a square 1024 px VGG19 one (measured to stall), naming the size that fits', () => {
    expect(() => checkWasmWorkload(workload(1024, 1024, 768, 'vgg16'))).not.toThrow();
    let error: WorkloadTooLargeError | undefined;
    try {
      checkWasmWorkload(workload(1024, 1024, 1024, 'vgg19-caffe'));
    } catch (e) {
      error = e as WorkloadTooLargeError;
    }
    expect(error).toBeInstanceOf(WorkloadTooLargeError);
    const fits = error!.details.fits!;
    expect(workloadBytes(workload(fits, 1024, 1024, 'vgg19-caffe'), WASM_MEMORY)).toBeLessThanOrEqual(WASM_HEAP_LIMIT);
    expect(workloadBytes(workload(fits + 1, 1024, 1024, 'vgg19-caffe'), WASM_MEMORY)).toBeGreaterThan(WASM_HEAP_LIMIT);
    expect(error!.message).toMatch(new RegExp(`Use size ${fits} or less, or use the native backend \\(backend native\\)`));
    expect(error!.describe({ option: (n) => `--${n}`, input: (_n, d) => d })).toContain(`Use --size ${fits} or less, or use the native backend (--backend native)`);
  });
});
