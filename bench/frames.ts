// Temporal stability of `stylizeFrames` (docs/guide/frames.md): a slow pan made from a shared image,
// stylised chained (each frame from the previous result) and independent (each from the style's
// mean colour, same seed), and the mean absolute difference between consecutive frames of each.
//
// Usage: node bench/run.mjs bench/frames.ts [--backend native] [--frames 8] [--step 4] [--size 128]
//        [--scales 2] [--iterations 25] [--write]
// Writes the frames under bench/.out/frames/ and, with --write, the table into bench/RESULTS.md and the
// strip docs/images/features/frames-strip.png (rows: input, independent, chained).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { consecutiveDifference, meanAbsoluteDifference, resolveBackend, stylizeFrames, type RgbaImage } from '@strotss/core';
import { writeImageFile } from '@strotss/backend-node';
import { writeSection } from './lib/results.js';
import { SHARED, sharedVgg19Weights } from './lib/shared-weights.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    frames: { type: 'string', default: '6' },
    step: { type: 'string', default: '4' },
    size: { type: 'string', default: '96' },
    scales: { type: 'string', default: '2' },
    iterations: { type: 'string', default: '20' },
    content: { type: 'string', default: 'content/chelsea.png' },
    style: { type: 'string', default: 'style/starry_night.jpg' },
    write: { type: 'boolean', default: false },
  },
});
await import('@strotss/backend-node');

const OUT = fileURLToPath(new URL('./frames/', import.meta.url));
const STRIP = fileURLToPath(new URL('../../docs/images/features/frames-strip.png', import.meta.url));

/** RGBA of a sharp pipeline's output. */
async function raw(pipeline: sharp.Sharp): Promise<RgbaImage> {
  const { data, info } = await pipeline.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** `count` frames of a pan across `path`: windows of `size`×¾`size` sliding `step` px right per frame over the picture scaled to cover them. */
async function panFrames(path: string, count: number, step: number, size: number): Promise<RgbaImage[]> {
  const height = Math.round((size * 3) / 4);
  const sceneWidth = size + step * (count - 1);
  const scene = await sharp(path).resize(sceneWidth, Math.round((sceneWidth * 3) / 4), { fit: 'cover' }).png().toBuffer();
  const top = Math.round((Math.round((sceneWidth * 3) / 4) - height) / 2);
  return Promise.all(Array.from({ length: count }, (_, k) => raw(sharp(scene).extract({ left: k * step, top, width: size, height }))));
}

/** Stylises `frames` chained or not; returns the images and the mean of each frame's final loss. */
async function stylise(frames: RgbaImage[], chain: boolean, common: object): Promise<{ images: RgbaImage[]; loss: number; seconds: number }> {
  const images: RgbaImage[] = [];
  let loss = 0;
  let seconds = 0;
  const sequence = stylizeFrames({
    ...(common as Parameters<typeof stylizeFrames>[0]),
    frames: frames.map((image, k) => ({ image, name: `f${k + 1}` })),
    chain,
    onFrame: (_k, job) => job.onEvent((e) => e.type === 'done' && (loss += e.finalLosses.at(-1)! / frames.length)),
  });
  for await (const r of sequence) {
    images.push(r.image);
    seconds += r.seconds;
    console.log(`${chain ? 'chained' : 'independent'} frame ${r.index + 1}/${frames.length}: ${r.seconds.toFixed(1)} s`);
  }
  return { images, loss, seconds };
}

/** One image: the rows side by side, frames left to right, a label over each row. */
async function strip(rows: Array<[string, RgbaImage[]]>, path: string): Promise<void> {
  const { width, height } = rows[0][1][0];
  const label = 16;
  const n = rows[0][1].length;
  const composites: sharp.OverlayOptions[] = [];
  rows.forEach(([name, images], r) => {
    const y = r * (height + label);
    composites.push({ input: Buffer.from(`<svg width="${n * width}" height="${label}"><text x="4" y="12" font-family="sans-serif" font-size="12">${name}</text></svg>`), left: 0, top: y });
    images.forEach((img, k) => composites.push({ input: Buffer.from(img.data), raw: { width, height, channels: 4 }, left: k * width, top: y + label }));
  });
  await sharp({ create: { width: n * width, height: rows.length * (height + label), channels: 4, background: '#ffffff' } }).composite(composites).png({ palette: true, quality: 90 }).toFile(path);
}

async function main(): Promise<void> {
  const count = Number(values.frames);
  const size = Number(values.size);
  const { backend } = await resolveBackend(String(values.backend));
  const frames = await panFrames(join(SHARED, 'images', String(values.content)), count, Number(values.step), size);
  const style = await raw(sharp(join(SHARED, 'images', String(values.style))));
  const weights = await sharedVgg19Weights();
  const common = { style, weights, model: 'vgg19-caffe', backend: backend.id, size, scales: Number(values.scales), iterations: Number(values.iterations), seed: 1, preset: 'fast' };
  const independent = await stylise(frames, false, common);
  const chained = await stylise(frames, true, common);
  for (const [name, images] of [['input', frames], ['independent', independent.images], ['chained', chained.images]] as const) {
    mkdirSync(join(OUT, name), { recursive: true });
    for (const [k, img] of images.entries()) await writeImageFile(join(OUT, name, `f${k + 1}.png`), img);
  }
  const toInput = (images: RgbaImage[]) => images.reduce((s, img, k) => s + meanAbsoluteDifference(img, frames[k]), 0) / images.length;
  const rows = [
    `| input frames (reference) | ${consecutiveDifference(frames).toFixed(2)} | – | – | – |`,
    `| independent (each from the style's mean colour) | ${consecutiveDifference(independent.images).toFixed(2)} | ${toInput(independent.images).toFixed(1)} | ${independent.loss.toFixed(4)} | ${independent.seconds.toFixed(0)} s |`,
    `| chained (each from the previous result) | **${consecutiveDifference(chained.images).toFixed(2)}** | ${toInput(chained.images).toFixed(1)} | ${chained.loss.toFixed(4)} | ${chained.seconds.toFixed(0)} s |`,
  ];
  const header =
    `Measured ${new Date().toISOString().slice(0, 10)} by \`node bench/run.mjs bench/frames.ts --write\`: backend ${backend.id}, VGG19-Caffe (shared weights), ` +
    `a pan of ${count} frames of ${size}×${Math.round((size * 3) / 4)} px sliding ${values.step} px per frame across ${values.content}, style ${values.style}, ` +
    `preset fast, ${values.scales} scales × ${values.iterations} iterations, seed 1 for every frame. MAD = mean absolute difference of RGB in 8-bit levels.\n\n` +
    '| frames | MAD between consecutive frames | MAD to the input frame | mean final loss | wall (all frames) |\n|---|---|---|---|---|\n';
  console.log(header + rows.join('\n'));
  if (values.write) {
    mkdirSync(join(STRIP, '..'), { recursive: true });
    await strip([['input', frames], ['independent', independent.images], ['chained', chained.images]], STRIP);
    writeSection('frames', 'Frames: temporal stability', header + rows.join('\n'));
  }
}

await main();
