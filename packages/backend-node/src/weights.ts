import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  convertVggWeights,
  DEFAULT_WEIGHTS_SOURCES,
  FEATURE_EXTRACTORS,
  fetchVggWeights,
  loadVggWeights,
  parseSafetensorsHeader,
  WeightsError,
  type FeatureExtractorId,
  type FetchedWeights,
  type VggWeights,
  type WeightsCache,
  type WeightsCacheEntry,
  type WeightsOptions,
} from '@strotss/core';
import { writeFileAtomic } from './atomic-write.js';
import { nodeByteSource, resolveWeightsLocation } from './fs-byte-source.js';
import { defaultWeightsCacheDir, FileSystemWeightsCache } from './fs-weights-cache.js';

const HTTP_URL = /^https?:\/\//i;

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

/** Node weights settings: the core's WeightsOptions plus `weights`, a local path or URL that bypasses download and cache. */
export interface NodeWeightsOptions extends WeightsOptions {
  /** A TF.js model.json, a folder holding one, or a .safetensors file (path, file: URL or http(s) URL). */
  weights?: string;
}

const TRUE_VALUES = new Set(['1', 'true', 'yes', 'on']);

/**
 * Returns the weights settings the environment asks for: `STROTSS_WEIGHTS` (local weights),
 * `STROTSS_WEIGHTS_URL` + `STROTSS_WEIGHTS_SHA256` (download source and its hash), `STROTSS_CACHE`
 * (cache folder, default the user cache folder) and `STROTSS_OFFLINE=1` (never download).
 */
export function weightsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): NodeWeightsOptions {
  const options: NodeWeightsOptions = { cache: new FileSystemWeightsCache(defaultWeightsCacheDir(env)) };
  const weights = weightsFromEnvironment(env);
  if (weights) options.weights = weights;
  const url = env.STROTSS_WEIGHTS_URL?.trim();
  if (url) options.url = url;
  const sha256 = env.STROTSS_WEIGHTS_SHA256?.trim();
  if (sha256) options.sha256 = sha256;
  const offline = env.STROTSS_OFFLINE?.trim().toLowerCase();
  if (offline && TRUE_VALUES.has(offline)) options.offline = true;
  return options;
}

/** Weights ready for a job, and where they came from. */
export interface LoadedWeights {
  weights: VggWeights;
  model: FeatureExtractorId;
  /** The file read (local weights) or the cache entry (downloaded weights). */
  location: string;
  /** Set for downloaded weights: the cache entry and whether it was already there. */
  fetched?: FetchedWeights;
}

/** Loads weights for `model`: from `options.weights` when given, else through the cache, downloading what is missing. */
export async function loadWeights(model: FeatureExtractorId, options: NodeWeightsOptions = {}): Promise<LoadedWeights> {
  if (options.weights) {
    if (options.offline && HTTP_URL.test(options.weights)) {
      throw new WeightsError(
        `--weights is the URL ${options.weights} but offline mode (--offline / STROTSS_OFFLINE=1) forbids downloading; pass a local path.`,
      );
    }
    return { weights: await loadWeightsFrom(options.weights, model), model, location: options.weights };
  }
  const fetched = await fetchVggWeights({ ...options, model });
  const cache = options.cache;
  const location = cache instanceof FileSystemWeightsCache ? cache.pathOf(fetched.entry) : fetched.entry.source;
  return { weights: fetched.weights, model, location, fetched };
}

/** Returns the SHA-256 (hex) of a local file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options of convertWeightsFile. */
export interface ConvertWeightsOptions {
  /** Preset the file holds (default: inferred from its tensor names). */
  model?: FeatureExtractorId;
  /** Store as float16 (half the size, ≈3 significant digits) instead of float32. */
  float16?: boolean;
  /** Write the compact file here instead of into the cache. */
  output?: string;
  /** Cache to store into when there is no `output` (default: the environment's cache). */
  cache?: WeightsCache;
}

/**
 * Converts a TF.js model or safetensors file (path or folder) into the compact form: into the cache, or
 * to `output`. A file whose SHA-256 is the preset's published one becomes the cache entry of its default
 * download source, so later runs use it without downloading.
 */
export async function convertWeightsFile(
  input: string,
  options: ConvertWeightsOptions = {},
): Promise<{ entry: WeightsCacheEntry; path: string }> {
  const resolved = await resolveWeightsLocation(input);
  const model = options.model ?? (await inferModel(resolved));
  if (!model) {
    throw new WeightsError(`Cannot tell which model ${resolved} holds; pass --model ${Object.keys(FEATURE_EXTRACTORS).join('|')}.`);
  }
  const preset = FEATURE_EXTRACTORS[model];
  let provenance: { source: string; sourceSha256?: string; fetchedSha256?: string } = { source: pathToFileURL(resolved).href };
  if (!HTTP_URL.test(resolved) && /\.safetensors$/i.test(resolved)) {
    const fileSha256 = await sha256File(resolved);
    const known = DEFAULT_WEIGHTS_SOURCES[model];
    provenance = known?.sha256 === fileSha256
      ? { source: known.url, sourceSha256: fileSha256, fetchedSha256: fileSha256 }
      : { ...provenance, sourceSha256: fileSha256 };
  }
  const compact = await convertVggWeights(preset, nodeByteSource(), resolved, {
    dtype: options.float16 ? 'F16' : 'F32',
    provenance,
  });
  if (options.output) {
    await writeFileAtomic(options.output, compact.bytes);
    return { entry: compact.entry, path: resolve(options.output) };
  }
  const cache = options.cache ?? new FileSystemWeightsCache();
  await cache.put(compact.entry, compact.bytes);
  return { entry: compact.entry, path: cache instanceof FileSystemWeightsCache ? cache.pathOf(compact.entry) : cache.location };
}
