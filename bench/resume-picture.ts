// The picture of docs/guide/resume.md: a run stopped mid-scale by a checkpoint on cancel, resumed in a
// fresh job from the checkpoint's file bytes, beside the run never stopped. Prints whether the two
// results are the same bytes.
//
// Usage: node bench/run.mjs bench/resume-picture.ts [--backend native] [--size 128] [--iterations 20] [--stop 8]
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeCheckpoint, encodeCheckpoint, stylize, type RgbaImage, type StyleTransferOptions } from '@strotss/core';
import { image4x3 } from './lib/images.js';
import { SHARED, sharedVgg19Weights } from './lib/shared-weights.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    size: { type: 'string', default: '128' },
    iterations: { type: 'string', default: '20' },
    stop: { type: 'string', default: '8' },
  },
});
await import('@strotss/backend-node');

const PICTURE = fileURLToPath(new URL('../../docs/images/features/resume.png', import.meta.url));

/** `image` as PNG-ready raw input for sharp's composite. */
const rawInput = (image: RgbaImage) => ({ input: Buffer.from(image.data), raw: { width: image.width, height: image.height, channels: 4 as const } });

/** |a − b| × 64 per RGB channel, opaque. */
function difference(a: RgbaImage, b: RgbaImage): RgbaImage {
  const data = new Uint8ClampedArray(a.data.length);
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) data[i + c] = Math.abs(a.data[i + c] - b.data[i + c]) * 64;
    data[i + 3] = 255;
  }
  return { width: a.width, height: a.height, data };
}

async function main(): Promise<void> {
  const stop = Number(values.stop);
  const weights = await sharedVgg19Weights();
  const options: StyleTransferOptions = {
    content: await image4x3(join(SHARED, 'images/content/chelsea.png')),
    style: await image4x3(join(SHARED, 'images/style/starry_night.jpg')),
    weights,
    model: 'vgg19-caffe',
    backend: String(values.backend),
    preset: 'fast',
    size: Number(values.size),
    scales: 2,
    iterations: Number(values.iterations),
    seed: 1,
  };
  const whole = await stylize(options).result;
  // Stopped: cancelled at iteration `stop` of the last scale, with the image there as a preview.
  const stopped = stylize({ ...options, checkpointOnCancel: true, previewEvery: 1 });
  let atStop: RgbaImage | undefined;
  stopped.onEvent((e) => {
    if (e.type === 'preview' && e.scale === 2 && e.iteration === stop - 1) atStop = e.image;
    if (e.type === 'step' && e.scale === 2 && e.iteration === stop - 1) stopped.cancel();
  });
  await stopped.result.catch(() => undefined);
  const bytes = encodeCheckpoint(stopped.lastCheckpoint!);
  const checkpoint = decodeCheckpoint(bytes);
  const resumed = await stylize({ content: options.content, style: options.style, weights, backend: options.backend, resume: checkpoint }).result;
  const same = Buffer.from(resumed.data).equals(Buffer.from(whole.data));
  console.log(`checkpoint: scale ${checkpoint.scale}, iteration ${checkpoint.iteration}, ${bytes.length} bytes; resumed == uninterrupted: ${same}`);
  const panels = [atStop!, whole, resumed, difference(whole, resumed)];
  const { width, height } = whole;
  await sharp({ create: { width: width * 4 + 12, height, channels: 4, background: '#ffffff' } })
    .composite(panels.map((p, k) => ({ ...rawInput(p), left: k * (width + 4), top: 0 })))
    .png()
    .toFile(PICTURE);
  console.log(`wrote ${PICTURE}`);
}

await main();
