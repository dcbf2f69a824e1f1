// TF.js weights: model.json (layers model) or weights_manifest.json lists groups of tensors; each group's
// shard files, concatenated in order, hold its tensors back to back in manifest order.

import { WeightsError } from '../../errors.js';
import type { ByteSource } from './byte-source.js';
import { decodeF16, decodeTensor, formatShape, product, type NamedTensor } from './safetensors.js';

/** One weight of a TF.js manifest group. */
interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}

interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** Bytes per element as stored (quantised weights are stored in their quantisation dtype). */
const STORED_BYTES: Readonly<Record<string, number>> = {
  float32: 4, int32: 4, float16: 2, bool: 1, uint8: 1, uint16: 2,
};

/** Returns the wanted tensors of a TF.js model.json / weights_manifest.json, reading only the groups that hold them. */
export async function readTfjsWeights(
  source: ByteSource,
  modelJsonLocation: string,
  wanted: (name: string) => boolean = () => true,
): Promise<Map<string, NamedTensor>> {
  const groups = parseManifest(await source.read(modelJsonLocation), modelJsonLocation);
  const result = new Map<string, NamedTensor>();
  for (const [g, group] of groups.entries()) {
    const layout = layoutGroup(group, modelJsonLocation);
    const needed = layout.filter((t) => wanted(t.entry.name));
    if (needed.length === 0) continue; // skip the group's shards entirely
    const shards = await Promise.all(group.paths.map((p) => source.read(source.resolve(modelJsonLocation, p))));
    const have = shards.reduce((sum, s) => sum + s.length, 0);
    const need = layout.length ? layout[layout.length - 1].end : 0;
    if (have < need) {
      throw new WeightsError(
        `${modelJsonLocation}: weight group ${g + 1} needs ${need} bytes but its ${shards.length} shard file(s) ` +
          `(${group.paths.join(', ')}) hold ${have}, ${need - have} bytes short. Re-download the shards next to model.json.`,
      );
    }
    for (const { entry, begin, end } of needed) {
      result.set(entry.name, { shape: entry.shape, values: decodeEntry(entry, gather(shards, begin, end), modelJsonLocation) });
    }
  }
  return result;
}

/** Returns the manifest groups of a layers model (`{weightsManifest}`) or a bare manifest array, validated. */
function parseManifest(bytes: Uint8Array, label: string): ManifestGroup[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8').decode(bytes));
  } catch (cause) {
    throw new WeightsError(`${label} is not valid JSON (${(cause as Error).message}); expected a TF.js model.json or weights_manifest.json.`, { cause });
  }
  const manifest = Array.isArray(json) ? json : (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest)) {
    throw new WeightsError(`${label} has no weightsManifest: expected a TF.js layers/graph model.json or a weights_manifest.json array.`);
  }
  return manifest.map((group, g) => {
    const where = `${label}: weightsManifest[${g}]`;
    const { paths, weights } = (group ?? {}) as { paths?: unknown; weights?: unknown };
    if (!Array.isArray(paths) || !paths.every((p) => typeof p === 'string')) {
      throw new WeightsError(`${where}.paths must be a list of shard file names.`);
    }
    if (!Array.isArray(weights)) throw new WeightsError(`${where}.weights must be a list.`);
    return { paths: paths as string[], weights: weights.map((w, i) => parseEntry(w, `${where}.weights[${i}]`)) };
  });
}

