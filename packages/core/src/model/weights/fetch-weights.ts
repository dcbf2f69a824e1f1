// Weights that "just work": look in the cache, else read the remote safetensors header, check it against
// what is published about the file, download only the conv tensors with Range requests (the whole file
// when the server ignores Range), verify, store the compact form in the cache.

import { WeightsError } from '../../errors.js';
import { FEATURE_EXTRACTORS, type FeatureExtractorId, type FeatureExtractorPreset, type VggWeights } from '../presets.js';
import type { FetchLike } from './byte-source.js';
import { compactFromRaw, loadCompactWeights, type CompactWeights } from './compact-weights.js';
import { DEFAULT_WEIGHTS_SOURCES, type RemoteWeightsSource } from './default-sources.js';
import { RemoteFile } from './http-download.js';
import { checkVggTensors, neededTensorNames } from './load-vgg-weights.js';
import { formatShape, mergeRanges, parseSafetensorsHeader, type RawTensor, type SafetensorsHeader } from './safetensors.js';
import { sha256Hex, type WeightsCache, type WeightsCacheEntry } from './weights-cache.js';

/** A download progress event (also a job event): bytes received so far and bytes to receive. */
export interface WeightsProgressEvent {
  type: 'weights';
  loaded: number;
  total: number;
}

/**
 * How weights are found and fetched: one plain object, every field optional (the Node adapter fills it
 * from `STROTSS_WEIGHTS_URL`, `STROTSS_WEIGHTS_SHA256`, `STROTSS_CACHE`, `STROTSS_OFFLINE`).
 */
export interface WeightsOptions {
  /** Preset whose weights to fetch (default `vgg16`). */
  model?: FeatureExtractorId;
  /** Safetensors URL replacing the preset's default source (mirrors, tests); the pinned hash and layout then do not apply. */
  url?: string;
  /** SHA-256 (hex) the whole file must have; with `url` this is the only hash enforced. */
  sha256?: string;
  /** A complete source description (URL, hash, published layout) replacing `url` and `sha256`. */
  source?: RemoteWeightsSource;
  /** Where compact weights are kept between runs (none: download every time). */
  cache?: WeightsCache;
  /** Never touch the network: use the cache or fail with a message naming the way out (default false). */
  offline?: boolean;
  /** fetch implementation (default: the global fetch). */
  fetch?: FetchLike;
  /** Cancels the download (rejects with StyleTransferAbortError). */
  signal?: AbortSignal;
  /** Receives `{type:'weights', loaded, total}` while downloading (and once, complete, on a cache hit). */
  onProgress?: (event: WeightsProgressEvent) => void;
  /** Resumes per broken transfer before giving up (default 3). */
  retries?: number;
  /** First request's size: the header must fit, else one more request reads the rest (default 16 KiB). */
  headerProbeBytes?: number;
}

/** Weights ready to use, with the cache entry they live in. */
export interface FetchedWeights {
  weights: VggWeights;
  entry: WeightsCacheEntry;
  /** The compact file's bytes. */
  bytes: Uint8Array;
  /** True when no byte was downloaded. */
  fromCache: boolean;
  /** Set when the download worked but storing it in the cache failed (the weights are still returned). */
  cacheError?: Error;
}

