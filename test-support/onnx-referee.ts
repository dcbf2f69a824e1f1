// Test-only referee: onnxruntime-web (wasm, in Node) runs the feature extractor exported by
// exportFeatureExtractorOnnx and every tap is compared with the same taps computed by TF.js on
// the active backend. A layout mistake (HWIO/OIHW, BGR/RGB, padding, pooling) shows up here
// even when every TF.js backend agrees with itself.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-web';
import {
  tf,
  exportFeatureExtractorOnnx,
  loadVggWeights,
  onnxTapOutputNames,
  ONNX_INPUT_NAME,
  VggFeatureExtractor,
  VGG19_CAFFE,
  type ByteSource,
  type FeatureExtractorPreset,
  type VggWeights,
} from '@strotss/core';

export const sharedDir = fileURLToPath(new URL('../../shared/', import.meta.url));
export const vggWeightsPath = `${sharedDir}weights/vgg19-caffe/model.json`;

/** Worst error relative to the tap's max |value| allowed for a 32-bit-float TF.js backend. */
export const FP32_TAP_TOLERANCE = 1e-5;

/** An RGB image in [0,1]: `rgb` is row-major HWC float32, `height × width × 3`. */
export interface RefereeImage {
  width: number;
  height: number;
  rgb: Float32Array;
}

/** How one tap of TF.js compares with onnxruntime's. */
export interface TapComparison {
  /** Output name: `rgb` or the conv name (`conv1_1`, …). */
  name: string;
  /** NCHW shape of onnxruntime's output. */
  shape: number[];
  /** max |tfjs − onnx| over the tap, in the tap's units (× featureScale for VGG taps). */
  maxAbsError: number;
  /** max |onnx| over the tap. */
  tapMaxAbs: number;
  /** maxAbsError / tapMaxAbs (0 when both are 0, Infinity when only the error is not). */
  relativeError: number;
  tolerance: number;
  ok: boolean;
}

const localFiles: ByteSource = {
  read: async (p) => new Uint8Array(await readFile(p)),
  resolve: (base, rel) => fileURLToPath(new URL(rel, `file://${base}`)),
};

/** Returns the real VGG19-Caffe weights from ../shared, or undefined (with a printed reason) when absent. */
export async function loadSharedVgg19Weights(label: string): Promise<VggWeights | undefined> {
  if (!existsSync(vggWeightsPath)) {
    console.warn(`[${label}] VGG19 weights not found at ${vggWeightsPath}: ONNX referee tests on real weights skipped`);
    return undefined;
  }
  return loadVggWeights(VGG19_CAFFE, localFiles, vggWeightsPath);
}

/**
 * Returns a deterministic test image: smooth colour ramps, hard-edged shapes (so padding and
 * pooling boundaries matter) and a little seeded noise.
 */
export function refereeImage(width: number, height: number, seed = 1): RefereeImage {
  const rgb = new Float32Array(width * height * 3);
  let s = (seed * 2654435761) >>> 0 || 1;
  const noise = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = x / Math.max(1, width - 1);
      const v = y / Math.max(1, height - 1);
      const inDisc = (u - 0.6) ** 2 + (v - 0.4) ** 2 < 0.06;
      const inBar = u > 0.15 && u < 0.3;
      const base = [0.2 + 0.6 * u, 0.8 - 0.5 * v, 0.5 + 0.4 * Math.sin(6 * u + 4 * v)];
      const shape = inDisc ? [0.95, 0.1, 0.15] : inBar ? [0.05, 0.05, 0.9] : base;
      for (let c = 0; c < 3; c++) {
        rgb[(y * width + x) * 3 + c] = Math.min(1, Math.max(0, shape[c] + 0.04 * noise()));
      }
    }
  }
  return { width, height, rgb };
}

let ortConfigured = false;

/** Sets onnxruntime-web up for Node once: wasm, one thread (no worker), its own dist folder for the .wasm files. */
function configureOrt(): void {
  if (ortConfigured) return;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = fileURLToPath(new URL('../node_modules/onnxruntime-web/dist/', import.meta.url));
  ortConfigured = true;
}

/** An onnxruntime session over one exported extractor, comparing its taps with the active TF.js backend's. */
export interface OnnxReferee {
  /** Runs both on `image`; returns one comparison per tap, `rgb` first. Does not assert. */
  compare(image: RefereeImage, options?: { tolerance?: number }): Promise<TapComparison[]>;
  /** Frees the onnxruntime session and the TF.js weights. */
  release(): Promise<void>;
}

/**
 * Returns a referee for `preset` with `weights`: exports the ONNX model (or takes `options.onnxModel`,
 * e.g. a deliberately broken one) and opens an onnxruntime-web wasm session on it.
 */
