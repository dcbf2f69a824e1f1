// Test-only harness shared by the packages' vitest suites: runs the reference parity suite of
// @strotss/core/testing against one backend, reading ../shared from the repository's parent.
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tf, loadVggWeights, VGG19_CAFFE, type ByteSource } from '@strotss/core';
import { ReferenceFixtures, referenceParityCases, type CheckResult, type ParitySuiteOptions } from '@strotss/core/testing';

export const sharedDir = fileURLToPath(new URL('../../shared/', import.meta.url));
export const fixturesDir = `${sharedDir}fixtures/reference/`;
export const vggWeightsPath = `${sharedDir}weights/vgg19-caffe/model.json`;

const localFiles: ByteSource = {
  read: async (p) => new Uint8Array(await readFile(p)),
  resolve: (base, rel) => fileURLToPath(new URL(rel, `file://${base}`)),
};

/**
 * The five-iteration trajectory runs ~300 GFLOP; TF.js' plain-JS cpu backend needs many minutes
 * for it (a measured property of that backend, not an assertion on time).
 */
function slowCaseTimeout(backend: string, stage: string): number {
  return backend === 'cpu' && stage === 'e2e' ? 60 * 60_000 : 600_000;
}

/** Worst error per stage, collected while the suite runs (printed at the end for RESULTS.md). */
const worst = new Map<string, { ratio: number; result: CheckResult; id: string }>();

/**
 * Declares one vitest test per fixture case, run on `backend` after `activate()` selected it.
 * Cases that need the VGG weights are skipped with a printed reason when the weights are absent.
 */
export function describeReferenceParity(
  backend: string,
  activate: () => Promise<void>,
  options: Pick<ParitySuiteOptions, 'argMinTies' | 'toleranceScale'> & {
    /** Why a case is not run on this backend here (printed), or undefined to run it. */
    skipCase?: (c: { id: string; stage: string }) => string | undefined;
  } = {},
): void {
  const haveFixtures = existsSync(`${fixturesDir}index.json`);
  const haveWeights = existsSync(vggWeightsPath);
  if (!haveFixtures) console.warn(`[${backend}] reference fixtures not found at ${fixturesDir}: parity tests skipped`);
  if (haveFixtures && !haveWeights) console.warn(`[${backend}] VGG19 weights not found at ${vggWeightsPath}: VGG and end-to-end cases skipped`);
  describe.skipIf(!haveFixtures)(`reference parity on the ${backend} backend`, async () => {
    const fx = haveFixtures ? await ReferenceFixtures.load((f) => readFile(fixturesDir + f)) : undefined;
    const vgg = haveWeights
      ? { preset: VGG19_CAFFE, weights: await loadVggWeights(VGG19_CAFFE, localFiles, vggWeightsPath) }
      : undefined;
    beforeAll(activate);
    for (const c of fx ? referenceParityCases(fx, { vgg, ...options }) : []) {
      const skip = options.skipCase?.(c);
      if (skip) {
        console.warn(`[${backend}] ${c.id} skipped: ${skip}`);
        it.skip(`${c.id} (${skip})`, () => undefined);
        continue;
      }
      it(c.id, async () => {
        expect(tf.getBackend()).toBe(backend);
        const before = tf.memory().numTensors;
        const results = await c.run();
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) {
          const ratio = r.tolerance === 0 ? (r.error === 0 ? 0 : Infinity) : r.error / r.tolerance;
          const key = `${backend}\t${c.stage}`;
          if (!worst.has(key) || ratio > worst.get(key)!.ratio) worst.set(key, { ratio, result: r, id: c.id });
          expect.soft(r.error, `${c.id} ${r.name} (${r.kind}, tolerance ${r.tolerance})`).toBeLessThanOrEqual(r.tolerance);
        }
        expect(tf.memory().numTensors, 'tensors leaked by the case').toBe(before);
      }, slowCaseTimeout(backend, c.stage));
    }
    it('worst error per stage (report)', () => {
      const lines = [...worst.entries()]
        .filter(([k]) => k.startsWith(`${backend}\t`))
        .map(([k, w]) => `${k}\t${w.id}\t${w.result.name}\t${w.result.kind}\t${w.result.error.toExponential(2)}\ttol ${w.result.tolerance}`);
      console.log(`worst errors (${backend}):\n${lines.join('\n')}`);
      expect(lines.length).toBeGreaterThan(0);
    });
  });
}