/** Returns the source to download `options.model` from: `options.url` if given, else the preset's default. */
export function resolveWeightsSource(options: Pick<WeightsOptions, 'model' | 'url' | 'sha256' | 'source'> = {}): RemoteWeightsSource {
  if (options.source) {
    if (options.model && options.model !== options.source.model) {
      throw new WeightsError(`The weights source holds ${options.source.model} weights but ${options.model} was asked for.`);
    }
    return options.source;
  }
  const model = options.model ?? 'vgg16';
  if (!Object.hasOwn(FEATURE_EXTRACTORS, model)) {
    throw new WeightsError(`Unknown model '${model}'; use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`);
  }
  const sha256 = options.sha256?.trim().toLowerCase() || undefined;
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
    throw new WeightsError(`The expected weights SHA-256 is '${options.sha256}'; give 64 hex digits (STROTSS_WEIGHTS_SHA256).`);
  }
  if (options.url) {
    if (!/^https?:\/\//i.test(options.url)) {
      throw new WeightsError(`The weights URL is '${options.url}'; STROTSS_WEIGHTS_URL must be an http(s) URL of a .safetensors file.`);
    }
    return { model, url: options.url, sha256 };
  }
  const source = DEFAULT_WEIGHTS_SOURCES[model];
  if (!source) {
    throw new WeightsError(
      (w) =>
        `There is no download source for ${model} weights; pass ${w.option('weights') ?? 'weights'} (or set STROTSS_WEIGHTS): ` +
        'a TF.js model.json, a folder holding one or a .safetensors file.',
      { details: { option: 'weights' } },
    );
  }
  return sha256 ? { ...source, sha256 } : source;
}

/**
 * Returns a weights loader for a job's `weights` option: it fetches through the cache when the job starts and
 * reports download progress to the job (its 'weights' events and `snapshot.weights`, e.g. the React hook's `weights`).
 */
export function vggWeightsLoader(options: WeightsOptions = {}): (report: (loaded: number, total: number) => void) => Promise<VggWeights> {
  return async (report) => {
    const fetched = await fetchVggWeights({
      ...options,
      onProgress: (event) => {
        options.onProgress?.(event);
        report(event.loaded, event.total);
      },
    });
    return fetched.weights;
  };
}

/** Returns cached weights for `options.model` from its source, downloading (and caching) only what is missing. */
export async function fetchVggWeights(options: WeightsOptions = {}): Promise<FetchedWeights> {
  const source = resolveWeightsSource(options);
  const preset = FEATURE_EXTRACTORS[source.model];
  const cached = options.cache ? await findCached(options.cache, preset, source.url) : undefined;
  if (cached) {
    options.onProgress?.({ type: 'weights', loaded: cached.entry.size, total: cached.entry.size });
    return cached;
  }
  if (options.offline) {
    const where = options.cache ? `the cache (${options.cache.location})` : 'the cache (none configured)';
    throw new WeightsError(
      (w) =>
        `${preset.id} weights are not in ${where} and offline mode (${w.option('offline') ?? 'offline'}, or STROTSS_OFFLINE=1) forbids ` +
        `downloading ${source.url}. Download them once while online (\`strotss weights fetch\`, or fetchVggWeights()), ` +
        `or pass local weights with ${w.option('weights') ?? 'weights'}.`,
      { details: { option: 'offline' } },
    );
  }
  const compact = await downloadCompact(preset, source, options);
  const weights = await loadCompactWeights(preset, compact.bytes, source.url);
  let cacheError: Error | undefined;
  if (options.cache) {
    try {
      await options.cache.put(compact.entry, compact.bytes);
    } catch (error) {
      cacheError = error as Error;
    }
  }
  return { weights, entry: compact.entry, bytes: compact.bytes, fromCache: false, cacheError };
}

/** Returns the newest intact cache entry of `preset` from `sourceUrl`, or undefined (corrupted entries are dropped by the cache). */
export async function findCached(
  cache: WeightsCache,
  preset: FeatureExtractorPreset,
  sourceUrl: string,
): Promise<FetchedWeights | undefined> {
  const candidates = (await cache.keys()).filter((e) => e.model === preset.id && e.source === sourceUrl);
  for (const entry of candidates) {
    const bytes = await cache.get(entry);
    if (!bytes) continue;
    try {
      const weights = await loadCompactWeights(preset, bytes, `${cache.location} entry ${entry.model}/${entry.sha256}`);
      return { weights, entry, bytes, fromCache: true };
    } catch {
      // Intact bytes that do not load were written by something else: drop them and download again.
      await cache.delete(entry);
    }
  }
  return undefined;
}

