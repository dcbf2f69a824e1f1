// `npm run bench`: how close one STROTSS iteration gets to this machine's arithmetic limit.
//
// In one process and one run it measures
//   (a) the backend's reachable throughput: a large float32 matmul (the REMD cost matrix's
//       1024×2179 · 2179×5000) and a 3×3 64→64 conv forward at 256×192;
//   (b) seconds per iteration (VGG forward, losses, backward, RMSprop step) at 64×48 … 512×384
//       with the default options (vgg16, N = 1024, 5 × 1000 style samples), through stylize();
//   (c) the analytic FLOPs of that iteration (spec §14.1, minus what this implementation avoids),
// and prints effective GFLOP/s and its ratio to (a). `--memory` adds the peak RSS of whole runs
// (all scales) in child processes; `--write` records the tables in bench/RESULTS.md.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import {
  tf,
  stylize,
  resolveBackend,
  convLayers,
  FEATURE_EXTRACTORS,
  QUALITY_PRESETS,
  type FeatureExtractorPreset,
  type RgbaImage,
  type VggWeights,
} from '@strotss/core';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    sizes: { type: 'string', default: '64,128,256,512' },
    timed: { type: 'string', default: '3' },
    threads: { type: 'string' },
    memory: { type: 'string' },
    'memory-child': { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
if (values.threads) process.env.STROTSS_WASM_THREADS = values.threads;
// Registers tensorflow / wasm / cpu; after STROTSS_WASM_THREADS is set.
await import('@strotss/backend-node');

// bench/run.mjs runs this file bundled into bench/.out/.
const root = fileURLToPath(new URL('../../', import.meta.url));
const images = `${root}../shared/images/`;
const model: FeatureExtractorPreset = FEATURE_EXTRACTORS.vgg16;
const defaults = QUALITY_PRESETS.reference;

/** A 4:3 RGBA image of a shared picture (the aspect of the spec's 512×384 figures). */
async function image4x3(path: string): Promise<RgbaImage> {
  const { data, info } = await sharp(path).resize(640, 480, { fit: 'cover' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** Seeded He-normal VGG weights: the speed of dense float kernels does not depend on the values. */
function syntheticWeights(preset: FeatureExtractorPreset): VggWeights {
  let state = 12345;
  const uniform = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const out: Record<string, { kernel: Float32Array; bias: Float32Array }> = {};
  for (const conv of convLayers(preset)) {
    const fanIn = 9 * conv.inChannels;
    const kernel = new Float32Array(9 * conv.inChannels * conv.outChannels);
    for (let i = 0; i < kernel.length; i++) kernel[i] = normal() * Math.sqrt(2 / fanIn);
    out[conv.name] = { kernel, bias: new Float32Array(conv.outChannels) };
  }
  return out;
}

/** Multiply-accumulates of the VGG forward per input pixel, up to the last tap (spec §14.1: 305 856 for VGG16). */
export function vggMacsPerPixel(preset: FeatureExtractorPreset): number {
  let area = 1;
  let macs = 0;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') area /= 4;
    else macs += 9 * layer.inChannels * layer.outChannels * area;
  }
  return macs;
}

/** Hypercolumn width d: every tapped conv's channels plus the 3 raw RGB channels (2179 for VGG16). */
function hypercolumnWidth(preset: FeatureExtractorPreset): number {
  return 3 + convLayers(preset).filter((c) => preset.taps.includes(c.name)).reduce((s, c) => s + c.outChannels, 0);
}

/**
 * FLOPs of one iteration as implemented (spec §14.1 minus the avoided work): VGG forward + input
 * backward (no weight gradients); REMD cost matrix forward only (its backward goes through the
 * selected minima, O((N+M)·d)); output covariance forward + backward (the style covariance is
 * computed once per scale); self-similarity: output N×N forward + backward and content N×N.
 */
export function iterationFlops(preset: FeatureExtractorPreset, height: number, width: number, N: number, M: number) {
  const d = hypercolumnWidth(preset);
  const vgg = 2 * (2 * vggMacsPerPixel(preset) * height * width);
  const remd = 2 * N * M * d;
  const moment = 2 * (2 * d * d * N);
  const selfSimilarity = 3 * (2 * N * N * d);
  return { vgg, remd, moment, selfSimilarity, total: vgg + remd + moment + selfSimilarity };
}

/** Median seconds of `reps` runs of fn after one warm-up (each run reads its result back). */
function timeIt(fn: () => tf.Tensor, reps: number): number {
  const once = () => {
    const t0 = performance.now();
    const y = fn();
    y.dataSync();
    y.dispose();
    return (performance.now() - t0) / 1000;
  };
  once();
  const runs = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return runs[Math.floor(reps / 2)];
}

function throughput() {
  const a = tf.randomNormal([1024, 2179]);
  const b = tf.randomNormal([2179, 5000]);
  const matmulSeconds = timeIt(() => tf.matMul(a, b), 5);
  const x = tf.randomNormal([1, 192, 256, 64]) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 64, 64]) as tf.Tensor4D;
  const convSeconds = timeIt(() => tf.conv2d(x, w, 1, 'same'), 5);
  tf.dispose([a, b, x, w]);
  return {
    matmul: (2 * 1024 * 2179 * 5000) / matmulSeconds / 1e9,
    conv: (2 * 192 * 256 * 64 * 64 * 9) / convSeconds / 1e9,
  };
}

/** Seconds per iteration at one size: a one-scale stylize() run; the first two steps (set-up, warm-up) are not timed. */
async function secondsPerIteration(content: RgbaImage, style: RgbaImage, weights: VggWeights, size: number, timed: number, backend: string) {
  const job = stylize({ content, style, weights, model, size, scales: 1, iterations: timed + 2, seed: 1, backend });
  const stamps: number[] = [];
  let shape = '';
  job.onEvent((e) => {
    if (e.type === 'step') stamps.push(performance.now());
    if (e.type === 'scale') shape = `${e.width}×${e.height}`;
  });
  await job.result;
  const intervals = stamps.slice(1).map((t, i) => (t - stamps[i]) / 1000);
  intervals.shift();
  intervals.sort((a, b) => a - b);
  return { shape, seconds: intervals[Math.floor(intervals.length / 2)] };
}

/** Peak RSS (MiB) of a whole run at `size` with 2 iterations per scale, in a fresh child process. */
function peakRss(size: number): { size: number; mib: number; seconds: number } {
  const t0 = performance.now();
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--memory-child', String(size), '--backend', String(values.backend)], {
    encoding: 'utf8',
    env: process.env,
  });
  if (child.status !== 0) throw new Error(`the ${size} px run failed:\n${child.stderr}`);
  const mib = Number(/peak-rss-mib (\d+(\.\d+)?)/.exec(child.stdout)?.[1]);
  return { size, mib, seconds: (performance.now() - t0) / 1000 };
}

