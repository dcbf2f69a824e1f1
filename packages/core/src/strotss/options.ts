import { InvalidOptionError } from '../errors.js';
import type { RgbaImage } from '../image.js';
import { FEATURE_EXTRACTORS, type FeatureExtractorId, type FeatureExtractorPreset, type VggWeights } from '../model/presets.js';
import { DEFAULT_COSINE_EPSILON } from '../ops/distances.js';
import type { RegionGuidance } from './guidance.js';
import type { SamplerMode, SamplingPlan } from './sampling.js';

/** Weights given directly, or a loader called once when the job starts (progress via `report`). */
export type WeightsInput = VggWeights | ((report: (loaded: number, total: number) => void) => Promise<VggWeights>);

/** Everything a STROTSS job takes. Only `content`, `style` and `weights` are required. */
export interface StyleTransferOptions {
  content: RgbaImage;
  style: RgbaImage;
  weights: WeightsInput;
  /** Feature extractor preset (default `vgg16`, the reference's). */
  model?: FeatureExtractorId | FeatureExtractorPreset;
  /** Long side of the output in pixels (default 512). */
  size?: number;
  /** User content weight w; α starts at 16·w (default 1). */
  contentWeight?: number;
  /** Iterations per scale (default 250). */
  iterations?: number;
  /** Number of scales (default: 64, 128, … up to `size`). */
  scales?: number;
  /** Seed of every random choice; a run is reproducible on the same backend (default: random, reported in 'done'). */
  seed?: number;
  /** 'paired' (default) shuffles (row, col) pairs; 'reference' shuffles rows and columns independently as the authors' code. */
  sampler?: SamplerMode;
  /** Injects every random choice (parity tests); overrides `seed` and `sampler`. */
  samplingPlan?: SamplingPlan;
  /** Added to the product of norms in cosine distances (default 1e-12; 0 = the reference, NaN on black pixels). */
  cosineEpsilon?: number;
  /** Region guidance (the reference's `-gr`). */
  guidance?: RegionGuidance;
  /** Backend preference passed to resolveBackend (default 'auto'). */
  backend?: string | readonly string[];
  /** Emit a 'preview' event every this many iterations (0 = never; default 0). */
  previewEvery?: number;
  /** Cancels the job. */
  signal?: AbortSignal;
  /** Output samples per step N (default 1024), style draws (5) × samples per draw (1000), pyramid levels (5). */
  samplesPerStep?: number;
  styleDraws?: number;
  styleSamplesPerDraw?: number;
  pyramidLevels?: number;
}

/** Options with every default filled in and checked. */
export interface ResolvedOptions {
  model: FeatureExtractorPreset;
  size: number;
  contentWeight: number;
  iterations: number;
  scales?: number;
  seed: number;
  sampler: SamplerMode;
  cosineEpsilon: number;
  previewEvery: number;
  samplesPerStep: number;
  styleDraws: number;
  styleSamplesPerDraw: number;
  pyramidLevels: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, fix: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) throw new InvalidOptionError(`${name} is ${value}; it must be a positive integer (${fix}).`);
  return v;
}

/** Fills in defaults and validates; throws InvalidOptionError naming the value and the fix. */
export function resolveOptions(options: StyleTransferOptions): ResolvedOptions {
  const id = options.model ?? 'vgg16';
  // Own keys only: an inherited name such as 'toString' must not pass as a preset.
  const model = typeof id === 'object' ? id : Object.hasOwn(FEATURE_EXTRACTORS, id) ? FEATURE_EXTRACTORS[id] : undefined;
  if (!model) {
    throw new InvalidOptionError(`model is '${String(options.model)}'; use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`);
  }
  const size = positiveInteger('size', options.size, 512, 'e.g. 512');
  if (size < 16) throw new InvalidOptionError(`size is ${size}; the VGG needs a long side of at least 16 pixels (use 64 or more).`);
  const contentWeight = options.contentWeight ?? 1;
  if (!Number.isFinite(contentWeight) || contentWeight < 0) {
    throw new InvalidOptionError(`contentWeight is ${options.contentWeight}; it must be a finite number ≥ 0 (default 1).`);
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isInteger(seed)) throw new InvalidOptionError(`seed is ${options.seed}; it must be an integer.`);
  const sampler = options.sampler ?? 'paired';
  if (sampler !== 'paired' && sampler !== 'reference') {
    throw new InvalidOptionError(`sampler is '${String(sampler)}'; use 'paired' or 'reference'.`);
  }
  const cosineEpsilon = options.cosineEpsilon ?? DEFAULT_COSINE_EPSILON;
  if (!(cosineEpsilon >= 0)) throw new InvalidOptionError(`cosineEpsilon is ${cosineEpsilon}; it must be ≥ 0.`);
  return {
    model,
    size,
    contentWeight,
    iterations: positiveInteger('iterations', options.iterations, 250, 'the reference uses 250 per scale'),
    scales: options.scales === undefined ? undefined : positiveInteger('scales', options.scales, 1, 'e.g. 4'),
    seed,
    sampler,
    cosineEpsilon,
    previewEvery:
      options.previewEvery === undefined || options.previewEvery === 0
        ? 0
        : positiveInteger('previewEvery', options.previewEvery, 0, '0 turns previews off'),
    samplesPerStep: positiveInteger('samplesPerStep', options.samplesPerStep, 1024, 'default 1024'),
    styleDraws: positiveInteger('styleDraws', options.styleDraws, 5, 'default 5'),
    styleSamplesPerDraw: positiveInteger('styleSamplesPerDraw', options.styleSamplesPerDraw, 1000, 'default 1000'),
    pyramidLevels: positiveInteger('pyramidLevels', options.pyramidLevels, 5, 'default 5'),
  };
}