/** Returns the compact form of the preset's tensors downloaded from `source` (ranges, or the whole file as fallback). */
async function downloadCompact(
  preset: FeatureExtractorPreset,
  source: RemoteWeightsSource,
  options: WeightsOptions,
): Promise<CompactWeights> {
  const progress = new ProgressMeter(options.onProgress);
  let whole = false;
  const remote = new RemoteFile(source.url, {
    fetch: options.fetch,
    signal: options.signal,
    retries: options.retries,
    onBytes: (n) => progress.add(n),
    onWholeFile: (size) => {
      whole = true;
      progress.start(size ?? 0);
    },
    onResume: () => {
      if (whole) progress.reset();
    },
  });
  const needed = neededTensorNames(preset);
  const probe = await remote.probe(options.headerProbeBytes ?? 16 * 1024);
  const label = source.label ? `${source.url} (${source.label})` : source.url;

  if (probe.kind === 'whole') {
    const file = probe.body;
    const fetchedSha256 = await sha256Hex(file);
    if (source.sha256 && fetchedSha256 !== source.sha256) throw hashMismatch(source, fetchedSha256, 'the downloaded file');
    const header = parseSafetensorsHeader(file, { fileLength: file.length, label });
    checkHeader(preset, source, header, file.length, label);
    const raw = new Map<string, RawTensor>();
    for (const [name, entry] of Object.entries(header.tensors)) {
      if (!needed.has(name)) continue;
      const [begin, end] = entry.dataOffsets;
      raw.set(name, { dtype: entry.dtype, shape: entry.shape, data: file.subarray(header.dataOffset + begin, header.dataOffset + end) });
    }
    progress.finish();
    return compactFromRaw(preset, raw, { source: source.url, fetchedSha256, sourceSha256: fetchedSha256 });
  }

  if (source.sha256 && probe.sha256 && probe.sha256 !== source.sha256) {
    throw hashMismatch(source, probe.sha256, 'the server-stated hash (ETag) of the file');
  }
  const headerBytes = await readHeaderBytes(remote, probe.head, label);
  const header = parseSafetensorsHeader(headerBytes, { fileLength: probe.size, label });
  checkHeader(preset, source, header, probe.size, label);

  const entries = Object.entries(header.tensors)
    .filter(([name]) => needed.has(name))
    .sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0]);
  const runs = mergeRanges(entries.map(([, e]) => e.dataOffsets));
  progress.start(runs.reduce((sum, r) => sum + (r.end - r.begin), 0));
  const raw = new Map<string, RawTensor>();
  const received: Uint8Array[] = [];
  // One run at a time: a single stream per file is what servers and progress bars expect.
  for (const run of runs) {
    const bytes = await remote.range(header.dataOffset + run.begin, header.dataOffset + run.end);
    received.push(bytes);
    for (const [name, entry] of entries) {
      const [begin, end] = entry.dataOffsets;
      if (begin >= run.begin && end <= run.end) {
        raw.set(name, { dtype: entry.dtype, shape: entry.shape, data: bytes.subarray(begin - run.begin, end - run.begin) });
      }
    }
  }
  progress.finish();
  const fetchedSha256 = await sha256Hex(concat(received));
  const sourceSha256 = source.sha256 && probe.sha256 === source.sha256 ? probe.sha256 : undefined;
  return compactFromRaw(preset, raw, { source: source.url, fetchedSha256, sourceSha256 });
}

/** Returns the first 8 + N bytes of the file (N = header length), fetching what the probe did not cover. */
async function readHeaderBytes(remote: RemoteFile, head: Uint8Array, label: string): Promise<Uint8Array> {
  if (head.length < 8) {
    throw new WeightsError(`${label} is ${head.length} bytes long, too short to be a safetensors file.`);
  }
  const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
  if (n === 0n || n > 100_000_000n) {
    throw new WeightsError(`${label} declares a safetensors header of ${n} bytes: it is not a safetensors file (or is corrupted).`);
  }
  const end = 8 + Number(n);
  if (head.length >= end) return head.subarray(0, end);
  const rest = await remote.range(head.length, end);
  return concat([head, rest]);
}

