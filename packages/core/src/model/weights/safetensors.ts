// safetensors: 8-byte little-endian header length N, N bytes of JSON, then the tensor data.
// https://github.com/huggingface/safetensors#format

import { WeightsError } from '../../errors.js';
import type { ByteSource } from './byte-source.js';

/** One tensor entry of a safetensors header; `dataOffsets` are relative to the start of the data. */
export interface SafetensorsEntry {
  dtype: string;
  shape: number[];
  dataOffsets: [number, number];
}

/** A parsed safetensors header. */
export interface SafetensorsHeader {
  /** N, the JSON length in bytes. */
  headerLength: number;
  /** Where the data starts in the file: 8 + N. */
  dataOffset: number;
  tensors: Record<string, SafetensorsEntry>;
  metadata?: Record<string, string>;
}

/** A decoded tensor: row-major values as float32. */
export interface NamedTensor {
  shape: number[];
  values: Float32Array;
}

/** Headers beyond this are corruption, not weights (real ones are kilobytes). */
const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of the safetensors dtypes (used to validate offsets, also for dtypes we cannot decode). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2,
  I64: 8, I32: 4, I16: 2, I8: 1,
  U64: 8, U32: 4, U16: 2, U8: 1,
  BOOL: 1, F8_E4M3: 1, F8_E5M2: 1,
};

const DECODABLE = ['F32', 'F16', 'BF16', 'F64'];

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Returns the header length N stored in the first 8 bytes, after checking it is plausible. */
function readHeaderLength(bytes: Uint8Array, label: string, fileLength: number | undefined): number {
  if (bytes.length < 8) {
    throw new WeightsError(`${label} is ${bytes.length} bytes long, too short to be a safetensors file (needs an 8-byte header length).`);
  }
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n === 0n || n > BigInt(MAX_HEADER_BYTES)) {
    throw new WeightsError(
      `${label} declares a safetensors header of ${n} bytes, which is implausible (expected 1 byte to 100 MB): ` +
        'the file is corrupted or not a safetensors file.',
    );
  }
  const headerLength = Number(n);
  if (fileLength !== undefined && 8 + headerLength > fileLength) {
    throw new WeightsError(
      `${label} declares a safetensors header of ${headerLength} bytes but the file is only ${fileLength} bytes: it is truncated or corrupted.`,
    );
  }
  return headerLength;
}

/** Returns the header parsed from `bytes` (the file, or at least its first 8 + N bytes), validated against the file length when known. */
export function parseSafetensorsHeader(
  bytes: Uint8Array,
  options: { fileLength?: number; label?: string } = {},
): SafetensorsHeader {
  const label = options.label ?? 'The safetensors data';
  const headerLength = readHeaderLength(bytes, label, options.fileLength);
  if (bytes.length < 8 + headerLength) {
    throw new WeightsError(`${label}: got ${bytes.length} bytes, fewer than the ${8 + headerLength} its header needs; the file is truncated.`);
  }
  // Bytes past the header are data only when the caller gave more than the header.
  const fileLength = options.fileLength ?? (bytes.length > 8 + headerLength ? bytes.length : undefined);
  return parseHeaderJson(bytes.subarray(8, 8 + headerLength), headerLength, fileLength, label);
}

/** Returns the header built from its JSON bytes, checking every entry. */
function parseHeaderJson(
  json: Uint8Array,
  headerLength: number,
  fileLength: number | undefined,
  label: string,
): SafetensorsHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (cause) {
    throw new WeightsError(
      `${label} has an unreadable safetensors header (${(cause as Error).message}): the file is corrupted or not a safetensors file.`,
      { cause },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new WeightsError(`${label} has a safetensors header that is not a JSON object: the file is corrupted or not a safetensors file.`);
  }
  const dataOffset = 8 + headerLength;
  const dataLength = fileLength === undefined ? undefined : fileLength - dataOffset;
  const tensors: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> | undefined;
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(raw, label);
      continue;
    }
    tensors[name] = parseEntry(name, raw, dataLength, label);
  }
  return metadata ? { headerLength, dataOffset, tensors, metadata } : { headerLength, dataOffset, tensors };
}

