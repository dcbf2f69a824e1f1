// The weights cache in browsers: the Cache API (CacheStorage), one Response per entry under a synthetic
// https URL, the entry's description in its headers. A put is one cache.put, which the Cache API commits
// atomically; every get re-hashes the body, so a corrupted or truncated entry is dropped, not used.

import { checkCacheKey, sha256Hex, WeightsError, type WeightsCache, type WeightsCacheEntry, type WeightsCacheKey } from '@strotss/core';

/** The part of the Cache API this cache uses (window.caches / self.caches, or any implementation of it). */
export interface CacheStorageLike {
  open(name: string): Promise<Cache>;
}

/** Request URLs of entries live under this prefix (the Cache API only stores http(s) requests). */
const URL_PREFIX = 'https://weights.strotss.invalid/';
/** Response header holding the entry's JSON description. */
const ENTRY_HEADER = 'x-strotss-entry';

/** A WeightsCache over CacheStorage (browsers, workers); entries are keyed by model id + SHA-256. */
export class CacheStorageWeightsCache implements WeightsCache {
  readonly location: string;
  private readonly name: string;
  private readonly storage: CacheStorageLike;

  constructor(options: { name?: string; storage?: CacheStorageLike } = {}) {
    this.name = options.name ?? 'strotss-weights';
    const storage = options.storage ?? (globalThis as { caches?: CacheStorageLike }).caches;
    if (!storage) {
      throw new WeightsError(
        'The Cache API (caches) is not available here (it needs a secure context: https or localhost); ' +
          'pass weights directly or run without a cache.',
      );
    }
    this.storage = storage;
    this.location = `CacheStorage "${this.name}"`;
  }

  /** Returns the entry's bytes after checking their SHA-256; a corrupted entry is deleted and undefined returned. */
  async get(key: WeightsCacheKey): Promise<Uint8Array | undefined> {
    const cache = await this.open();
    const response = await cache.match(urlOf(key));
    if (!response) return undefined;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch {
      await cache.delete(urlOf(key));
      return undefined;
    }
    if ((await sha256Hex(bytes)) !== key.sha256) {
      await cache.delete(urlOf(key));
      return undefined;
    }
    return bytes;
  }

  /** Stores `bytes` (after checking their SHA-256) with the entry description in a header. */
  async put(entry: WeightsCacheEntry, bytes: Uint8Array): Promise<void> {
    const url = urlOf(entry);
    const actual = await sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new WeightsError(`Refusing to cache ${entry.model} weights: their SHA-256 is ${actual}, not ${entry.sha256} as the entry says.`);
    }
    const info: WeightsCacheEntry = { ...entry, size: bytes.length };
    const response = new Response(bytes as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': String(bytes.length),
        [ENTRY_HEADER]: encodeURIComponent(JSON.stringify(info)),
      },
    });
    try {
      await (await this.open()).put(url, response);
    } catch (cause) {
      throw new WeightsError(
        `Could not store ${entry.model} weights in ${this.location} (${(cause as Error)?.message ?? cause}); ` +
          'the browser may be out of storage quota. The weights still work for this page.',
        { cause },
      );
    }
  }

  /** Removes an entry; resolves true when one was there. */
  async delete(key: WeightsCacheKey): Promise<boolean> {
    return (await this.open()).delete(urlOf(key));
  }

  /** Lists every entry, newest first (bodies are not read or verified here). */
  async keys(): Promise<WeightsCacheEntry[]> {
    const cache = await this.open();
    const entries: WeightsCacheEntry[] = [];
    for (const request of await cache.keys()) {
      if (!request.url.startsWith(URL_PREFIX)) continue;
      const response = await cache.match(request);
      const entry = parseEntry(response?.headers.get(ENTRY_HEADER));
      if (entry && request.url === urlOf(entry)) entries.push(entry);
    }
    return entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private open(): Promise<Cache> {
    return this.storage.open(this.name);
  }
}

/** Returns the request URL of an entry, after checking the key is well-formed. */
function urlOf(key: WeightsCacheKey): string {
  checkCacheKey(key);
  return `${URL_PREFIX}${key.model}/${key.sha256}`;
}

/** Returns the entry description stored in a response header, or undefined when absent or malformed. */
function parseEntry(header: string | null | undefined): WeightsCacheEntry | undefined {
  if (!header) return undefined;
  try {
    const value = JSON.parse(decodeURIComponent(header)) as WeightsCacheEntry;
    return typeof value.model === 'string' && typeof value.sha256 === 'string' && typeof value.source === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