/**
 * Checks a header before any tensor data is fetched: the preset's convs present with the right shapes;
 * the file no longer than its size; and, for a source with a published layout, exactly that layout.
 */
function checkHeader(
  preset: FeatureExtractorPreset,
  source: RemoteWeightsSource,
  header: SafetensorsHeader,
  fileSize: number | undefined,
  label: string,
): void {
  const shapes = new Map(Object.entries(header.tensors));
  checkVggTensors(preset, shapes, label);
  const dataEnd = Math.max(0, ...Object.values(header.tensors).map((e) => e.dataOffsets[1]));
  if (fileSize !== undefined && fileSize < header.dataOffset + dataEnd) {
    throw new WeightsError(`${label} is ${fileSize} bytes but its header describes ${header.dataOffset + dataEnd}: the file is truncated.`);
  }
  if (!source.tensors) return;
  const problems: string[] = [];
  for (const [name, expected] of Object.entries(source.tensors)) {
    const actual = header.tensors[name];
    if (!actual) problems.push(`${name} is missing`);
    else if (actual.dtype !== expected.dtype || formatShape(actual.shape) !== formatShape(expected.shape)) {
      problems.push(`${name} is ${actual.dtype} ${formatShape(actual.shape)}, published as ${expected.dtype} ${formatShape(expected.shape)}`);
    }
  }
  for (const name of Object.keys(header.tensors)) if (!source.tensors[name]) problems.push(`${name} is not in the published file`);
  if (!problems.length && fileSize !== undefined && fileSize !== header.dataOffset + dataEnd) {
    problems.push(`the file is ${fileSize} bytes, expected ${header.dataOffset + dataEnd}`);
  }
  if (problems.length) {
    throw new WeightsError(
      `${label} is not the published file: ${problems.slice(0, 12).join('; ')}${problems.length > 12 ? `; … (${problems.length} problems)` : ''}. ` +
        'Point STROTSS_WEIGHTS_URL at a copy of the pinned revision, or pass local weights (STROTSS_WEIGHTS).',
    );
  }
}

/** Returns a WeightsError for a hash that is not the expected one. */
function hashMismatch(source: RemoteWeightsSource, actual: string, what: string): WeightsError {
  return new WeightsError(
    `SHA-256 mismatch for ${source.url}: ${what} has ${actual}, expected ${source.sha256}. ` +
      'The file is corrupted or not the pinned one; nothing was cached. Try again, or set STROTSS_WEIGHTS_SHA256 for a different file.',
  );
}

/** Returns the parts joined into one array (the part itself when there is one). */
function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Turns byte counts into throttled progress events (at most ~200 per download, plus the last). */
class ProgressMeter {
  private loaded = 0;
  private total = 0;
  private lastSent = -1;

  constructor(private readonly emit?: (event: WeightsProgressEvent) => void) {}

  start(total: number): void {
    this.total = total;
    this.loaded = 0;
    this.send(true);
  }

  add(count: number): void {
    this.loaded += count;
    this.send(false);
  }

  reset(): void {
    this.loaded = 0;
    this.send(true);
  }

  finish(): void {
    if (this.lastSent !== this.loaded) this.send(true);
  }

  private send(force: boolean): void {
    if (!this.emit) return;
    const step = Math.max(1, this.total / 200);
    if (!force && this.loaded - this.lastSent < step && this.loaded !== this.total) return;
    this.lastSent = this.loaded;
    this.emit({ type: 'weights', loaded: this.loaded, total: Math.max(this.total, this.loaded) });
  }
}