export async function createOnnxReferee(
  preset: FeatureExtractorPreset,
  weights: VggWeights,
  options: { onnxModel?: Uint8Array } = {},
): Promise<OnnxReferee> {
  configureOrt();
  const model = options.onnxModel ?? exportFeatureExtractorOnnx(preset, weights);
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'] });
  const outputNames = onnxTapOutputNames(preset);
  expectSameNames(session.outputNames, outputNames);
  // One TF.js extractor per backend: its weights live on the backend that was active when it was
  // made. The active backend's is made now, so compare() allocates no long-lived tensors.
  const extractors = new Map<string, VggFeatureExtractor>([[tf.getBackend(), new VggFeatureExtractor(preset, weights)]]);

  return {
    async compare(image, options = {}) {
      checkImage(image);
      const backend = tf.getBackend();
      const tolerance = options.tolerance ?? defaultTolerance(backend);
      if (!extractors.has(backend)) extractors.set(backend, new VggFeatureExtractor(preset, weights));
      const extractor = extractors.get(backend)!;

      const { width: w, height: h, rgb } = image;
      const nchw = new Float32Array(3 * h * w);
      for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) nchw[c * h * w + p] = rgb[p * 3 + c];
      const feeds = { [ONNX_INPUT_NAME]: new ort.Tensor('float32', nchw, [1, 3, h, w]) };
      const onnxOut = await session.run(feeds);

      // TF.js taps exactly as the hypercolumns see them: raw RGB, then maps × featureScale.
      const nhwc = tf.tensor4d(rgb, [1, h, w, 3]);
      const tfTaps = tf.tidy(() =>
        extractor.taps(nhwc).map((t) => (t.scale === undefined ? t.map : tf.mul(t.map, t.scale))),
      );
      const tfValues = await Promise.all(tfTaps.map((t) => t.data() as Promise<Float32Array>));
      const tfShapes = tfTaps.map((t) => t.shape);
      tf.dispose([nhwc, ...tfTaps]);

      return outputNames.map((name, i) => {
        const out = onnxOut[name];
        const shape = out.dims.map(Number);
        const result = compareNchwWithNhwc(name, out.data as Float32Array, shape, tfValues[i], tfShapes[i], tolerance);
        out.dispose();
        return result;
      });
    },
    async release() {
      for (const e of extractors.values()) e.dispose();
      extractors.clear();
      await session.release();
    },
  };
}

/** Returns the taps' comparison for one image on the active TF.js backend (one-shot: exports, runs, releases). */
export async function compareTapsWithOnnx(options: {
  preset: FeatureExtractorPreset;
  weights: VggWeights;
  image: RefereeImage;
  tolerance?: number;
}): Promise<TapComparison[]> {
  const referee = await createOnnxReferee(options.preset, options.weights);
  try {
    return await referee.compare(options.image, { tolerance: options.tolerance });
  } finally {
    await referee.release();
  }
}

/** Returns the default tolerance for the active backend: 1e-5 of the tap's max for 32-bit floats. */
function defaultTolerance(backend: string): number {
  const bits = tf.backend().floatPrecision();
  if (bits === 32) return FP32_TAP_TOLERANCE;
  throw new RangeError(
    `The ${backend} backend computes in ${bits}-bit floats; no default ONNX referee tolerance is measured for it. Pass { tolerance }.`,
  );
}

/** Returns the comparison of an NCHW onnxruntime output with an NHWC TF.js tap of the same image. */
function compareNchwWithNhwc(
  name: string,
  onnx: Float32Array,
  onnxShape: number[],
  tfjs: Float32Array,
  tfShape: number[],
  tolerance: number,
): TapComparison {
  const [n, c, h, w] = onnxShape;
  const [tn, th, tw, tc] = tfShape;
  if (onnxShape.length !== 4 || n !== tn || c !== tc || h !== th || w !== tw) {
    throw new Error(
      `Tap ${name}: onnxruntime gave NCHW [${onnxShape}], TF.js NHWC [${tfShape}]; the exported graph's layers do not match the extractor's.`,
    );
  }
  let maxAbsError = 0;
  let tapMaxAbs = 0;
  let nonFinite = false;
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < h * w; p++) {
      const a = onnx[ch * h * w + p];
      const b = tfjs[p * c + ch];
      if (!Number.isFinite(a) || !Number.isFinite(b)) nonFinite = true;
      const d = Math.abs(a - b);
      if (d > maxAbsError) maxAbsError = d;
      if (Math.abs(a) > tapMaxAbs) tapMaxAbs = Math.abs(a);
    }
  }
  if (nonFinite) maxAbsError = Infinity;
  const relativeError = maxAbsError === 0 ? 0 : tapMaxAbs === 0 ? Infinity : maxAbsError / tapMaxAbs;
  return { name, shape: onnxShape, maxAbsError, tapMaxAbs, relativeError, tolerance, ok: relativeError <= tolerance };
}