/** Returns `__metadata__` as a string map, or throws naming the bad value. */
function parseMetadata(raw: unknown, label: string): Record<string, string> {
  if (!isPlainObject(raw)) throw new WeightsError(`${label}: safetensors __metadata__ must be an object of strings.`);
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') {
      throw new WeightsError(`${label}: safetensors __metadata__.${key} is ${JSON.stringify(value)}, not a string.`);
    }
  }
  return raw as Record<string, string>;
}

/** Returns one validated header entry: integer shape, ordered offsets inside the data, size = elements × dtype size. */
function parseEntry(name: string, raw: unknown, dataLength: number | undefined, label: string): SafetensorsEntry {
  const bad = (what: string) => new WeightsError(`${label}: tensor "${name}" ${what}; the file is corrupted.`);
  if (!isPlainObject(raw)) throw bad('has no {dtype, shape, data_offsets} entry');
  const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string') throw bad(`has dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with 0 ≤ begin ≤ end`);
  }
  const [begin, end] = offsets as [number, number];
  if (dataLength !== undefined && end > dataLength) {
    throw bad(`has data_offsets [${begin}, ${end}] beyond the ${dataLength} data bytes in the file (truncated?)`);
  }
  const elementBytes = DTYPE_BYTES[dtype];
  if (elementBytes !== undefined) {
    const expected = product(shape) * elementBytes;
    if (end - begin !== expected) {
      throw bad(`spans ${end - begin} bytes but ${dtype} ${formatShape(shape)} needs ${expected}`);
    }
  }
  return { dtype, shape: [...shape], dataOffsets: [begin, end] };
}

/** Returns little-endian `dtype` bytes (F32, F16, BF16 or F64) decoded to a fresh Float32Array. */
export function decodeTensor(dtype: string, bytes: Uint8Array, name?: string): Float32Array {
  const what = name === undefined ? 'tensor' : `tensor "${name}"`;
  const size = DTYPE_BYTES[dtype];
  if (size === undefined || !DECODABLE.includes(dtype)) {
    throw new WeightsError(`Cannot read ${what}: dtype ${dtype} is not supported (supported: ${DECODABLE.join(', ')}). Convert the weights to float32.`);
  }
  if (bytes.length % size !== 0) {
    throw new WeightsError(`Cannot read ${what}: ${bytes.length} bytes is not a whole number of ${dtype} values.`);
  }
  const count = bytes.length / size;
  switch (dtype) {
    case 'F32':
      return decodeF32(bytes, count);
    case 'F16':
      return decodeF16(bytes, count);
    case 'BF16':
      return decodeBF16(bytes, count);
    default:
      return decodeF64(bytes, count);
  }
}

/** Returns float32 values of little-endian float32 bytes (always a copy, so big source buffers can be freed). */
function decodeF32(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  }
  return out;
}

/** Returns float32 values of little-endian float64 bytes, rounded. */
function decodeF64(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

/** Returns float32 values of little-endian bfloat16 bytes (bfloat16 is the top half of a float32). */
function decodeBF16(bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) bits[i] = ((bytes[2 * i] | (bytes[2 * i + 1] << 8)) << 16) >>> 0;
  return out;
}

/** Returns float32 values of little-endian IEEE half-precision bytes. */
export function decodeF16(bytes: Uint8Array, count = bytes.length >> 1): Float32Array {
  const out = new Float32Array(count);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < count; i++) {
    const h = bytes[2 * i] | (bytes[2 * i + 1] << 8);
    const sign = (h & 0x8000) << 16;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    if (exponent === 0) {
      // Zero or subnormal: fraction × 2^-24, exact in float32.
      out[i] = (sign ? -1 : 1) * fraction * 2 ** -24;
    } else if (exponent === 0x1f) {
      bits[i] = (sign | 0x7f800000 | (fraction << 13)) >>> 0; // Inf or NaN
    } else {
      bits[i] = (sign | ((exponent + 112) << 23) | (fraction << 13)) >>> 0; // rebias 15 → 127
    }
  }
  return out;
}

