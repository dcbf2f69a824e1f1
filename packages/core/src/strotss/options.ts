import { InvalidOptionError, type Wording } from '../errors.js';
import { defaultScaleCount } from './schedule.js';
import type { RgbaImage } from '../image.js';
import { FEATURE_EXTRACTORS, type FeatureExtractorId, type FeatureExtractorPreset, type VggWeights } from '../model/presets.js';
import { DEFAULT_COSINE_EPSILON } from '../ops/distances.js';
import type { RegionGuidance } from './guidance.js';
import type { PointGuidance } from './point-guidance.js';
import type { StyleInput } from './styles.js';
import type { SamplerMode, SamplingPlan } from './sampling.js';
import type { StrotssCheckpoint } from './checkpoint.js';

/** Weights given directly, or a loader called once when the job starts (progress via `report`). */
export type WeightsInput = VggWeights | ((report: (loaded: number, total: number) => void) => Promise<VggWeights>);

/** Named sets of defaults: `reference` (the spec's), `fast` and `draft` (see {@link QUALITY_PRESETS}). */
export type QualityPreset = 'reference' | 'fast' | 'draft';

/** The defaults a preset sets; options given explicitly win over them. */
export interface PresetDefaults {
  size: number;
  iterations: number;
  scales?: number;
  samplesPerStep: number;
  styleDraws: number;
  styleSamplesPerDraw: number;
}

/**
 * The presets (bench/RESULTS.md has the measurements behind them):
 * - `reference`: the authors' settings (512 px, 250 iterations per scale, 1024 output and
 *   5 × 1000 style samples).
 * - `fast`: 100 iterations per scale and 3 × 1000 style samples, ≈ 4× less work; the reference's
 *   own loss curves are within ≈5 % of their final value by iteration 100.
 * - `draft`: a 256 px preview from two scales (128, 256) of 10 iterations with 256 output and
 *   1 × 1000 style samples: under a minute on two cores with wasm (the VGG pass at 256 px alone
 *   is ≈ 60 GFLOP per iteration, so a minute allows about 10–15 iterations there).
 */
export const QUALITY_PRESETS: Readonly<Record<QualityPreset, Readonly<PresetDefaults>>> = {
  reference: { size: 512, iterations: 250, samplesPerStep: 1024, styleDraws: 5, styleSamplesPerDraw: 1000 },
  fast: { size: 512, iterations: 100, samplesPerStep: 1024, styleDraws: 3, styleSamplesPerDraw: 1000 },
  draft: { size: 256, iterations: 10, scales: 2, samplesPerStep: 256, styleDraws: 1, styleSamplesPerDraw: 1000 },
};

/** Everything a STROTSS job takes. Only `content`, `style` and `weights` are required. */
export interface StyleTransferOptions {
  /** Defaults for size, iterations, scales and sample counts (default `reference`); explicit options win. */
  preset?: QualityPreset;
  content: RgbaImage;
  /** One style image, or several as `[{ image, weight }]`: each gives its weight's share of the style samples. */
  style: StyleInput;
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
  /** Point guidance (spec §11.2): content/style point pairs pulled together, weight β (default 5). */
  points?: PointGuidance;
  /** Keep the content's colours: luminance-only transfer, the output's luminance under the content's chroma (default false). */
  preserveColor?: boolean;
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
  /** Take a checkpoint ('checkpoint' event) every this many iterations of each scale (0 = never; default 0). */
  checkpointEvery?: number;
  /** Take a checkpoint when the job is cancelled, at the next iteration boundary, before it stops (default false). */
  checkpointOnCancel?: boolean;
  /**
   * Continue from this checkpoint (docs/guide/resume.md): the result is identical to the run that was
   * never stopped, on the same backend. Options not given are taken from it; given ones must match it.
   */
  resume?: StrotssCheckpoint;
  /** The image the first scale starts from instead of the style's mean colour (e.g. the previous frame's result; any size). */
  init?: RgbaImage;
}

/** Options with every default filled in and checked. */
export interface ResolvedOptions {
  preset: QualityPreset;
  model: FeatureExtractorPreset;
  size: number;
  contentWeight: number;
  iterations: number;
  scales?: number;
  seed: number;
  sampler: SamplerMode;
  cosineEpsilon: number;
  preserveColor: boolean;
  previewEvery: number;
  samplesPerStep: number;
  styleDraws: number;
  styleSamplesPerDraw: number;
  pyramidLevels: number;
  checkpointEvery: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, fix: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v <= 0) {
    throw new InvalidOptionError((w) => `${w.option(name) ?? name} is ${value}; it must be a positive integer (${fix}).`, {
      details: { option: name, value },
    });
  }
  return v;
}

/** An option error worded per front end: `${option} is ${value}; ${rest}`. */
function badOption(name: string, value: unknown, rest: (w: Wording) => string): InvalidOptionError {
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  return new InvalidOptionError((w) => `${w.option(name) ?? name} is ${shown}; ${rest(w)}`, { details: { option: name, value } });
}

/** The fewest pixels on the long side of the first scale: the VGGs pool four times (spec §4). */
const MIN_FIRST_SCALE = 16;

