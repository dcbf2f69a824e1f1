// `--checkpoint` / `--resume` across processes (a Ctrl-C'd child, then a fresh one) and `strotss frames`:
// natural frame order, matching output names, one line per frame, errors naming the frame.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile, writeImageFile } from '@strotss/backend-node';
import type { RgbaImage } from '@strotss/core';
import { cli, jsonLines } from './helpers.js';
import { vgg16TestFile } from '../../../test-support/vgg16-test-file.js';
import { patternImage } from '../../../test-support/seeded.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const haveBin = existsSync(BIN);
if (!haveBin) console.warn(`Skipping the CLI resume test across processes: ${BIN} is missing; build it with \`npx turbo run build\`.`);

let dir: string;
let weights: string;
let content: string;
let style: string;
/** Two scales (16, 32 px) of 4 iterations on wasm: a run of a few seconds with a mid-scale stop to make. */
let RUN: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strotss-resume-'));
  weights = join(dir, 'vgg16.safetensors');
  await writeFile(weights, vgg16TestFile(2));
  content = join(dir, 'content.png');
  style = join(dir, 'style.png');
  await writeImageFile(content, patternImage(32, 32, 1));
  await writeImageFile(style, patternImage(24, 24, 2));
  RUN = ['--weights', weights, '--model', 'vgg16', '--backend', 'wasm', '--size', '32', '--scales', '2', '--iterations', '4', '--seed', '5'];
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the built CLI in a child process; sends SIGINT once a stdout line satisfies `interruptWhen`. */
function child(args: string[], interruptWhen?: (line: Record<string, unknown>) => boolean): Promise<{ code: number | null; stdout: string[]; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, STROTSS_OFFLINE: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    let stderr = '';
    let buffered = '';
    let sent = false;
    proc.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        stdout.push(line);
        if (!sent && interruptWhen?.(JSON.parse(line) as Record<string, unknown>)) {
          sent = true;
          proc.kill('SIGINT');
        }
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('--checkpoint and --resume', () => {
  it.skipIf(!haveBin)('a run stopped by Ctrl-C in one process and resumed in another writes the same bytes as a run never stopped', async () => {
    const whole = join(dir, 'whole.png');
    const uninterrupted = await cli([content, style, '-o', whole, ...RUN]);
    expect(uninterrupted.code, uninterrupted.stderr).toBe(0);

    const checkpoint = join(dir, 'run.ckpt');
    const stopped = await child([content, style, '-o', join(dir, 'resumed.png'), ...RUN, '--checkpoint', checkpoint, '--json'], (e) => e.type === 'step' && e.scale === 1 && e.iteration === 2);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain(`continue with --resume ${checkpoint}`);
    const saved = jsonLines(stopped.stdout).find((e) => e.type === 'checkpoint');
    // The Ctrl-C lands after the first scale's third step; on a loaded machine the child may be further on.
    expect(saved).toMatchObject({ reason: 'cancel', file: checkpoint });
    expect(saved!.scale as number).toBeGreaterThanOrEqual(1);

    // The options come from the checkpoint: only the images, weights and backend are given again.
    const resumed = await child([content, style, '-o', join(dir, 'resumed.png'), '--weights', weights, '--backend', 'wasm', '--resume', checkpoint, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const firstStep = jsonLines(resumed.stdout).find((e) => e.type === 'step');
    expect(firstStep).toMatchObject({ scale: saved!.scale, iteration: saved!.iteration });
    expect((await readFile(join(dir, 'resumed.png'))).equals(await readFile(whole))).toBe(true);
  }, 900_000);

  it('refuses a checkpoint of another run, naming the difference with its flag', async () => {
    const checkpoint = join(dir, 'short.ckpt');
    const first = await cli([content, style, '-o', join(dir, 'short.png'), ...RUN, '--iterations', '2', '--scales', '1', '--checkpoint', checkpoint, '--checkpoint-every', '1']);
    expect(first.code, first.stderr).toBe(0);
    const other = await cli([content, style, '-o', join(dir, 'other.png'), '--weights', weights, '--backend', 'wasm', '--resume', checkpoint, '--seed', '6']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain('belongs to another run: --seed was 5, now 6');
    const missing = await cli([content, style, '-o', join(dir, 'other.png'), '--weights', weights, '--resume', join(dir, 'none.ckpt')]);
    expect(missing.stderr).toContain(`Cannot read the checkpoint ${join(dir, 'none.ckpt')}: no such file`);
    const usage = await cli([content, style, '-o', join(dir, 'x.png'), '--checkpoint-every', '3']);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining('--checkpoint-every needs --checkpoint FILE')]);
  }, 600_000);
});

/** A 32×32 crop of `scene` `dx` pixels from its left: one frame of a pan. */
function crop(scene: RgbaImage, dx: number): RgbaImage {
  const data = new Uint8ClampedArray(32 * 32 * 4);
  for (let y = 0; y < 32; y++) data.set(scene.data.subarray((y * scene.width + dx) * 4, (y * scene.width + dx + 32) * 4), y * 32 * 4);
  return { width: 32, height: 32, data };
}

describe('strotss frames', () => {
  const frameOptions = () => ['--weights', weights, '--model', 'vgg16', '--backend', 'wasm', '--size', '32', '--scales', '1', '--iterations', '2', '--seed', '3', '--json'];

  it('stylises the frames in natural order into files of the same names, one JSON line per frame', async () => {
    const frames = join(dir, 'clip');
    await mkdir(frames);
    const scene = patternImage(48, 32, 4);
    for (const [k, name] of ['f1.png', 'f2.png', 'f10.png'].entries()) await writeImageFile(join(frames, name), crop(scene, 4 * k));
    await writeFile(join(frames, 'notes.txt'), 'not a frame');
    const out = join(dir, 'styled');
    const run = await cli(['frames', frames, style, '-o', out, ...frameOptions()]);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout).filter((e) => e.type === 'frame');
    expect(lines.map((e) => [e.index, e.input])).toEqual([
      [0, join(frames, 'f1.png')],
      [1, join(frames, 'f2.png')],
      [2, join(frames, 'f10.png')],
    ]);
    expect((await readdir(out)).sort()).toEqual(['f1.png', 'f10.png', 'f2.png']);
    expect(await readImageFile(join(out, 'f10.png'))).toMatchObject({ width: 32, height: 32 });
  }, 600_000);

  it('names the frame that fails, keeps the ones before it, and refuses an empty folder or -o onto the frames', async () => {
    const frames = join(dir, 'bad-clip');
    await mkdir(frames);
    await writeImageFile(join(frames, 'a1.png'), patternImage(32, 32, 1));
    await writeImageFile(join(frames, 'a2.png'), patternImage(32, 4, 1));
    const out = join(dir, 'bad-out');
    const run = await cli(['frames', frames, style, '-o', out, ...frameOptions()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Frame 2 (a2.png): The content image is 32×4');
    expect(await readdir(out)).toEqual(['a1.png']);
    const empty = join(dir, 'empty');
    await mkdir(empty);
    const none = await cli(['frames', empty, style, '-o', out, ...frameOptions()]);
    expect(none.stderr).toContain(`The frames folder ${empty} holds no .png, .jpg, .jpeg or .webp file`);
    const onto = await cli(['frames', frames, style, '-o', frames, ...frameOptions()]);
    expect(onto.stderr).toContain('is the frames folder: the stylised frames would replace the originals');
    const usage = await cli(['frames', frames, '-o', out]);
    expect([usage.code, usage.stderr]).toEqual([2, expect.stringContaining("'strotss frames' takes a folder of frames and a style image")]);
  }, 600_000);
});
