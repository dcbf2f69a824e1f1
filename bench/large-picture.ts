// The picture of docs/guide/large-images.md: one large output (default 1024 px, 5 scales), shown
// downscaled beside a crop at full resolution. Writes the full output to bench/.out/large.png.
//
// Usage: node bench/run.mjs bench/large-picture.ts [--backend native] [--size 1024] [--iterations 10]
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { stylize } from '@strotss/core';
import { readImageFile, writeImageFile } from '@strotss/backend-node';
import { SHARED, sharedVgg19Weights } from './lib/shared-weights.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    size: { type: 'string', default: '1024' },
    iterations: { type: 'string', default: '10' },
  },
});
await import('@strotss/backend-node');

const FULL = fileURLToPath(new URL('./large.png', import.meta.url));
const PICTURE = fileURLToPath(new URL('../../docs/images/features/large.png', import.meta.url));

async function main(): Promise<void> {
  const size = Number(values.size);
  const weights = await sharedVgg19Weights();
  const job = stylize({
    content: await readImageFile(join(SHARED, 'images/content/raccoon_face.jpg')),
    style: await readImageFile(join(SHARED, 'images/style/starry_night.jpg')),
    weights,
    model: 'vgg19-caffe',
    backend: String(values.backend),
    preset: 'fast',
    size,
    iterations: Number(values.iterations),
    seed: 1,
  });
  job.onEvent((e) => e.type === 'scale' && console.log(`scale ${e.scale}/${e.scales}: ${e.width}×${e.height}`));
  const image = await job.result;
  await writeImageFile(FULL, image);
  const panel = 384;
  const small = await sharp(FULL).resize(panel, panel, { fit: 'inside' }).png().toBuffer();
  const crop = await sharp(FULL)
    .extract({ left: Math.round(image.width / 2 - panel / 2), top: Math.round(image.height / 3 - panel / 2), width: panel, height: panel })
    .png()
    .toBuffer();
  await sharp({ create: { width: 2 * panel + 4, height: panel, channels: 4, background: '#ffffff' } })
    .composite([
      { input: small, left: 0, top: 0 },
      { input: crop, left: panel + 4, top: 0 },
    ])
    .png({ palette: true, quality: 90 })
    .toFile(PICTURE);
  console.log(`${image.width}×${image.height}; wrote ${FULL} and ${PICTURE}`);
}

await main();