/** Throws when `scales` scales halving down from `size` would make the first scale smaller than the VGG can take. */
function checkScaleCount(size: number, scales: number | undefined): void {
  const count = scales ?? defaultScaleCount(size);
  if (Math.round(size / 2 ** (count - 1)) >= MIN_FIRST_SCALE) return;
  let fits = 1;
  while (Math.round(size / 2 ** fits) >= MIN_FIRST_SCALE) fits++;
  throw new InvalidOptionError(
    (w) =>
      `${w.option('scales') ?? 'scales'} is ${count} with ${w.option('size') ?? 'size'} ${size}: the first scale would be ` +
      `${Math.round(size / 2 ** (count - 1))} px long, but the VGG needs at least ${MIN_FIRST_SCALE}. ` +
      `Use at most ${fits} scales, or a larger ${w.option('size') ?? 'size'}.`,
    { details: { option: 'scales', value: count, fits } },
  );
}

/** Fills in defaults and validates; throws InvalidOptionError naming the value and the fix. */
export function resolveOptions(options: StyleTransferOptions): ResolvedOptions {
  options = withCheckpointOptions(options);
  const id = options.model ?? 'vgg16';
  // Own keys only: an inherited name such as 'toString' must not pass as a preset.
  const model = typeof id === 'object' ? id : Object.hasOwn(FEATURE_EXTRACTORS, id) ? FEATURE_EXTRACTORS[id] : undefined;
  if (!model) throw badOption('model', options.model, () => `use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`);
  const presetName = options.preset ?? 'reference';
  if (!Object.hasOwn(QUALITY_PRESETS, presetName)) {
    throw badOption('preset', options.preset, () => `use one of ${Object.keys(QUALITY_PRESETS).join(', ')}.`);
  }
  const preset = QUALITY_PRESETS[presetName];
  const size = positiveInteger('size', options.size, preset.size, 'e.g. 512');
  if (size < MIN_FIRST_SCALE) throw badOption('size', size, () => `the VGG needs a long side of at least ${MIN_FIRST_SCALE} pixels (use 64 or more).`);
  const contentWeight = options.contentWeight ?? 1;
  if (typeof contentWeight !== 'number' || !Number.isFinite(contentWeight) || contentWeight < 0) {
    throw badOption('contentWeight', options.contentWeight, () => 'it must be a finite number ≥ 0 (default 1).');
  }
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', options.seed, () => 'it must be an integer.');
  const sampler = options.sampler ?? 'paired';
  if (sampler !== 'paired' && sampler !== 'reference') throw badOption('sampler', sampler, () => "use 'paired' or 'reference'.");
  const preserveColor = options.preserveColor ?? false;
  if (typeof preserveColor !== 'boolean') throw badOption('preserveColor', preserveColor, () => 'it must be true or false.');
  const cosineEpsilon = options.cosineEpsilon ?? DEFAULT_COSINE_EPSILON;
  if (!(cosineEpsilon >= 0)) throw badOption('cosineEpsilon', cosineEpsilon, () => 'it must be ≥ 0.');
  // A preset's scale count belongs to its size: an explicit size alone gets the default count.
  const presetScales = options.size === undefined ? preset.scales : undefined;
  const scales = options.scales === undefined ? presetScales : positiveInteger('scales', options.scales, 1, 'e.g. 4');
  checkScaleCount(size, scales);
  return {
    preset: presetName,
    model,
    size,
    contentWeight,
    iterations: positiveInteger('iterations', options.iterations, preset.iterations, 'the reference uses 250 per scale'),
    scales,
    seed,
    sampler,
    cosineEpsilon,
    preserveColor,
    previewEvery:
      options.previewEvery === undefined || options.previewEvery === 0
        ? 0
        : positiveInteger('previewEvery', options.previewEvery, 0, '0 turns previews off'),
    samplesPerStep: positiveInteger('samplesPerStep', options.samplesPerStep, preset.samplesPerStep, 'default 1024'),
    styleDraws: positiveInteger('styleDraws', options.styleDraws, preset.styleDraws, 'default 5'),
    styleSamplesPerDraw: positiveInteger('styleSamplesPerDraw', options.styleSamplesPerDraw, preset.styleSamplesPerDraw, 'default 1000'),
    pyramidLevels: positiveInteger('pyramidLevels', options.pyramidLevels, 5, 'default 5'),
    checkpointEvery:
      options.checkpointEvery === undefined || options.checkpointEvery === 0
        ? 0
        : positiveInteger('checkpointEvery', options.checkpointEvery, 0, '0 turns periodic checkpoints off'),
  };
}

/** `options` with every result-changing option it leaves out taken from the checkpoint it resumes. */
function withCheckpointOptions(options: StyleTransferOptions): StyleTransferOptions {
  const saved = options.resume?.fingerprint?.options;
  if (!saved) return options;
  const filled: Record<string, unknown> = { ...options };
  for (const [key, value] of Object.entries(saved)) {
    if (filled[key] === undefined && value !== null) filled[key] = value;
  }
  return filled as unknown as StyleTransferOptions;
}