/** Returns the wanted tensors of a safetensors file, fetching only their byte ranges when the source supports ranges. */
export async function readSafetensors(
  source: ByteSource,
  location: string,
  wanted: (name: string) => boolean = () => true,
): Promise<Map<string, NamedTensor>> {
  if (!source.readRange) {
    const bytes = await source.read(location);
    const header = parseSafetensorsHeader(bytes, { fileLength: bytes.length, label: location });
    const result = new Map<string, NamedTensor>();
    for (const [name, entry] of Object.entries(header.tensors)) {
      if (!wanted(name)) continue;
      const [begin, end] = entry.dataOffsets;
      const data = bytes.subarray(header.dataOffset + begin, header.dataOffset + end);
      result.set(name, { shape: entry.shape, values: decodeTensor(entry.dtype, data, name) });
    }
    return result;
  }

  const readRange = (start: number, end: number) => readExactRange(source, location, start, end);
  const headerLength = readHeaderLength(await readRange(0, 8), location, undefined);
  const header = parseHeaderJson(await readRange(8, 8 + headerLength), headerLength, undefined, location);
  const entries = Object.entries(header.tensors)
    .filter(([name]) => wanted(name))
    .sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
  const result = new Map<string, NamedTensor>();
  await Promise.all(
    mergeRanges(entries.map(([, e]) => e.dataOffsets)).map(async (run) => {
      const bytes = await readRange(header.dataOffset + run.begin, header.dataOffset + run.end);
      for (const [name, entry] of entries) {
        const [begin, end] = entry.dataOffsets;
        if (begin < run.begin || end > run.end) continue;
        const data = bytes.subarray(begin - run.begin, end - run.begin);
        result.set(name, { shape: entry.shape, values: decodeTensor(entry.dtype, data, name) });
      }
    }),
  );
  // Keep the file's order so callers see a deterministic map.
  return new Map(entries.filter(([name]) => result.has(name)).map(([name]) => [name, result.get(name)!]));
}

/** Returns the sorted ranges merged wherever one starts where (or before) the previous ends. */
export function mergeRanges(sorted: ReadonlyArray<readonly [number, number]>): Array<{ begin: number; end: number }> {
  const runs: Array<{ begin: number; end: number }> = [];
  for (const [begin, end] of sorted) {
    const last = runs[runs.length - 1];
    if (last && begin <= last.end) last.end = Math.max(last.end, end);
    else runs.push({ begin, end });
  }
  return runs;
}

/** Returns bytes [start, end) through `readRange`, or a WeightsError when fewer came back (truncated file). */
async function readExactRange(source: ByteSource, location: string, start: number, end: number): Promise<Uint8Array> {
  const bytes = await source.readRange!(location, start, end);
  if (bytes.length !== end - start) {
    throw new WeightsError(
      `${location}: asked for bytes ${start}–${end} but got ${bytes.length} bytes; the file is truncated or its header is wrong.`,
    );
  }
  return bytes;
}

