// Reliability of whole runs in one process, through the CLI's main() as a user gets it: seeded random
// cancellations (Ctrl-C at any moment) and a soak of consecutive jobs. Tiny jobs on the native
// backend (the default CPU backend), so the counts stay high and the time low.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { tf } from '@strotss/core';
import { writeImageFile } from '@strotss/backend-node';
import { cli, writeZeroVgg16 } from './helpers.js';
import { mulberry32 } from '../../../test-support/seeded.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = mkdtempSync(join(tmpdir(), 'strotss-reliability-'));
const weights = join(dir, 'vgg16.safetensors');
const content = join(dir, 'content.png');
const style = join(dir, 'style.png');

/** A small gradient image. */
function picture(w: number, h: number, phase: number) {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([(i * 5 + phase) % 256, (i * 11) % 256, (phase * 40 + i) % 256, 255], 4 * i);
  return { width: w, height: h, data };
}

const args = (output: string, seed: number) => [
  content, style, '-o', output, '--weights', weights, '--model', 'vgg16', '--backend', 'native',
  '--size', '32', '--scales', '1', '--iterations', '4', '--preset', 'draft', '--seed', String(seed),
];

beforeAll(async () => {
  await writeZeroVgg16(weights);
  await writeImageFile(content, picture(40, 30, 1));
  await writeImageFile(style, picture(36, 36, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reliability', () => {
  it('100 seeded random cancellations: each settles as cancelled (exit 130), leaks nothing, writes no output; jobs after them succeed', async () => {
    const seed = Number(process.env.STROTSS_CANCEL_SEED ?? 20261202);
    const next = mulberry32(seed); // the seeded delays of the cancellations
    // Warm up (backend, sessions), then time one whole run: cancellations land anywhere inside it.
    expect((await cli(args(join(dir, 'warm.png'), 0))).code).toBe(0);
    const t0 = performance.now();
    expect((await cli(args(join(dir, 'timed.png'), 0))).code).toBe(0);
    const duration = performance.now() - t0;
    const baseline = tf.memory().numTensors;
    let cancelled = 0;
    let finishedFirst = 0;
    let completedAfter = 0;
    for (let trial = 0; cancelled < 100; trial++) {
      expect(trial, 'trials needed for 100 cancellations').toBeLessThan(200);
      const output = join(dir, `cancelled-${trial}.png`);
      // Within the first 60 % of a run's time: a Ctrl-C after the last iteration is no cancellation.
      const delay = next() * 0.6 * duration;
      const run = await cli(args(output, trial), {
        onInterrupt: (handler) => {
          const timer = setTimeout(handler, delay);
          return () => clearTimeout(timer);
        },
      });
      if (run.code === 0) {
        finishedFirst++; // the job was done before the Ctrl-C came: not a cancellation
        continue;
      }
      cancelled++;
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain(`interrupted; ${output} was not written`);
      expect(existsSync(output)).toBe(false);
      expect(tf.memory().numTensors, `tensors after cancellation ${cancelled} (delay ${delay.toFixed(0)} ms)`).toBe(baseline);
      // After every fourth cancellation (and the last) a job runs to the end and writes its output.
      if (cancelled % 4 === 0) {
        const after = join(dir, `after-${trial}.png`);
        expect((await cli(args(after, trial))).code).toBe(0);
        expect(existsSync(after)).toBe(true);
        completedAfter++;
      }
    }
    // No temp file left by a cancelled write.
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    console.log(
      `cancellations: ${cancelled} cancelled, ${finishedFirst} finished before the Ctrl-C, ${completedAfter} jobs completed after them ` +
        `(seed ${seed}, run ${duration.toFixed(0)} ms), 0 failures`,
    );
  }, 600_000);

  it('20 consecutive jobs in one process: tensor count, tensor bytes and JS heap back to their baseline', async () => {
    expect((await cli(args(join(dir, 'soak-warm.png'), 0))).code).toBe(0);
    gc();
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const heap = process.memoryUsage().heapUsed;
    const heaps: number[] = [];
    for (let k = 1; k <= 20; k++) {
      const run = await cli(args(join(dir, `soak-${k}.png`), k));
      expect(run.code, run.stderr).toBe(0);
      expect(tf.memory().numTensors, `tensors after job ${k}`).toBe(tensors);
      expect(tf.memory().numBytes, `tensor bytes after job ${k}`).toBe(bytes);
      gc();
      heaps.push(process.memoryUsage().heapUsed);
    }
    const growth = heaps[heaps.length - 1] - heap;
    console.log(`soak: 20 jobs, tensors ${tensors} → ${tf.memory().numTensors}, JS heap ${(heap / 2 ** 20).toFixed(1)} → ${(heaps.at(-1)! / 2 ** 20).toFixed(1)} MiB, 0 failures`);
    // No growth with the job count: the heap after the last job is within 8 MiB of the one after the first.
    expect(Math.abs(growth)).toBeLessThan(8 * 2 ** 20);
  }, 600_000);
});
