// Test-only harness: the parity suite's short end-to-end case (2 scales at 64 px through stylize(),
// real VGG19-Caffe weights, fixed seed) on one backend against the same run on a reference backend.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { loadVggWeights, resolveBackend, tf, VGG19_CAFFE, type ByteSource } from '@strotss/core';
import { compareStylizeRuns, runStylize, STYLIZE_RUN_DEFAULTS, type StylizeRunResult, type StylizeRunSpec } from '@strotss/core/testing';
import { readImageFile } from '@strotss/backend-node';
import { sharedDir, vggWeightsPath } from './reference-parity.js';

/** The images of the case (shared, read in place): a cat photo and Starry Night, both landscape. */
export const stylizeRunImages = {
  content: `${sharedDir}images/content/chelsea.png`,
  style: `${sharedDir}images/style/starry_night.jpg`,
};

const localFiles: ByteSource = {
  read: async (p) => new Uint8Array(await readFile(p)),
  resolve: (base, rel) => fileURLToPath(new URL(rel, `file://${base}`)),
};

/** The spec both backends run: the shared images and weights with `overrides` on the defaults. */
export async function loadStylizeRunSpec(overrides: Partial<StylizeRunSpec> = {}): Promise<StylizeRunSpec> {
  return {
    content: await readImageFile(stylizeRunImages.content),
    style: await readImageFile(stylizeRunImages.style),
    weights: await loadVggWeights(VGG19_CAFFE, localFiles, vggWeightsPath),
    model: 'vgg19-caffe',
    ...STYLIZE_RUN_DEFAULTS,
    ...overrides,
  };
}

/** One line for the log: losses per scale and seconds. */
export function describeRun(r: StylizeRunResult): string {
  return `${r.backend}: final losses ${r.finalLosses.map((l) => l.toFixed(5)).join(', ')} in ${r.seconds.toFixed(1)} s (${r.stepLosses.length} steps)`;
}

/**
 * Declares the 2-scale 64 px end-to-end test of `backend` against `reference` (both registered and
 * resolvable by id): each scale's final loss within `relTolerance` (2 %). Skipped with a printed
 * reason when the shared weights or images are absent.
 */
export function describeStylizeRunParity(
  backend: string,
  options: { reference?: string; relTolerance?: number; spec?: Partial<StylizeRunSpec> } = {},
): void {
  const reference = options.reference ?? 'wasm';
  const missing = [vggWeightsPath, stylizeRunImages.content, stylizeRunImages.style].filter((p) => !existsSync(p));
  if (missing.length) console.warn(`[${backend}] 2-scale end-to-end run skipped: missing ${missing.join(', ')}`);
  describe.skipIf(missing.length > 0)(`2-scale 64 px stylize() run: ${backend} vs ${reference}`, () => {
    it(`final loss of each scale within ${(options.relTolerance ?? 0.02) * 100} % of ${reference}'s`, async () => {
      const spec = await loadStylizeRunSpec(options.spec);
      await resolveBackend(backend); // a backend must be active before tensors can be counted
      const before = tf.memory().numTensors;
      const got = await runStylize(backend, spec);
      const want = await runStylize(reference, spec);
      console.log(`2-scale 64 px run, seed ${spec.seed}, ${spec.iterations} iterations per scale:\n  ${describeRun(got)}\n  ${describeRun(want)}`);
      for (const r of compareStylizeRuns(got, want, options.relTolerance)) {
        expect.soft(r.error, `${r.name} (${r.kind}, tolerance ${r.tolerance})`).toBeLessThanOrEqual(r.tolerance);
      }
      expect(tf.memory().numTensors, 'tensors leaked by the two runs').toBe(before);
    }, 900_000);
  });
}
