// `strotss --backend webgpu` in Node, run for real: the built CLI (packages/cli/dist/bin.js) as a child
// process on the shared VGG19 weights and images, against the same run on wasm (same seed).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { vggWeightsPath } from '../../../test-support/reference-parity.js';
import { stylizeRunImages } from '../../../test-support/stylize-run-parity.js';
import { webgpuHeavySkipReason, webgpuSkipReason } from '../../../test-support/webgpu.js';

const BIN = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url));
const WEBGPU_DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const missing = [BIN, WEBGPU_DIST, vggWeightsPath, stylizeRunImages.content, stylizeRunImages.style].filter((p) => !existsSync(p));
if (missing.length) console.warn(`[webgpu] CLI runs skipped: missing ${missing.join(', ')} (build with \`npx turbo run build\`; shared weights/images)`);
const skip = missing.length ? 'missing files' : await webgpuSkipReason('CLI run with --backend webgpu');
const heavy = skip ? undefined : await webgpuHeavySkipReason();
if (heavy) console.warn(`[webgpu] the CLI's 2-scale run on webgpu skipped: ${heavy}`);

/** 2 scales (long sides 32, 64), few iterations, fixed seed: the smallest 2-scale run. */
const RUN = ['--size', '64', '--scales', '2', '--iterations', '2', '--seed', '0', '--model', 'vgg19-caffe'];

interface Exit {
  code: number | null;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

/** Runs the CLI to its exit; stdout must be JSON lines (`--json`). */
function strotss(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, STROTSS_WEIGHTS: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stderr = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        const lines = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        resolve({ code, lines, stderr });
      } catch (e) {
        reject(new Error(`stdout is not JSON lines: ${(e as Error).message}\n${out}\n${stderr}`));
      }
    });
  });
}

/** The last loss of each scale from the step events, and the CLI's reported seconds. */
function summary(run: Exit): { finalLosses: number[]; seconds: number } {
  const last = new Map<number, number>();
  for (const l of run.lines) if (l.type === 'step') last.set(l.scale as number, l.loss as number);
  const done = run.lines.find((l) => l.type === 'done');
  return { finalLosses: [...last.keys()].sort().map((s) => last.get(s)!), seconds: (done?.seconds as number) ?? NaN };
}

describe.skipIf(skip != null)('strotss --backend webgpu (Node, Dawn)', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('strotss backends lists tensorflow, webgpu, native, wasm and cpu, each available or with the reason', async () => {
    const run = await strotss(['backends', '--json']);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.lines.filter((l) => l.type === 'backend');
    expect(rows.map((r) => r.id)).toEqual(['tensorflow', 'webgpu', 'native', 'wasm', 'cpu']);
    for (const r of rows) {
      if (r.available) expect(r.reason, `${r.id}`).toBeUndefined();
      else expect(String(r.reason), `${r.id}`).toMatch(/\w{8,}/);
    }
    expect(rows.find((r) => r.id === 'webgpu')?.available).toBe(true);
  });

  it.skipIf(heavy != null)('a 2-scale 64 px run completes on webgpu with final losses within 2 % of wasm for the same seed', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-webgpu-cli-'));
    const common = [stylizeRunImages.content, stylizeRunImages.style, '--weights', vggWeightsPath, ...RUN, '--json'];
    const gpu = await strotss([...common, '-o', join(dir, 'webgpu.png'), '--backend', 'webgpu']);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.lines.find((l) => l.type === 'backend')?.id).toBe('webgpu');
    expect(existsSync(join(dir, 'webgpu.png'))).toBe(true);
    const wasm = await strotss([...common, '-o', join(dir, 'wasm.png'), '--backend', 'wasm']);
    expect(wasm.code, wasm.stderr).toBe(0);
    const [g, w] = [summary(gpu), summary(wasm)];
    console.log(`strotss ${RUN.join(' ')}:\n  webgpu: final losses ${g.finalLosses.join(', ')} in ${g.seconds.toFixed(1)} s\n  wasm:   final losses ${w.finalLosses.join(', ')} in ${w.seconds.toFixed(1)} s`);
    expect(g.finalLosses).toHaveLength(2);
    expect(w.finalLosses).toHaveLength(2);
    for (let s = 0; s < 2; s++) {
      const rel = Math.abs(g.finalLosses[s] - w.finalLosses[s]) / Math.abs(w.finalLosses[s]);
      expect(rel, `scale ${s + 1}: webgpu ${g.finalLosses[s]} vs wasm ${w.finalLosses[s]}`).toBeLessThanOrEqual(0.02);
    }
  }, 900_000);
});
if (skip) describe.skip(`strotss --backend webgpu (${skip})`, () => it('needs the built CLI, the shared files and a WebGPU adapter', () => undefined));