async function memoryChild(size: number): Promise<void> {
  await resolveBackend(String(values.backend));
  const [content, style] = await Promise.all([image4x3(`${images}content/chelsea.png`), image4x3(`${images}style/starry_night.jpg`)]);
  await stylize({ content, style, weights: syntheticWeights(model), model, size, iterations: 2, seed: 1, backend: String(values.backend) }).result;
  console.log(`peak-rss-mib ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
}

async function main(): Promise<void> {
  if (values['memory-child']) return memoryChild(Number(values['memory-child']));
  const { backend } = await resolveBackend(String(values.backend));
  const description = backend.description ?? backend.id;
  const date = new Date().toISOString().slice(0, 10);
  const cpu = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`;
  console.log(`backend ${backend.id}: ${description}\n${cpu}\n`);

  const peak = throughput();
  console.log(`(a) matmul 1024×2179·2179×5000: ${peak.matmul.toFixed(1)} GFLOP/s; conv 3×3 64→64 at 256×192: ${peak.conv.toFixed(1)} GFLOP/s\n`);

  const [content, style] = await Promise.all([image4x3(`${images}content/chelsea.png`), image4x3(`${images}style/starry_night.jpg`)]);
  const weights = syntheticWeights(model);
  const rows: string[] = [];
  for (const size of String(values.sizes).split(',').map(Number)) {
    const { shape, seconds } = await secondsPerIteration(content, style, weights, size, Number(values.timed), backend.id);
    const [w, h] = shape.split('×').map(Number);
    const flops = iterationFlops(model, h, w, defaults.samplesPerStep, defaults.styleDraws * defaults.styleSamplesPerDraw);
    const effective = flops.total / seconds / 1e9;
    const row = `| ${shape} | ${seconds.toFixed(2)} | ${(flops.vgg / 1e9).toFixed(1)} + ${((flops.total - flops.vgg) / 1e9).toFixed(1)} = ${(flops.total / 1e9).toFixed(1)} | ${effective.toFixed(1)} | ${((100 * effective) / peak.matmul).toFixed(0)} % |`;
    console.log(row);
    rows.push(row);
  }
  const memoryRows = values.memory
    ? String(values.memory)
        .split(',')
        .map(Number)
        .map((size) => {
          const m = peakRss(size);
          const row = `| ${size} px, all scales, 2 iterations each | ${m.mib.toFixed(0)} MiB | ${m.seconds.toFixed(0)} s |`;
          console.log(row);
          return row;
        })
    : [];

  const table = [
    `Measured ${date} by \`npm run bench\`, backend **${backend.id}** (${description}), ${cpu}; VGG16 (synthetic weights), N = 1024, M = 5000, d = 2179.`,
    '',
    `(a) reachable throughput in the same run: matmul 1024×2179·2179×5000 **${peak.matmul.toFixed(1)} GFLOP/s**; conv 3×3 64→64 at 256×192 **${peak.conv.toFixed(1)} GFLOP/s**.`,
    '',
    '| size | s / iteration | GFLOP / iteration (VGG + losses) | effective GFLOP/s | of matmul |',
    '|---|---|---|---|---|',
    ...rows,
    ...(memoryRows.length ? ['', '| run | peak RSS | wall |', '|---|---|---|', ...memoryRows] : []),
  ].join('\n');
  console.log(`\n${table}`);
  if (values.write) {
    const path = `${root}bench/RESULTS.md`;
    const text = readFileSync(path, 'utf8');
    const start = '<!-- bench:iteration:start -->';
    const end = '<!-- bench:iteration:end -->';
    const block = `${start}\n${table}\n${end}`;
    const next = text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), block) : `${text.trimEnd()}\n\n## Iteration benchmark\n\n${block}\n`;
    writeFileSync(path, next);
    console.log(`recorded in ${path}`);
  }
}

await main();
process.exit(0);
