// The cache contract for downloaded / converted weights. The core never touches storage itself:
// backend packages implement it (file system in Node, Cache API in browsers).

import { WeightsError } from '../../errors.js';

/** Identifies one cache entry: the model it holds and the SHA-256 (hex) of the entry's bytes. */
export interface WeightsCacheKey {
  /** Feature extractor id, e.g. `vgg16`. */
  model: string;
  /** SHA-256 of the stored bytes, 64 lowercase hex digits; checked on every read. */
  sha256: string;
}

/** What a cache knows about one entry besides its bytes. */
export interface WeightsCacheEntry extends WeightsCacheKey {
  /** Size of the stored bytes. */
  size: number;
  /** Where the weights came from: the URL downloaded, or the file converted (`file:` URL). */
  source: string;
  /** SHA-256 of the bytes actually received from `source` (the ranges fetched, or the whole file). */
  fetchedSha256?: string;
  /** ISO 8601 time the entry was written. */
  createdAt: string;
}

/**
 * Storage for compact weights files, keyed by model id + content hash. Implementations write
 * atomically (a reader never sees half an entry), tolerate concurrent writers of the same entry,
 * and verify the hash on `get`: a corrupted or truncated entry is deleted and reported as absent.
 */
export interface WeightsCache {
  /** Human-readable location for messages, e.g. the cache folder or `CacheStorage "strotss-weights"`. */
  readonly location: string;
  /** Returns the entry's bytes after checking their SHA-256, or undefined when absent or corrupted (then deleted). */
  get(key: WeightsCacheKey): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `entry`; throws WeightsError when their SHA-256 is not `entry.sha256`. */
  put(entry: WeightsCacheEntry, bytes: Uint8Array): Promise<void>;
  /** Removes an entry; resolves true when one was there. */
  delete(key: WeightsCacheKey): Promise<boolean>;
  /** Lists every entry (newest first). */
  keys(): Promise<WeightsCacheEntry[]>;
}

const MODEL_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Throws a WeightsError unless `key` has a safe model id and a 64-hex-digit SHA-256 (they become file names). */
export function checkCacheKey(key: WeightsCacheKey): void {
  if (typeof key?.model !== 'string' || !MODEL_ID.test(key.model)) {
    throw new WeightsError(`Invalid weights cache model id ${JSON.stringify(key?.model)}: use lowercase letters, digits, '.', '_' or '-'.`);
  }
  if (typeof key.sha256 !== 'string' || !SHA256_HEX.test(key.sha256)) {
    throw new WeightsError(`Invalid weights cache hash ${JSON.stringify(key.sha256)}: expected 64 lowercase hex digits (SHA-256).`);
  }
}

/** Returns the SHA-256 of `bytes` as 64 lowercase hex digits (Web Crypto: Node ≥ 20 and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new WeightsError('Cannot hash weights: this runtime has no Web Crypto (crypto.subtle); use Node ≥ 20 or a secure (https) page.');
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}