/** One tensor already encoded: little-endian `dtype` bytes (copied as is into a file). */
export interface RawTensor {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** Options of writeSafetensors. */
export interface WriteSafetensorsOptions {
  /** Storage type: F32 (default, exact) or F16 (half the bytes, ≈3 significant digits). */
  dtype?: 'F32' | 'F16';
}

/** Returns a safetensors file holding `tensors` (F32 unless `dtype: 'F16'`) in insertion order, with optional `__metadata__`. */
export function writeSafetensors(
  tensors: Readonly<Record<string, NamedTensor>>,
  metadata?: Readonly<Record<string, string>>,
  options: WriteSafetensorsOptions = {},
): Uint8Array {
  const dtype = options.dtype ?? 'F32';
  if (dtype !== 'F32' && dtype !== 'F16') throw new WeightsError(`Cannot write safetensors as ${String(dtype)}; use F32 or F16.`);
  const raw: Record<string, RawTensor> = {};
  for (const [name, { shape, values }] of Object.entries(tensors)) {
    if (product(shape) !== values.length) {
      throw new WeightsError(`Cannot write tensor "${name}": shape ${formatShape(shape)} has ${product(shape)} elements but ${values.length} values were given.`);
    }
    raw[name] = { dtype, shape, data: dtype === 'F32' ? encodeF32(values) : encodeF16(values) };
  }
  return writeRawSafetensors(raw, metadata);
}

/** Returns a safetensors file holding already-encoded tensors in insertion order (header space-padded to a multiple of 8). */
export function writeRawSafetensors(
  tensors: Readonly<Record<string, RawTensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = { ...metadata };
  let offset = 0;
  for (const [name, { dtype, shape, data }] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new WeightsError('A tensor cannot be named __metadata__ in a safetensors file.');
    const size = DTYPE_BYTES[dtype];
    if (size === undefined) throw new WeightsError(`Cannot write tensor "${name}": unknown dtype ${dtype}.`);
    if (product(shape) * size !== data.length) {
      throw new WeightsError(
        `Cannot write tensor "${name}": ${dtype} ${formatShape(shape)} needs ${product(shape) * size} bytes but ${data.length} were given.`,
      );
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + data.length] };
    offset += data.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  // Padding keeps the data 8-byte aligned, which lets readers view it without copying.
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const { data } of Object.values(tensors)) {
    out.set(data, at);
    at += data.length;
  }
  return out;
}

/** Returns `values` as little-endian float32 bytes (a copy). */
export function encodeF32(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.byteLength);
  writeF32(out, 0, values);
  return out;
}

/** Returns `values` as little-endian IEEE half-precision bytes, rounded to nearest even; overflow becomes ±Infinity. */
export function encodeF16(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const f32 = new Float32Array(1);
  const bits = new Uint32Array(f32.buffer);
  for (let i = 0; i < values.length; i++) {
    f32[0] = values[i];
    const x = bits[0];
    const sign = (x >>> 16) & 0x8000;
    const exponent = (x >>> 23) & 0xff;
    const mantissa = x & 0x7fffff;
    let h: number;
    if (exponent === 0xff) {
      h = sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, or a quiet NaN
    } else {
      const e = exponent - 127 + 15;
      if (e >= 0x1f) {
        h = sign | 0x7c00; // too large: Infinity
      } else if (e <= 0) {
        // Subnormal half (or zero): shift the implicit-1 mantissa into place, round to nearest even.
        if (e < -10) {
          h = sign;
        } else {
          const m = mantissa | 0x800000;
          const shift = 14 - e;
          const half = 1 << (shift - 1);
          const rest = m & ((1 << shift) - 1);
          let v = m >>> shift;
          if (rest > half || (rest === half && (v & 1))) v++;
          h = sign | v;
        }
      } else {
        let v = (e << 10) | (mantissa >>> 13);
        const rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest === 0x1000 && (v & 1))) v++; // may carry into the exponent, up to Infinity: correct
        h = sign | v;
      }
    }
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >>> 8;
  }
  return out;
}

/** Writes `values` as little-endian float32 into `out` at byte `at`. */
function writeF32(out: Uint8Array, at: number, values: Float32Array): void {
  if (LITTLE_ENDIAN_HOST) {
    out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), at);
  } else {
    const view = new DataView(out.buffer, out.byteOffset + at, values.byteLength);
    for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  }
}

/** Returns the number of elements of a shape. */
export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Returns a shape as `[a, b, c]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
