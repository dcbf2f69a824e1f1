// Kernel-time profile of STROTSS iterations (diagnostic, not a benchmark): runs a one-scale
// stylize() at --size with tf.profile around the job and prints time per kernel name; with
// MEMORY=1 also where the live tensor bytes peak and the kernels before that point.
import { parseArgs } from 'node:util';
import { tf, stylize, resolveBackend, FEATURE_EXTRACTORS } from '@strotss/core';
import { syntheticWeights } from './lib/iteration-cost.js';
import { benchmarkPair } from './lib/images.js';
import '@strotss/backend-node';

const { values } = parseArgs({ options: { size: { type: 'string', default: '64' }, iterations: { type: 'string', default: '3' }, backend: { type: 'string', default: 'wasm' } } });
const model = FEATURE_EXTRACTORS.vgg16;
const weights = syntheticWeights(model);
await resolveBackend(String(values.backend));
const [content, style] = await benchmarkPair();
const iterations = Number(values.iterations);
const t0 = performance.now();
const info = await tf.profile(async () => {
  await stylize({ content, style, weights, model, size: Number(values.size), scales: 1, iterations, seed: 1, backend: String(values.backend) }).result;
});
const wall = (performance.now() - t0) / 1000;
const byName = new Map<string, { ms: number; count: number }>();
for (const k of info.kernels) {
  const e = byName.get(k.name) ?? { ms: 0, count: 0 };
  e.ms += Number(k.kernelTimeMs) || 0;
  e.count += 1;
  byName.set(k.name, e);
}
const slices = new Map<string, { ms: number; count: number }>();
for (const k of info.kernels) {
  if (k.name !== (process.env.KERNEL ?? 'Slice')) continue;
  const key = `${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`;
  const e = slices.get(key) ?? { ms: 0, count: 0 };
  e.ms += Number(k.kernelTimeMs) || 0;
  e.count += 1;
  slices.set(key, e);
}
for (const [key, e] of [...slices.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 8)) console.log(`${(e.ms / 1000).toFixed(2)} s ×${e.count} ${key}`);
if (process.env.MEMORY) {
  // Where the live tensor bytes peak (tf.profile's snapshots after each kernel) and the kernels
  // that led there: which phase of the iteration sets the backend's high-water mark.
  const snaps = info.kernels.map((k) => k.totalBytesSnapshot);
  const peakAt = snaps.indexOf(Math.max(...snaps));
  console.log(`peak live tensor bytes ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB (kernel #${peakAt} of ${snaps.length}, ${(snaps[peakAt] / 2 ** 20).toFixed(0)} MiB after it)`);
  if (process.env.MEMORY_TIMELINE) {
    // Every Nth kernel's snapshot: the shape of the whole run's live bytes.
    const every = Number(process.env.MEMORY_TIMELINE);
    info.kernels.forEach((k, i) => {
      if (i % every === 0) console.log(`#${i} ${(k.totalBytesSnapshot / 2 ** 20).toFixed(0)} MiB ${k.name} ${JSON.stringify(k.inputShapes)}`);
    });
  }
  const from = Math.max(0, peakAt - Number(process.env.MEMORY_CONTEXT ?? 40));
  for (const k of info.kernels.slice(from, peakAt + 3)) {
    console.log(`${(k.totalBytesSnapshot / 2 ** 20).toFixed(0).padStart(6)} MiB ${(k.bytesAdded / 2 ** 20).toFixed(1).padStart(7)} ${k.name} ${JSON.stringify(k.inputShapes)} -> ${JSON.stringify(k.outputShapes)}`);
  }
}
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
console.log(`wall ${wall.toFixed(1)} s for ${iterations} iterations (incl. set-up); kernel total ${(total / 1000).toFixed(1)} s`);
for (const [name, e] of [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`${name.padEnd(24)} ${(e.ms / 1000).toFixed(2).padStart(7)} s  ${((100 * e.ms) / total).toFixed(1).padStart(5)} %  ×${e.count}`);
}
process.exit(0);
