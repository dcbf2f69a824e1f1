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
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { stylize, resolveBackend, FEATURE_EXTRACTORS, QUALITY_PRESETS, type FeatureExtractorPreset } from '@strotss/core';
import { iterationFlops, secondsPerIteration, syntheticWeights, throughput } from './lib/iteration-cost.js';
import { benchmarkPair } from './lib/images.js';
import { writeSection } from './lib/results.js';

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

const model: FeatureExtractorPreset = FEATURE_EXTRACTORS.vgg16;
const defaults = QUALITY_PRESETS.reference;

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
  const [content, style] = await benchmarkPair();
  await stylize({ content, style, weights: syntheticWeights(model), model, size, iterations: 2, seed: 1, backend: String(values.backend) }).result;
  console.log(`peak-rss-mib ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
}

/**
 * `--sizes none --memory 1024,2048`: only the peak RSS of whole runs (docs/guide/large-images.md),
 * recorded in its own section so the timing table of the backend stays as it was measured.
 */
function largeOutputMemory(backend: string, description: string, date: string, cpu: string): void {
  const rows = String(values.memory ?? '1024,2048')
    .split(',')
    .map(Number)
    .map((size) => {
      const m = peakRss(size);
      const row = `| ${size} px (${size}×${Math.trunc((size * 3) / 4)}), scales 64 … ${size}, 2 iterations each | ${m.mib.toFixed(0)} MiB | ${m.seconds.toFixed(0)} s |`;
      console.log(row);
      return row;
    });
  const table = [
    `Measured ${date} by \`node bench/run.mjs bench/iteration.ts --backend ${backend} --sizes none --memory ${values.memory ?? '1024,2048'} --write\`: backend **${backend}** (${description}), ${cpu}; VGG16 (synthetic weights), chelsea × The Starry Night at 4:3, peak RSS of a fresh child process per size.`,
    '',
    '| run | peak RSS | wall |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(`\n${table}`);
  if (values.write) writeSection(`large-memory:${backend}`, `Large outputs: peak memory (${backend})`, table);
}

async function main(): Promise<void> {
  if (values['memory-child']) return memoryChild(Number(values['memory-child']));
  const { backend } = await resolveBackend(String(values.backend));
  const description = backend.description ?? backend.id;
  const date = new Date().toISOString().slice(0, 10);
  const cpu = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`;
  console.log(`backend ${backend.id}: ${description}\n${cpu}\n`);
  if (values.sizes === 'none') return largeOutputMemory(backend.id, description, date, cpu);

  const peak = await throughput();
  console.log(`(a) matmul 1024×2179·2179×5000: ${peak.matmul.toFixed(1)} GFLOP/s; conv 3×3 64→64 at 256×192: ${peak.conv.toFixed(1)} GFLOP/s\n`);

  const [content, style] = await benchmarkPair();
  const weights = syntheticWeights(model);
  const rows: string[] = [];
  for (const size of String(values.sizes).split(',').map(Number)) {
    const { shape, seconds } = await secondsPerIteration(content, style, weights, model, size, Number(values.timed), backend.id);
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
    `(a) reachable throughput in the same run: matmul 1024×2179·2179×5000 (the core's a·bᵀ kernel, as the REMD costs run it) **${peak.matmul.toFixed(1)} GFLOP/s**; conv 3×3 64→64 at 256×192 (TF.js' conv2d; the native backend runs its convs inside ONNX graphs instead) **${peak.conv.toFixed(1)} GFLOP/s**.`,
    '',
    '| size | s / iteration | GFLOP / iteration (VGG + losses) | effective GFLOP/s | of matmul |',
    '|---|---|---|---|---|',
    ...rows,
    ...(memoryRows.length ? ['', '| run | peak RSS | wall |', '|---|---|---|', ...memoryRows] : []),
  ].join('\n');
  console.log(`\n${table}`);
  // One table per backend (wasm's and native's both stay recorded).
  if (values.write) writeSection(backend.id === 'wasm' ? 'iteration' : `iteration:${backend.id}`, `Iteration benchmark (${backend.id})`, table);
}

await main();
process.exit(0);
