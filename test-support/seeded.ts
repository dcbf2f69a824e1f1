// Seeded test data shared by the packages' tests: a small PRNG and VGG weights that need no file.
import { convLayers, FEATURE_EXTRACTORS, type ConvWeights, type FeatureExtractorId, type RgbaImage, type VggWeights } from '@strotss/core';

/** mulberry32: a tiny 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeded VGG weights of `model`: uniform in ±`spread`/2 (× He scaling 1/√(9·in)/0.15 when `heScaled`),
 * biases ×0.1 of that; for tests about the code, not the picture.
 */
export function seededVggWeights(seed: number, options: { model?: FeatureExtractorId; spread?: number; heScaled?: boolean } = {}): VggWeights {
  const next = mulberry32(seed);
  const spread = options.spread ?? 0.1;
  const out: Record<string, ConvWeights> = {};
  for (const c of convLayers(FEATURE_EXTRACTORS[options.model ?? 'vgg16'])) {
    const scale = options.heScaled ? Math.sqrt(2 / (9 * c.inChannels)) / 0.15 : 1;
    out[c.name] = {
      kernel: Float32Array.from({ length: 9 * c.inChannels * c.outChannels }, () => (next() - 0.5) * spread * scale),
      bias: Float32Array.from({ length: c.outChannels }, () => (next() - 0.5) * spread * 0.1),
    };
  }
  return out;
}

/** An opaque `w`×`h` RGBA image of stripes that differ per channel; `phase` shifts them. */
export function patternImage(w: number, h: number, phase: number): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    data[4 * i] = (i * 7 + phase) % 256;
    data[4 * i + 1] = (i * 13) % 256;
    data[4 * i + 2] = (i * 3 + 5 * phase) % 256;
    data[4 * i + 3] = 255;
  }
  return { width: w, height: h, data };
}

/** An opaque `width`×`height` RGBA image of smooth waves (natural-looking gradients); `phase` shifts them. */
export function smoothImage(width: number, height: number, phase: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data.set([128 + 100 * Math.sin(x / 5 + phase), 128 + 100 * Math.cos(y / 4 + phase), (x * y + phase * 40) % 256, 255], 4 * i);
  }
  return { width, height, data };
}
