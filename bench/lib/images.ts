// The benchmarks' test pair as 4:3 RGBA images (kept out of iteration-cost.ts: it needs sharp,
// which the GPU machine's bundle of bench/webgpu-device.ts does without).
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { RgbaImage } from '@strotss/core';

/** ../shared/images/ (one folder up both from bench/lib/ and from bench/.out/, where bench/run.mjs bundles the benchmarks). */
const IMAGES = fileURLToPath(new URL('../../../shared/images/', import.meta.url));

/** A 4:3 RGBA image of a picture (640×480, cropped to cover; the aspect of the spec's 512×384 figures). */
export async function image4x3(path: string): Promise<RgbaImage> {
  const { data, info } = await sharp(path).resize(640, 480, { fit: 'cover' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** Content and style of every benchmark: chelsea × The Starry Night, both 4:3. */
export function benchmarkPair(): Promise<[RgbaImage, RgbaImage]> {
  return Promise.all([image4x3(`${IMAGES}content/chelsea.png`), image4x3(`${IMAGES}style/starry_night.jpg`)]);
}