/** Throws unless the image's sizes and buffer agree. */
function checkImage(image: RefereeImage): void {
  const { width, height, rgb } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || rgb.length !== width * height * 3) {
    throw new RangeError(
      `Referee image ${width}×${height} has ${rgb?.length} values; it needs width·height·3 = ${width * height * 3} (RGB HWC).`,
    );
  }
}

/** Throws unless onnxruntime reports the outputs the exporter promises, in order. */
function expectSameNames(actual: readonly string[], expected: readonly string[]): void {
  if (actual.join() !== expected.join()) {
    throw new Error(`The exported model's outputs are [${actual}], expected [${expected}].`);
  }
}

/** Returns printable lines (tab-separated, for bench/RESULTS.md) of one comparison. */
export function formatTapComparisons(label: string, results: readonly TapComparison[]): string {
  const rows = results.map(
    (r) =>
      `${label}\t${r.name}\t[${r.shape.join('×')}]\tmax abs ${r.maxAbsError.toExponential(2)}\t` +
      `rel ${r.relativeError.toExponential(2)}\ttol ${r.tolerance}\t${r.ok ? 'ok' : 'FAIL'}`,
  );
  const worst = results.reduce((a, b) => (b.relativeError > a.relativeError ? b : a));
  return `${rows.join('\n')}\n${label}\tworst\t${worst.name}\trel ${worst.relativeError.toExponential(2)}`;
}

/** Options of describeOnnxReferee. */
export interface DescribeOnnxRefereeOptions {
  /** Extractor and weights to check; default VGG19-Caffe with the shared real weights (skipped with a warning when absent). */
  model?: { label: string; preset: FeatureExtractorPreset; weights: () => VggWeights | Promise<VggWeights | undefined> };
  /** Image sizes `[width, height]`; default 64×48 and the odd, portrait 33×47. */
  sizes?: ReadonlyArray<readonly [number, number]>;
  /** Allowed max error relative to each tap's max; default 1e-5 on 32-bit-float backends. */
  tolerance?: number;
}

/**
 * Declares vitest tests checking every tap of `backend` (selected by `activate`) against
 * onnxruntime-web at each size; prints the per-tap worst errors. One line per backend test file.
 */
export function describeOnnxReferee(backend: string, activate: () => Promise<unknown>, options: DescribeOnnxRefereeOptions = {}): void {
  const model = options.model ?? { label: 'vgg19-caffe (real weights)', preset: VGG19_CAFFE, weights: () => loadSharedVgg19Weights(backend) };
  const sizes = options.sizes ?? [
    [64, 48],
    [33, 47],
  ];
  const haveDefaultWeights = options.model !== undefined || existsSync(vggWeightsPath);
  if (!haveDefaultWeights) console.warn(`[${backend}] VGG19 weights not found at ${vggWeightsPath}: ONNX referee skipped`);

  describe.skipIf(!haveDefaultWeights)(`onnxruntime-web referee for ${model.label} taps on the ${backend} backend`, () => {
    let referee: OnnxReferee | undefined;
    beforeAll(async () => {
      await activate();
      const weights = await model.weights();
      if (!weights) throw new Error(`No weights for ${model.label}`);
      referee = await createOnnxReferee(model.preset, weights);
    });
    afterAll(async () => {
      await referee?.release();
    });
    for (const [width, height] of sizes) {
      it(`taps equal onnxruntime-web's at ${width}×${height}`, async () => {
        expect(tf.getBackend()).toBe(backend);
        const before = tf.memory().numTensors;
        const results = await referee!.compare(refereeImage(width, height), { tolerance: options.tolerance });
        console.log(`onnxruntime-web referee, ${model.label}, ${backend} backend, ${width}×${height}:\n` +
          formatTapComparisons(`${backend} ${width}x${height}`, results));
        expect(results.map((r) => r.name)).toEqual(onnxTapOutputNames(model.preset));
        for (const r of results) {
          expect.soft(r.relativeError, `${r.name}: max abs ${r.maxAbsError} of max ${r.tapMaxAbs}`).toBeLessThanOrEqual(r.tolerance);
        }
        // The raw RGB tap is the input passed through on both sides: bit-exact.
        expect(results[0].maxAbsError).toBe(0);
        expect(tf.memory().numTensors, 'tensors leaked by the comparison').toBe(before);
      });
    }
  });
}
