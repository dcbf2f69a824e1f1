// The compact cached form of a preset's weights: a safetensors file holding only the conv tensors the
// preset uses (names and layout as in the original file), F32 or F16, with metadata saying where they came from.

import { WeightsError } from '../../errors.js';
import type { FeatureExtractorPreset, VggWeights } from '../presets.js';
import { bytesByteSource, type ByteSource } from './byte-source.js';
import { checkVggTensors, loadVggWeights, readVggTensors, type LoadVggWeightsOptions } from './load-vgg-weights.js';
import { parseSafetensorsHeader, writeRawSafetensors, writeSafetensors, type NamedTensor, type RawTensor } from './safetensors.js';
import { sha256Hex, type WeightsCacheEntry } from './weights-cache.js';

/** `__metadata__.strotss_format` of compact files; bumped if the layout ever changes. */
export const COMPACT_FORMAT = 'strotss-vgg/1';

/** Where compact weights came from, recorded in the file's metadata and the cache entry. */
export interface CompactProvenance {
  /** The URL downloaded or the file converted (`file:` URL). */
  source: string;
  /** SHA-256 of the bytes received from `source`. */
  fetchedSha256?: string;
  /** SHA-256 of the whole source file when it was verified (whole download or converted file). */
  sourceSha256?: string;
}

/** A compact file with the cache entry describing it. */
export interface CompactWeights {
  bytes: Uint8Array;
  entry: WeightsCacheEntry;
}

/** Returns a compact file for `preset` from decoded tensors, stored as F32 (exact) or F16 (half the size). */
export async function compactFromTensors(
  preset: FeatureExtractorPreset,
  tensors: ReadonlyMap<string, NamedTensor>,
  provenance: CompactProvenance,
  options: { dtype?: 'F32' | 'F16' } = {},
): Promise<CompactWeights> {
  const { names } = checkVggTensors(preset, tensors, provenance.source);
  const ordered: Record<string, NamedTensor> = {};
  for (const name of names) ordered[name] = tensors.get(name)!;
  const bytes = writeSafetensors(ordered, metadataOf(preset, provenance), { dtype: options.dtype ?? 'F32' });
  return { bytes, entry: await entryFor(preset, bytes, provenance) };
}

/** Returns a compact file for `preset` from tensors exactly as received (dtype and bytes untouched). */
export async function compactFromRaw(
  preset: FeatureExtractorPreset,
  tensors: ReadonlyMap<string, RawTensor>,
  provenance: CompactProvenance,
): Promise<CompactWeights> {
  const { names } = checkVggTensors(preset, tensors, provenance.source);
  const ordered: Record<string, RawTensor> = {};
  for (const name of names) ordered[name] = tensors.get(name)!;
  const bytes = writeRawSafetensors(ordered, metadataOf(preset, provenance));
  return { bytes, entry: await entryFor(preset, bytes, provenance) };
}

/** Returns the compact form of the weights at `location` (TF.js manifest or safetensors), validated; F16 halves it. */
export async function convertVggWeights(
  preset: FeatureExtractorPreset,
  source: ByteSource,
  location: string,
  options: LoadVggWeightsOptions & { dtype?: 'F32' | 'F16'; provenance?: Partial<CompactProvenance> } = {},
): Promise<CompactWeights> {
  const { tensors, availableNames } = await readVggTensors(preset, source, location, options);
  checkVggTensors(preset, tensors, location, { availableNames });
  return compactFromTensors(preset, tensors, { source: location, ...options.provenance }, { dtype: options.dtype });
}

/** Returns the preset's conv weights from a compact file's bytes (`label` names it in errors). */
export async function loadCompactWeights(preset: FeatureExtractorPreset, bytes: Uint8Array, label: string): Promise<VggWeights> {
  const header = parseSafetensorsHeader(bytes, { fileLength: bytes.length, label });
  const model = header.metadata?.model;
  if (model !== undefined && model !== preset.id) {
    throw new WeightsError((w) => `${label} holds ${model} weights, not ${preset.id}; pick ${w.option('model') ?? 'model'} ${model} or other weights.`, {
      details: { option: 'model', value: preset.id },
    });
  }
  return loadVggWeights(preset, bytesByteSource(bytes, label), label, { format: 'safetensors' });
}

/** Returns the `__metadata__` of a compact file. */
function metadataOf(preset: FeatureExtractorPreset, provenance: CompactProvenance): Record<string, string> {
  const metadata: Record<string, string> = { strotss_format: COMPACT_FORMAT, model: preset.id, source: provenance.source };
  if (provenance.fetchedSha256) metadata.fetched_sha256 = provenance.fetchedSha256;
  if (provenance.sourceSha256) metadata.source_sha256 = provenance.sourceSha256;
  return metadata;
}

/** Returns the cache entry of a compact file: keyed by model and the SHA-256 of its bytes. */
async function entryFor(preset: FeatureExtractorPreset, bytes: Uint8Array, provenance: CompactProvenance): Promise<WeightsCacheEntry> {
  const entry: WeightsCacheEntry = {
    model: preset.id,
    sha256: await sha256Hex(bytes),
    size: bytes.length,
    source: provenance.source,
    createdAt: new Date().toISOString(),
  };
  if (provenance.fetchedSha256) entry.fetchedSha256 = provenance.fetchedSha256;
  return entry;
}
