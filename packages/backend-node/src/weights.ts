import { loadVggWeights, FEATURE_EXTRACTORS, WeightsError, parseSafetensorsHeader, type FeatureExtractorId, type VggWeights } from '@strotss/core';
import { nodeByteSource, resolveWeightsLocation } from './fs-byte-source.js';

/** The weights location from the environment (`STROTSS_WEIGHTS`), if set. */
export function weightsFromEnvironment(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.STROTSS_WEIGHTS?.trim() || undefined;
}

/**
 * Which preset a weights file holds, from its tensor names: Keras names up to `block5_conv4`
 * → vgg19-caffe; torchvision names with `features.28` but not `features.34` → vgg16.
 */
export async function inferModel(location: string): Promise<FeatureExtractorId | undefined> {
  try {
    return inferModelFromNames(await tensorNames(location));
  } catch {
    return undefined; // unreadable or malformed: the loader reports the precise problem
  }
}

/** Which preset the tensor names belong to, if recognisable. */
function inferModelFromNames(names: readonly string[]): FeatureExtractorId | undefined {
  if (names.some((n) => n.startsWith('block5_conv4'))) return 'vgg19-caffe';
  if (names.some((n) => n.startsWith('features.28.')) && !names.some((n) => n.startsWith('features.34.'))) return 'vgg16';
  return undefined;
}

/** Tensor names of a TF.js manifest or a safetensors header, read without loading any tensor. */
async function tensorNames(location: string): Promise<string[]> {
  const source = nodeByteSource();
  const resolved = await resolveWeightsLocation(location);
  let names: string[];
  if (/\.json$/i.test(resolved)) {
    const manifest = JSON.parse(new TextDecoder().decode(await source.read(resolved)));
    const groups = Array.isArray(manifest) ? manifest : manifest.weightsManifest ?? [];
    names = groups.flatMap((g: { weights: Array<{ name: string }> }) => g.weights.map((w) => w.name));
  } else {
    const head = source.readRange ? await source.readRange(resolved, 0, 8) : await source.read(resolved);
    const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
    if (n <= 0 || n > 100_000_000) throw new WeightsError(`${resolved}: implausible safetensors header length ${n}`);
    const bytes = source.readRange ? await source.readRange(resolved, 0, 8 + n) : head;
    names = Object.keys(parseSafetensorsHeader(bytes, { label: resolved }).tensors);
  }
  return names;
}

/** Loads a preset's conv weights from a path, folder or URL (TF.js manifest or safetensors). */
export async function loadWeightsFrom(location: string, model: FeatureExtractorId): Promise<VggWeights> {
  const preset = Object.hasOwn(FEATURE_EXTRACTORS, model) ? FEATURE_EXTRACTORS[model] : undefined;
  if (!preset) throw new WeightsError(`Unknown model '${model}'; use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`);
  const resolved = await resolveWeightsLocation(location);
  return loadVggWeights(preset, nodeByteSource(), resolved);
}
