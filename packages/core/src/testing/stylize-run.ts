import type { RgbaImage } from '../image.js';
import { stylize } from '../job.js';
import type { FeatureExtractorId, VggWeights } from '../model/presets.js';
import { check, type CheckResult } from './compare.js';

/** A short whole-algorithm run (stylize(), every scale) for comparing one backend with another. */
export interface StylizeRunSpec {
  content: RgbaImage;
  style: RgbaImage;
  weights: VggWeights;
  model: FeatureExtractorId;
  /** Long side of the last scale in px (default 64). */
  size?: number;
  /** Scales (default 2: long sides 32 and 64 at size 64). */
  scales?: number;
  /** Iterations per scale (default 10). */
  iterations?: number;
  /** Seed of every random choice (default 0). */
  seed?: number;
}

/** What one run produced: the last loss of each scale, every step's loss, the image and the wall time in seconds. */
export interface StylizeRunResult {
  backend: string;
  finalLosses: number[];
  stepLosses: number[];
  image: RgbaImage;
  seconds: number;
}

/** The defaults of a {@link StylizeRunSpec}: the smallest 2-scale run the default schedule allows at 64 px. */
export const STYLIZE_RUN_DEFAULTS = { size: 64, scales: 2, iterations: 10, seed: 0 } as const;

/** Runs `spec` through stylize() on `backend` (resolved by id) and returns its losses, image and seconds. */
export async function runStylize(backend: string, spec: StylizeRunSpec): Promise<StylizeRunResult> {
  const job = stylize({
    content: spec.content,
    style: spec.style,
    weights: spec.weights,
    model: spec.model,
    backend,
    size: spec.size ?? STYLIZE_RUN_DEFAULTS.size,
    scales: spec.scales ?? STYLIZE_RUN_DEFAULTS.scales,
    iterations: spec.iterations ?? STYLIZE_RUN_DEFAULTS.iterations,
    seed: spec.seed ?? STYLIZE_RUN_DEFAULTS.seed,
  });
  const stepLosses: number[] = [];
  let finalLosses: number[] = [];
  let seconds = NaN;
  job.onEvent((e) => {
    if (e.type === 'step') stepLosses.push(e.loss);
    if (e.type === 'done') {
      finalLosses = e.finalLosses;
      seconds = e.seconds;
    }
  });
  const image = await job.result;
  const used = job.getSnapshot().backend ?? '?';
  if (used !== backend) throw new Error(`stylize ran on '${used}', not on '${backend}'`);
  return { backend: used, finalLosses, stepLosses, image, seconds };
}

/**
 * Compares a run with a reference run of the same spec on another backend: each scale's final loss
 * within `relTolerance` (default 2 %), the same number of steps, and finite losses throughout.
 */
export function compareStylizeRuns(got: StylizeRunResult, reference: StylizeRunResult, relTolerance = 0.02): CheckResult[] {
  const results: CheckResult[] = [];
  const scales = Math.max(got.finalLosses.length, reference.finalLosses.length);
  results.push(check('scales run', [got.finalLosses.length], [reference.finalLosses.length], 'exact', 0));
  results.push(check('steps run', [got.stepLosses.length], [reference.stepLosses.length], 'exact', 0));
  const nonFinite = got.stepLosses.filter((l) => !Number.isFinite(l)).length;
  results.push({ name: 'finite losses at every step', kind: 'exact_zero', error: nonFinite, tolerance: 0, pass: nonFinite === 0 });
  for (let s = 0; s < scales; s++) {
    results.push(
      check(
        `final loss of scale ${s + 1} (${got.backend} vs ${reference.backend})`,
        [got.finalLosses[s] ?? NaN],
        [reference.finalLosses[s] ?? NaN],
        'rel',
        relTolerance,
      ),
    );
  }
  return results;
}
