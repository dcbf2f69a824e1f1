// Side by side with the authors' STROTSS code on this machine (issue "CPU speed beyond the
// authors' code"): seconds per optimisation step at each long side, the two programs alternated
// `--rounds` times, each one's best kept; `--whole` adds a whole default run of each.
//
// The authors' side runs ../shared/tools/time-reference.py (Debian's python3-torch, 2 threads)
// on a scratch copy of their code outside this repository ($STROTSS_REF_ROOT, set up as that
// tool's README says, with OpenBLAS installed: `apt-get install libopenblas0-pthread`); ours runs a one-scale stylize() on `--backend` in a fresh Node process.
// Both: the same 4:3 content (chelsea cropped to 640×480), The Starry Night, VGG16 with random
// weights (same arithmetic as trained ones), 10 iterations, the mean interval between optimiser
// steps after the first two.
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { stylize, FEATURE_EXTRACTORS, type RgbaImage } from '@strotss/core';
import { syntheticWeights } from './lib/iteration-cost.js';
import { writeSection } from './lib/results.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    sides: { type: 'string', default: '64,512' },
    rounds: { type: 'string', default: '3' },
    whole: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

const root = fileURLToPath(new URL('../../', import.meta.url));
const shared = `${root}../shared/`;
const outDir = `${root}bench/.out/`;
const contentPath = `${outDir}chelsea-640x480.png`;
const stylePath = `${shared}images/style/starry_night.jpg`;
const refRoot = process.env.STROTSS_REF_ROOT ?? '/tmp/ref';
const model = FEATURE_EXTRACTORS.vgg16;

async function readRgba(path: string): Promise<RgbaImage> {
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) };
}

/** Mean interval between step events after the first two (time-reference.py's statistic). */
function meanStepInterval(stamps: number[]): number {
  return (stamps[stamps.length - 1] - stamps[2]) / (stamps.length - 3) / 1000;
}

/** Child process: our seconds per step at each side (one scale, 10 iterations), or a whole run. */
async function child(mode: string): Promise<void> {
  await import('@strotss/backend-node');
  const [content, style] = await Promise.all([readRgba(contentPath), readRgba(stylePath)]);
  const weights = syntheticWeights(model);
  if (mode === 'whole') {
    const t0 = performance.now();
    const job = stylize({ content, style, weights, model, preset: 'reference', seed: 1, backend: String(values.backend) });
    const image = await job.result;
    console.log(`ours-whole ${image.width} ${image.height} ${((performance.now() - t0) / 1000).toFixed(1)} ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`);
    return;
  }
  for (const side of String(values.sides).split(',').map(Number)) {
    const job = stylize({ content, style, weights, model, size: side, scales: 1, iterations: 10, seed: 1, backend: String(values.backend) });
    const stamps: number[] = [];
    let shape = [0, 0];
    job.onEvent((e) => {
      if (e.type === 'step') stamps.push(performance.now());
      if (e.type === 'scale') shape = [e.height, e.width];
    });
    await job.result;
    console.log(`ours ${side} ${shape[0]} ${shape[1]} ${meanStepInterval(stamps).toFixed(4)}`);
  }
}

/** Runs a command and returns the lines of stdout that start with `prefix`, split into fields. */
function measured(command: string, args: string[], prefix: string, env: NodeJS.ProcessEnv): string[][] {
  const run = spawnSync(command, args, { encoding: 'utf8', env, cwd: root, maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${run.status}):\n${run.stderr.slice(-2000)}`);
  return run.stdout.split('\n').filter((l) => l.startsWith(`${prefix} `)).map((l) => l.split(' '));
}

/** The authors' code, through time-reference.py (OpenBLAS overrides unset: they slow PyTorch here). */
function theirs(sides: string): string[][] {
  const env: NodeJS.ProcessEnv = { ...process.env, STROTSS_REF_ROOT: refRoot, T: '2' };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return measured('/usr/bin/python3', [`${shared}tools/time-reference.py`, contentPath, stylePath, sides], 'ref', env);
}

function ours(mode: string): string[][] {
  return measured(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, '--backend', String(values.backend), '--sides', String(values.sides)], mode === 'whole' ? 'ours-whole' : 'ours', process.env);
}

async function main(): Promise<void> {
  if (values.child) return child(values.child);
  if (!existsSync(`${refRoot}/strotss_ref/st_helper.py`)) {
    throw new Error(`The authors' code is not at ${refRoot}/strotss_ref: set STROTSS_REF_ROOT (see ../shared/tools/README.md).`);
  }
  await sharp(`${shared}images/content/chelsea.png`).resize(640, 480, { fit: 'cover' }).png().toFile(contentPath);
  const sides = String(values.sides);
  const best = new Map<string, { ours: number; theirs: number; shape: string; all: { ours: number[]; theirs: number[] } }>();
  for (let round = 1; round <= Number(values.rounds); round++) {
    // Alternate which program goes first, so a slow spell on the shared machine hits both.
    const order = round % 2 ? ['theirs', 'ours'] : ['ours', 'theirs'];
    for (const who of order) {
      const rows = who === 'theirs' ? theirs(sides) : ours('steps');
      for (const [, side, h, w, seconds] of rows) {
        const entry = best.get(side) ?? { ours: Infinity, theirs: Infinity, shape: `${w}×${h}`, all: { ours: [], theirs: [] } };
        const s = Number(seconds);
        entry.all[who as 'ours' | 'theirs'].push(s);
        entry[who as 'ours' | 'theirs'] = Math.min(entry[who as 'ours' | 'theirs'], s);
        best.set(side, entry);
        console.log(`round ${round} ${who.padEnd(6)} ${w}×${h}: ${s.toFixed(3)} s/step`);
      }
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const cpu = `${cpus()[0]?.model ?? 'unknown CPU'}, ${availableParallelism()} cores`;
  const lines = [
    `Measured ${date} by \`node bench/run.mjs bench/vs-reference.ts\` (${cpu}): ours = \`${values.backend}\` backend in Node; theirs = the authors' code ` +
      `(scratch copy, Debian PyTorch ${torchVersion()}, 2 threads) through \`../shared/tools/time-reference.py\`. Same 640×480 content (chelsea), The Starry Night, ` +
      `VGG16 with random weights, one scale, 10 iterations, mean step interval after the first two; ${values.rounds} rounds alternated, best of each kept.`,
    '',
    '| size | ours s/step (best; all) | authors\' s/step (best; all) | ours / theirs |',
    '|---|---|---|---|',
  ];
  for (const [, e] of best) {
    const all = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
    lines.push(`| ${e.shape} | **${e.ours.toFixed(3)}** (${all(e.all.ours)}) | **${e.theirs.toFixed(3)}** (${all(e.all.theirs)}) | **${(e.ours / e.theirs).toFixed(2)}** |`);
  }
  if (values.whole) {
    const [[, w, h, seconds, rss]] = ours('whole');
    lines.push('', `Whole default run (\`reference\` preset: 4 scales × 250 iterations up to 512 px, ${w}×${h}) on \`${values.backend}\`: **${seconds} s**, peak RSS ${rss} MiB.`);
    console.log(lines.at(-1));
  }
  const table = lines.join('\n');
  console.log(`\n${table}`);
  if (values.write) writeSection('vs-reference', 'Side by side with the authors\' code (CPU)', table);
}

function torchVersion(): string {
  const run = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return run.stdout.trim() || '?';
}

await main();
process.exit(0);
