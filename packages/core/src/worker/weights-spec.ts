// Weights described by data rather than by a loader function, so a worker can load them itself.
import { InvalidOptionError } from '../errors.js';
import { FEATURE_EXTRACTORS, type FeatureExtractorId, type FeatureExtractorPreset, type VggWeights } from '../model/presets.js';
import { fetchByteSource, type FetchLike } from '../model/weights/byte-source.js';
import { vggWeightsLoader, type WeightsOptions } from '../model/weights/fetch-weights.js';
import { loadVggWeights, type WeightsFormat } from '../model/weights/load-vgg-weights.js';
import type { WeightsCache } from '../model/weights/weights-cache.js';
import type { WeightsInput } from '../strotss/options.js';

/** Where the default download (or a mirror) is fetched from: the serialisable part of {@link WeightsOptions}. */
export type WeightsDownload = Pick<WeightsOptions, 'url' | 'sha256' | 'source' | 'offline' | 'retries'>;

/**
 * Weights as data: loaded weights (copied to a worker), a weights file at a URL (a TF.js model.json
 * or a .safetensors file; read whole), or `download` — the model's default download, Range requests
 * for the conv tensors only, kept in a cache when one is given.
 */
export type WeightsSpec = VggWeights | { url: string; format?: WeightsFormat } | { download: WeightsDownload };

/** What a worker (or the page, running in-thread) adds when turning a spec into a loader. */
export interface WeightsEnvironment {
  /** Where downloaded weights are kept (browsers: the Cache API). */
  cache?: WeightsCache;
  fetch?: FetchLike;
}

/** Returns the feature extractor preset of a job's `model` option (default vgg16). */
function presetOf(model: FeatureExtractorId | FeatureExtractorPreset | undefined): FeatureExtractorPreset {
  if (typeof model === 'object') return model;
  const id = model ?? 'vgg16';
  if (!Object.hasOwn(FEATURE_EXTRACTORS, id)) {
    throw new InvalidOptionError(`model is '${id}'; use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`, { details: { option: 'model', value: id } });
  }
  return FEATURE_EXTRACTORS[id];
}

/** Returns true when `spec` is loaded weights rather than a description of where they are. */
export function isLoadedWeights(spec: WeightsSpec): spec is VggWeights {
  return !('url' in spec && typeof spec.url === 'string') && !('download' in spec);
}

/** Returns the job `weights` option (weights or a loader) a {@link WeightsSpec} stands for, for a job on `model`. */
export function weightsFromSpec(
  spec: WeightsSpec,
  model: FeatureExtractorId | FeatureExtractorPreset | undefined,
  env: WeightsEnvironment = {},
): WeightsInput {
  if (spec == null || typeof spec !== 'object') {
    throw new InvalidOptionError(`weights is ${String(spec)}; give loaded weights, { url } of a weights file or { download: {} }.`, {
      details: { option: 'weights' },
    });
  }
  if (isLoadedWeights(spec)) return spec;
  const preset = presetOf(model);
  if ('download' in spec) {
    return vggWeightsLoader({ ...spec.download, model: preset.id, cache: env.cache, fetch: env.fetch });
  }
  const { url, format } = spec;
  return async (report) => {
    const weights = await loadVggWeights(preset, fetchByteSource(env.fetch), url, { format });
    // A whole-file read has no byte count worth showing; report it as complete once loaded.
    report(1, 1);
    return weights;
  };
}