/** Returns one manifest entry with its name, shape and dtypes checked. */
function parseEntry(raw: unknown, where: string): ManifestEntry {
  const { name, shape, dtype, quantization } = (raw ?? {}) as Record<string, unknown>;
  if (typeof name !== 'string') throw new WeightsError(`${where} has no name.`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new WeightsError(`${where} ("${name}") has shape ${JSON.stringify(shape)}, not a list of non-negative integers.`);
  }
  if (typeof dtype !== 'string') throw new WeightsError(`${where} ("${name}") has no dtype.`);
  const entry: ManifestEntry = { name, shape: shape as number[], dtype };
  if (quantization !== undefined) {
    const q = quantization as { dtype?: unknown; scale?: unknown; min?: unknown };
    if (q.dtype !== 'uint8' && q.dtype !== 'uint16' && q.dtype !== 'float16') {
      throw new WeightsError(`${where} ("${name}") uses quantization dtype ${JSON.stringify(q.dtype)}; supported: uint8, uint16, float16.`);
    }
    if (q.dtype !== 'float16' && (typeof q.scale !== 'number' || typeof q.min !== 'number')) {
      throw new WeightsError(`${where} ("${name}") is ${q.dtype}-quantised but lacks a numeric scale and min.`);
    }
    entry.quantization = { dtype: q.dtype, scale: q.scale as number | undefined, min: q.min as number | undefined };
  } else if (STORED_BYTES[dtype] === undefined) {
    // Strings have variable length, so nothing after them could be located either.
    throw new WeightsError(`${where} ("${name}") has dtype ${dtype}; supported: float32, float16, int32, bool.`);
  }
  return entry;
}

/** Returns each entry's byte range [begin, end) within the group's concatenated shards. */
function layoutGroup(group: ManifestGroup, label: string): Array<{ entry: ManifestEntry; begin: number; end: number }> {
  let offset = 0;
  return group.weights.map((entry) => {
    const stored = entry.quantization?.dtype ?? entry.dtype;
    const size = STORED_BYTES[stored];
    if (size === undefined) throw new WeightsError(`${label}: weight "${entry.name}" is stored as ${stored}, which cannot be read.`);
    const begin = offset;
    offset += product(entry.shape) * size;
    return { entry, begin, end: offset };
  });
}

/** Returns bytes [begin, end) of the shards taken as one stream; a view when they lie in one shard. */
function gather(shards: readonly Uint8Array[], begin: number, end: number): Uint8Array {
  let shardStart = 0;
  let out: Uint8Array | undefined;
  for (const shard of shards) {
    const shardEnd = shardStart + shard.length;
    if (shardEnd > begin && shardStart < end) {
      const from = Math.max(begin, shardStart) - shardStart;
      const to = Math.min(end, shardEnd) - shardStart;
      if (!out && shardStart <= begin && shardEnd >= end) return shard.subarray(from, to);
      out ??= new Uint8Array(end - begin);
      out.set(shard.subarray(from, to), shardStart + from - begin);
    }
    shardStart = shardEnd;
  }
  return out ?? new Uint8Array(0);
}

/** Returns the float32 values of one entry, dequantising `v·scale + min` (rounded for int32 weights). */
function decodeEntry(entry: ManifestEntry, bytes: Uint8Array, label: string): Float32Array {
  const q = entry.quantization;
  if (q) {
    if (q.dtype === 'float16') return decodeF16(bytes);
    const scale = q.scale!;
    const min = q.min!;
    const n = product(entry.shape);
    const out = new Float32Array(n);
    const round = entry.dtype === 'int32';
    for (let i = 0; i < n; i++) {
      const v = q.dtype === 'uint8' ? bytes[i] : bytes[2 * i] | (bytes[2 * i + 1] << 8);
      out[i] = round ? Math.round(v * scale + min) : v * scale + min;
    }
    return out;
  }
  switch (entry.dtype) {
    case 'float32':
      return decodeTensor('F32', bytes, entry.name);
    case 'float16':
      return decodeTensor('F16', bytes, entry.name);
    case 'int32': {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      return Float32Array.from({ length: bytes.length / 4 }, (_, i) => view.getInt32(4 * i, true));
    }
    case 'bool':
      return Float32Array.from(bytes);
    default:
      throw new WeightsError(`${label}: weight "${entry.name}" ${formatShape(entry.shape)} has unsupported dtype ${entry.dtype}.`);
  }
}
