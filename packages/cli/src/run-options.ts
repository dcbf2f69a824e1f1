import { resolveOptions, type FeatureExtractorId, type QualityPreset, type ResolvedOptions, type SamplerMode, type StyleTransferOptions } from '@strotss/core';
import type { RunArgs, WeightsArgs } from './args.js';

/** The options the user gave on the command line, by their API names; what was not given stays undefined. */
export type ExplicitOptions = Pick<
  StyleTransferOptions,
  'preset' | 'model' | 'size' | 'contentWeight' | 'iterations' | 'scales' | 'seed' | 'sampler' | 'previewEvery' | 'preserveColor' | 'points' | 'checkpointEvery'
>;

/**
 * Returns the user's explicit options, for `stylize()` (which fills in the defaults itself). The names
 * (`model`, `preset`, `sampler`) are passed on unchecked: {@link resolveRunOptions} has checked them.
 */
export function explicitOptions(args: Omit<RunArgs, 'command'>): ExplicitOptions {
  return {
    preset: args.preset as QualityPreset | undefined,
    model: args.model as FeatureExtractorId | undefined,
    size: args.size,
    contentWeight: args.contentWeight,
    iterations: args.iterations,
    scales: args.scales,
    seed: args.seed,
    sampler: args.sampler as SamplerMode | undefined,
    previewEvery: args.previewEvery,
    preserveColor: args.preserveColor || undefined,
    points: args.points ? { pairs: args.points, weight: args.pointWeight } : undefined,
    checkpointEvery: args.checkpointEvery,
  };
}

/**
 * Returns the options @strotss/core would run with (defaults of the preset filled in), before any image
 * or weights are read; throws core's InvalidOptionError naming the value and the fix.
 */
export function resolveRunOptions(args: Omit<RunArgs, 'command'>): ResolvedOptions {
  // resolveOptions reads neither the images nor the weights: it checks and fills in the numbers and names.
  return resolveOptions(explicitOptions(args) as StyleTransferOptions);
}

/** Checks `--model` of `strotss weights` the way a run checks it (core's resolveOptions); throws InvalidOptionError. */
export function checkWeightsModel(args: WeightsArgs): void {
  if (args.model !== undefined) resolveOptions({ model: args.model as FeatureExtractorId } as StyleTransferOptions);
}
