// Chooses/justifies the `fast` preset by measurement: for several shared content × style pairs,
// runs the `reference` and `fast` presets at the same size and seed with the real VGG19 weights
// and compares their final losses (the last scale's last iteration, and the mean of its last 10).
// Loss values do not depend on machine load, so this may run beside other work.
// Usage: node bench/run.mjs bench/presets.ts --size 128 [--pairs chelsea.png:starry_night.jpg[:size][@run.jsonl],…] [--presets reference,fast] [--write]
// `@run.jsonl` takes that pair's `reference` losses from an earlier run's event log (the CLI's
// --events file, same seed and size) instead of spending the reference's 250 iterations per scale again.
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { stylize, loadVggWeights, VGG19_CAFFE, resolveBackend, type RgbaImage, type QualityPreset } from '@strotss/core';
import { readImageFile, fileByteSource } from '@strotss/backend-node';
import { writeSection } from './lib/results.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '128' },
    pairs: { type: 'string', default: 'chelsea.png:starry_night.jpg,rocket.jpg:great_wave.jpg,astronaut.png:the_scream.jpg' },
    presets: { type: 'string', default: 'reference,fast' },
    seed: { type: 'string', default: '1' },
    write: { type: 'boolean', default: false },
  },
});
const root = fileURLToPath(new URL('../../', import.meta.url));
const shared = `${root}../shared/`;
await resolveBackend('wasm');
const weights = await loadVggWeights(VGG19_CAFFE, fileByteSource(), `${shared}weights/vgg19-caffe/model.json`);

interface Outcome {
  final: number;
  last10: number;
  seconds: number;
  perScale: number[];
  /** Set when the outcome was read from an earlier run's event log. */
  logged?: string;
}

function fromEventLog(path: string): Outcome {
  const losses: number[][] = [];
  let seconds = Number.NaN;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as { type: string; loss?: number; seconds?: number };
    if (e.type === 'scale') losses.push([]);
    if (e.type === 'step') losses[losses.length - 1].push(e.loss!);
    if (e.type === 'done') seconds = e.seconds!;
  }
  const last = losses[losses.length - 1];
  if (!last?.length) throw new Error(`${path} holds no step events; pass the --events log of a finished run.`);
  return {
    final: last[last.length - 1],
    last10: last.slice(-10).reduce((s, v) => s + v, 0) / Math.min(10, last.length),
    seconds,
    perScale: losses.map((l) => l[l.length - 1]),
    logged: path,
  };
}

async function run(content: RgbaImage, style: RgbaImage, preset: QualityPreset, size: number): Promise<Outcome> {
  const losses: number[][] = [];
  const t0 = performance.now();
  const job = stylize({ content, style, weights, model: VGG19_CAFFE, preset, size, seed: Number(values.seed), backend: 'wasm' });
  job.onEvent((e) => {
    if (e.type === 'scale') losses.push([]);
    if (e.type === 'step') losses[losses.length - 1].push(e.loss);
  });
  await job.result;
  const last = losses[losses.length - 1];
  return {
    final: last[last.length - 1],
    last10: last.slice(-10).reduce((s, v) => s + v, 0) / Math.min(10, last.length),
    seconds: (performance.now() - t0) / 1000,
    perScale: losses.map((l) => l[l.length - 1]),
  };
}

const presets = String(values.presets).split(',') as QualityPreset[];
const rows: string[] = [];
for (const entry of String(values.pairs).split(',')) {
  const [pair, referenceLog] = entry.split('@');
  const [c, s, pairSize] = pair.split(':');
  const size = Number(pairSize ?? values.size);
  const content = await readImageFile(`${shared}images/content/${c}`);
  const style = await readImageFile(`${shared}images/style/${s}`);
  const outcomes = new Map<QualityPreset, Outcome>();
  for (const preset of presets) {
    const o = preset === 'reference' && referenceLog ? fromEventLog(`${root}${referenceLog}`) : await run(content, style, preset, size);
    outcomes.set(preset, o);
    console.log(`${c} × ${s} ${size} px ${preset}${o.logged ? ` (from ${referenceLog})` : ''}: final ${o.final.toFixed(4)} (last 10: ${o.last10.toFixed(4)}), per scale ${o.perScale.map((v) => v.toFixed(4)).join(' / ')}, ${o.seconds.toFixed(0)} s`);
  }
  const ref = outcomes.get('reference');
  for (const preset of presets.filter((p) => p !== 'reference')) {
    const o = outcomes.get(preset)!;
    const rel = ref ? `${(100 * (o.final / ref.final - 1)).toFixed(1)} % / ${(100 * (o.last10 / ref.last10 - 1)).toFixed(1)} %` : '–';
    rows.push(`| ${c} × ${s}, ${size} px | ${ref?.final.toFixed(4) ?? '–'} (${ref?.seconds.toFixed(0) ?? '–'} s${ref?.logged ? `, from ${referenceLog}` : ''}) | ${preset} | ${o.final.toFixed(4)} (${o.seconds.toFixed(0)} s) | ${rel} |`);
  }
}
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} by \`bench/presets.ts\`: wasm backend, VGG19-Caffe (shared weights), seed ${values.seed}; final loss = the last scale's last iteration (and the mean of its last 10). Wall times include other work sharing the machine.`,
  '',
  '| pair | reference final (wall) | preset | final (wall) | vs reference: final / last 10 |',
  '|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(`\n${table}`);
if (values.write) writeSection('presets', 'Presets', table);
process.exit(0);
