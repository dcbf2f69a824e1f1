// CacheStorageWeightsCache through the real download path. Node has no `caches`, so the storage medium is
// an in-memory CacheStorage written here (a Map of URL → stored body and headers, answering with real
// Response objects); everything above it — hashing, verification, entry headers, fetchVggWeights — is the
// production code.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchVggWeights, WeightsError } from '@strotss/core';
import { CacheStorageWeightsCache, type CacheStorageLike } from '../src/browser-weights-cache.js';
import { startWeightsServer, type WeightsServer } from '../../../test-support/weights-http-server.js';
import { vgg16TestFile } from '../../../test-support/vgg16-test-file.js';

/** Stored form of one cached response. */
interface Stored {
  body: Uint8Array;
  headers: [string, string][];
}

/** An in-memory CacheStorage: named caches of URL → body + headers (the parts of Cache the weights cache uses). */
class MemoryCacheStorage implements CacheStorageLike {
  readonly caches = new Map<string, Map<string, Stored>>();

  async open(name: string): Promise<Cache> {
    let store = this.caches.get(name);
    if (!store) this.caches.set(name, (store = new Map()));
    const key = (request: RequestInfo | URL) => (typeof request === 'string' ? request : request instanceof URL ? request.href : request.url);
    const cache = {
      async match(request: RequestInfo | URL) {
        const hit = store.get(key(request));
        return hit ? new Response(hit.body.slice() as Uint8Array<ArrayBuffer>, { headers: hit.headers }) : undefined;
      },
      async put(request: RequestInfo | URL, response: Response) {
        const headers: [string, string][] = [];
        response.headers.forEach((value, name) => headers.push([name, value]));
        store.set(key(request), { body: new Uint8Array(await response.arrayBuffer()), headers });
      },
      async delete(request: RequestInfo | URL) {
        return store.delete(key(request));
      },
      async keys() {
        return [...store.keys()].map((url) => new Request(url));
      },
    };
    return cache as unknown as Cache;
  }
}

let server: WeightsServer;
beforeAll(async () => {
  server = await startWeightsServer(vgg16TestFile(7));
});
afterAll(async () => {
  await server.close();
});

describe('CacheStorageWeightsCache', () => {
  it('stores a download once; later loads (a new cache object, as after a reload) make no request', async () => {
    const storage = new MemoryCacheStorage();
    const first = await fetchVggWeights({ url: server.url, cache: new CacheStorageWeightsCache({ storage }) });
    expect(first.fromCache).toBe(false);
    expect(server.log).toHaveLength(2);

    server.log.length = 0;
    const cache = new CacheStorageWeightsCache({ storage });
    const second = await fetchVggWeights({ url: server.url, cache });
    expect(server.log).toEqual([]);
    expect(second.fromCache).toBe(true);
    expect(second.entry).toEqual(first.entry);
    expect(Buffer.from(second.weights.conv5_3.kernel.buffer).equals(Buffer.from(first.weights.conv5_3.kernel.buffer))).toBe(true);
    expect(await cache.keys()).toEqual([first.entry]);
    expect([...storage.caches.get('strotss-weights')!.keys()]).toEqual([`https://weights.strotss.invalid/vgg16/${first.entry.sha256}`]);
  });

  it('a corrupted or truncated body is detected by its hash, dropped, and downloaded again', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new CacheStorageWeightsCache({ storage });
    const { entry } = await fetchVggWeights({ url: server.url, cache });
    const stored = storage.caches.get('strotss-weights')!.values().next().value!;
    stored.body[stored.body.length - 3] ^= 0x10;
    expect(await cache.get(entry)).toBeUndefined();
    expect(await cache.keys()).toEqual([]);

    server.log.length = 0;
    const again = await fetchVggWeights({ url: server.url, cache });
    expect(again.fromCache).toBe(false);
    expect(server.log).toHaveLength(2);
    const restored = storage.caches.get('strotss-weights')!.values().next().value!;
    restored.body = restored.body.subarray(0, 100);
    expect(await cache.get(entry)).toBeUndefined();
  });

  it('refuses bytes that do not hash to the key, ignores foreign entries, and names a missing Cache API', async () => {
    const storage = new MemoryCacheStorage();
    const cache = new CacheStorageWeightsCache({ storage, name: 'other' });
    await expect(
      cache.put({ model: 'vgg16', sha256: 'f'.repeat(64), size: 2, source: 'x', createdAt: '2026-01-01T00:00:00Z' }, new Uint8Array([1, 2])),
    ).rejects.toThrow(/Refusing to cache vgg16 weights/);
    await (await storage.open('other')).put('https://example.org/unrelated', new Response('x'));
    expect(await cache.keys()).toEqual([]);
    expect(cache.location).toBe('CacheStorage "other"');
    expect(() => new CacheStorageWeightsCache()).toThrow(WeightsError); // Node has no global `caches`
    expect(() => new CacheStorageWeightsCache()).toThrow(/secure context/);
  });
});
