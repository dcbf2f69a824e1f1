// Kernels dispatched and host reads per STROTSS iteration on each backend (GPU speed issue: a
// GPU backend is bound by dispatch, so these counts are its progress measure, visible without a
// GPU). One 64 px scale, VGG16 with synthetic weights, default sampling (options change both); each
// backend in its own child process. Per iteration = (a 4-iteration job − a 2-iteration job) / 2,
// so the per-job set-up cancels. Counts come from DispatchCounter (@strotss/core/testing): every
// kernel registered for the backend wrapped with a counter, plus its read methods.
//
// Usage: node bench/run.mjs bench/kernel-count.ts [--backends wasm,native,webgpu] [--write] (TF.js' cpu
// backend works too but takes tens of minutes for the 9 iterations here)
// webgpu without a GPU: STROTSS_WEBGPU_ADAPTER=any (Mesa's Vulkan or GLES, software; counts only).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stylize, resolveBackend, FEATURE_EXTRACTORS, QUALITY_PRESETS } from '@strotss/core';
import { DispatchCounter, type DispatchCounts } from '@strotss/core/testing';
import { syntheticWeights } from './lib/iteration-cost.js';
import { benchmarkPair } from './lib/images.js';
import { writeSection } from './lib/results.js';

const { values } = parseArgs({
  options: {
    backends: { type: 'string', default: 'wasm,native,webgpu' },
    size: { type: 'string', default: '64' },
    // Counts do not depend on N and M except where a kernel loops over rows (wasm's chunked aᵀ·b):
    // smaller samples keep a software WebGPU adapter's run to minutes.
    samples: { type: 'string', default: String(QUALITY_PRESETS.reference.samplesPerStep) },
    'style-samples': { type: 'string', default: String(QUALITY_PRESETS.reference.styleSamplesPerDraw) },
    'style-draws': { type: 'string', default: String(QUALITY_PRESETS.reference.styleDraws) },
    child: { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const model = FEATURE_EXTRACTORS.vgg16;
const SHORT = 2;
const LONG = 4;

/** What one child prints: per-iteration counts on its backend, as JSON. */
interface PerIteration {
  backend: string;
  description: string;
  kernels: number;
  composites: number;
  programs?: number;
  syncReads: number;
  asyncReads: number;
  top: Array<[string, number]>;
}

async function child(backendName: string): Promise<void> {
  await import('@strotss/backend-node');
  if (backendName === 'webgpu') await import('@strotss/backend-webgpu');
  const { backend } = await resolveBackend(backendName);
  const [content, style] = await benchmarkPair();
  const weights = syntheticWeights(model);
  const sampling = { samplesPerStep: Number(values.samples), styleDraws: Number(values['style-draws']), styleSamplesPerDraw: Number(values['style-samples']) };
  const run = (iterations: number) => stylize({ content, style, weights, model, size: Number(values.size), scales: 1, iterations, seed: 1, backend: backendName, ...sampling }).result;
  await run(1); // registers what is registered lazily (the counter wraps what exists)
  const counter = DispatchCounter.install(backendName);
  const counted = async (iterations: number): Promise<DispatchCounts> => {
    counter.reset();
    await run(iterations);
    return counter.snapshot();
  };
  const short = await counted(SHORT);
  const long = await counted(LONG);
  counter.uninstall();
  const per = (k: 'kernels' | 'composites' | 'syncReads' | 'asyncReads') => (long[k] - short[k]) / (LONG - SHORT);
  const top = Object.entries(long.byKernel)
    .map(([name, n]) => [name, (n - (short.byKernel[name] ?? 0)) / (LONG - SHORT)] as [string, number])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  const result: PerIteration = {
    backend: backend.id,
    description: backend.description ?? backend.id,
    kernels: per('kernels'),
    composites: per('composites'),
    programs: long.programs === undefined ? undefined : (long.programs - (short.programs ?? 0)) / (LONG - SHORT),
    syncReads: per('syncReads'),
    asyncReads: per('asyncReads'),
    top,
  };
  console.log(`kernel-count ${JSON.stringify(result)}`);
}

function measure(backend: string): PerIteration | string {
  const args = ['--size', String(values.size), '--samples', String(values.samples), '--style-samples', String(values['style-samples']), '--style-draws', String(values['style-draws'])];
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', backend, ...args], { encoding: 'utf8', env: process.env, cwd: root });
  const line = run.stdout.split('\n').find((l) => l.startsWith('kernel-count '));
  if (run.status !== 0 || !line) return (run.stderr.trim().split('\n').find((l) => /error|unavailable|not/i.test(l)) ?? `exit ${run.status}`).slice(0, 200);
  return JSON.parse(line.slice('kernel-count '.length)) as PerIteration;
}

async function main(): Promise<void> {
  if (values.child) return child(values.child);
  const rows: string[] = [];
  const skipped: string[] = [];
  for (const backend of String(values.backends).split(',')) {
    const r = measure(backend);
    if (typeof r === 'string') {
      skipped.push(`\`${backend}\`: ${r}`);
      console.log(`${backend}: not measured: ${r}`);
      continue;
    }
    const top = r.top.map(([name, n]) => `${name} ${n}`).join(', ');
    const row = `| \`${r.backend}\` (${r.description}) | ${r.kernels} | ${r.composites} | ${r.programs ?? '–'} | ${r.syncReads} | ${r.asyncReads} | ${top} |`;
    console.log(row);
    rows.push(row);
  }
  const date = new Date().toISOString().slice(0, 10);
  const table = [
    `Measured ${date} by \`node bench/run.mjs bench/kernel-count.ts ${process.argv.slice(2).filter((a) => a !== '--write').join(' ')}\`: one ${values.size} px scale (4:3), VGG16 (synthetic weights), ` +
      `N = ${values.samples}, ${values['style-draws']} × ${values['style-samples']} style samples; ` +
      `per iteration = (a ${LONG}-iteration job − a ${SHORT}-iteration job) / ${LONG - SHORT}. Kernels: calls that ran no other kernel (what the backend executes); ` +
      'composites: kernels written with other kernels (not dispatches themselves); programs: GPU compute passes (webgpu). ' +
      'Reads: synchronous ones block the caller; the asynchronous one is the step\'s loss terms, awaited before the next step is dispatched on ' +
      'host backends and two steps later on webgpu (its `readbackLag`), so no read inside its loop waits for the GPU.',
    '',
    '| backend | kernels / iteration | composites | GPU programs | sync reads | async reads | most dispatched |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    ...(skipped.length ? ['', `Not measured: ${skipped.join('; ')}.`] : []),
  ].join('\n');
  console.log(`\n${table}`);
  if (values.write) writeSection('kernel-count', 'Kernels and reads per iteration', table);
}

await main();
process.exit(0);
