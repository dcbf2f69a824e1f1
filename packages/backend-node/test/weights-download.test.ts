// The weights download path end to end against a real HTTP server on 127.0.0.1: ranged reads of only the
// conv tensors, the full-download fallback, resume/restart after a cut, hash and layout checks, the
// file-system cache (corruption, concurrent writers), offline mode, and network failures.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  convLayers,
  fetchVggWeights,
  oihwToHwio,
  parseSafetensorsHeader,
  VGG16,
  VGG16_TORCHVISION_SOURCE,
  WeightsError,
  writeSafetensors,
  type NamedTensor,
  type VggWeights,
  type WeightsProgressEvent,
} from '@strotss/core';
import { defaultWeightsCacheDir, FileSystemWeightsCache } from '../src/fs-weights-cache.js';
import { loadWeights, weightsOptionsFromEnv } from '../src/weights.js';
import { startWeightsServer, type WeightsServer } from '../../../test-support/weights-http-server.js';

/** Deterministic values in (-0.05, 0.05), different per seed (fast LCG). */
function filled(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) / 10;
  }
  return out;
}

/**
 * A torchvision-layout VGG16 state dict: the 13 real-size convs plus small classifier tensors, in the
 * name order Python's safetensors writes (sorted: classifier.* before features.*). `overrides` replace
 * tensors by name.
 */
function torchvisionFile(overrides: Record<string, NamedTensor> = {}, metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const tensors: Record<string, NamedTensor> = {
    'classifier.0.weight': { shape: [256, 4096], values: filled(256 * 4096, 1) },
    'classifier.0.bias': { shape: [256], values: filled(256, 2) },
    'classifier.3.weight': { shape: [256, 256], values: filled(256 * 256, 3) },
    'classifier.3.bias': { shape: [256], values: filled(256, 4) },
    'classifier.6.weight': { shape: [10, 256], values: filled(2560, 5) },
    'classifier.6.bias': { shape: [10], values: filled(10, 6) },
  };
  convLayers(VGG16).forEach((conv, k) => {
    tensors[`${conv.torchvisionName}.weight`] = { shape: [conv.outChannels, conv.inChannels, 3, 3], values: filled(conv.outChannels * conv.inChannels * 9, 100 + k) };
    tensors[`${conv.torchvisionName}.bias`] = { shape: [conv.outChannels], values: filled(conv.outChannels, 200 + k) };
  });
  Object.assign(tensors, overrides);
  const sorted = Object.fromEntries(Object.keys(tensors).sort().map((name) => [name, tensors[name]]));
  return writeSafetensors(sorted, metadata);
}

/** Byte range [begin, end) of the features.* tensors in a file (they are contiguous: sorted names). */
function featuresSpan(file: Uint8Array): { begin: number; end: number } {
  const header = parseSafetensorsHeader(file);
  const spans = Object.entries(header.tensors)
    .filter(([name]) => name.startsWith('features.'))
    .map(([, e]) => e.dataOffsets);
  return { begin: header.dataOffset + Math.min(...spans.map((s) => s[0])), end: header.dataOffset + Math.max(...spans.map((s) => s[1])) };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sameBytes = (a: Float32Array, b: Float32Array) => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

let expected: Array<{ name: string; kernel: Float32Array; bias: Float32Array }> | undefined;
/** Asserts `weights` hold exactly the convs of the generated file (HWIO). */
function expectGenerated(weights: VggWeights): void {
  expected ??= convLayers(VGG16).map((conv, k) => ({
    name: conv.name,
    kernel: oihwToHwio(filled(conv.outChannels * conv.inChannels * 9, 100 + k), conv.outChannels, conv.inChannels),
    bias: filled(conv.outChannels, 200 + k),
  }));
  for (const { name, kernel, bias } of expected) {
    expect(sameBytes(weights[name].kernel, kernel), name).toBe(true);
    expect(sameBytes(weights[name].bias, bias), name).toBe(true);
  }
}

const CONV_BYTES = 58_858_752; // 14,714,688 float32 values of VGG16's 13 convs
const PROBE = 16 * 1024;

let file: Uint8Array;
let dir: string;
const servers: WeightsServer[] = [];

beforeAll(async () => {
  file = torchvisionFile();
  dir = await mkdtemp(join(tmpdir(), 'strotss-download-'));
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let cacheCount = 0;
/** A fresh, empty file-system cache. */
function freshCache(): FileSystemWeightsCache {
  return new FileSystemWeightsCache(join(dir, `cache-${++cacheCount}`));
}

async function serve(bytes: Uint8Array, options: Parameters<typeof startWeightsServer>[1] = {}): Promise<WeightsServer> {
  const server = await startWeightsServer(bytes, options);
  servers.push(server);
  return server;
}

describe('ranged download of the conv tensors', () => {
  it('requests the header, then only the features.* bytes; the cache entry records the hash of those bytes', async () => {
    const server = await serve(file);
    const cache = freshCache();
    const events: WeightsProgressEvent[] = [];
    const result = await fetchVggWeights({ url: server.url, cache, onProgress: (e) => events.push(e) });

    const span = featuresSpan(file);
    expect(span.end - span.begin).toBe(CONV_BYTES);
    // Two requests: the header probe and one merged range of exactly the conv tensors.
    expect(server.log.map((r) => [r.range, r.status])).toEqual([
      [`bytes=0-${PROBE - 1}`, 206],
      [`bytes=${span.begin}-${span.end - 1}`, 206],
    ]);
    const sent = server.log.reduce((n, r) => n + r.sent, 0);
    expect(sent).toBe(PROBE + CONV_BYTES);
    expect(sent).toBeLessThan(file.length - 4_000_000); // the 4.3 MB of classifier tensors never travel

    expectGenerated(result.weights);
    expect(result.fromCache).toBe(false);
    expect(result.entry.fetchedSha256).toBe(sha256(file.subarray(span.begin, span.end)));
    expect(result.entry.source).toBe(server.url);
    // Progress: starts at 0, never goes back, ends at the conv bytes.
    expect(events[0]).toEqual({ type: 'weights', loaded: 0, total: CONV_BYTES });
    expect(events.at(-1)).toEqual({ type: 'weights', loaded: CONV_BYTES, total: CONV_BYTES });
    for (let i = 1; i < events.length; i++) expect(events[i].loaded).toBeGreaterThanOrEqual(events[i - 1].loaded);

    // The entry on disk: content-addressed, its bytes hash to its name, sidecar beside it.
    const path = cache.pathOf(result.entry);
    expect(sha256(await readFile(path))).toBe(result.entry.sha256);
    const sidecar = JSON.parse(await readFile(path.replace(/\.safetensors$/, '.json'), 'utf8'));
    expect(sidecar).toMatchObject({ model: 'vgg16', source: server.url, fetchedSha256: result.entry.fetchedSha256 });
    const compact = parseSafetensorsHeader(await readFile(path));
    expect(Object.keys(compact.tensors)).toHaveLength(26);
    expect(compact.metadata).toMatchObject({ strotss_format: 'strotss-vgg/1', model: 'vgg16', source: server.url });

    // A later run (another cache object on the same folder, as another process would be) sends no request.
    server.log.length = 0;
    const again = await fetchVggWeights({ url: server.url, cache: new FileSystemWeightsCache(cache.root) });
    expect(server.log).toEqual([]);
    expect(again.fromCache).toBe(true);
    expectGenerated(again.weights);
  });

  it('a header larger than the probe costs one more ranged request', async () => {
    const bigHeader = torchvisionFile({}, { format: 'pt', padding: 'x'.repeat(40_000) });
    const server = await serve(bigHeader);
    const result = await fetchVggWeights({ url: server.url, cache: freshCache() });
    expectGenerated(result.weights);
    const span = featuresSpan(bigHeader);
    const headerEnd = parseSafetensorsHeader(bigHeader).dataOffset;
    expect(server.log.map((r) => r.range)).toEqual([`bytes=0-${PROBE - 1}`, `bytes=${PROBE}-${headerEnd - 1}`, `bytes=${span.begin}-${span.end - 1}`]);
  });
});

describe('servers without Range support', () => {
  it('fall back to one full download, checked against the expected SHA-256', async () => {
    const server = await serve(file, { ranges: false });
    const events: WeightsProgressEvent[] = [];
    const result = await fetchVggWeights({ url: server.url, sha256: sha256(file), cache: freshCache(), onProgress: (e) => events.push(e) });
    expect(server.log.map((r) => [r.range, r.status, r.sent])).toEqual([[`bytes=0-${PROBE - 1}`, 200, file.length]]);
    expectGenerated(result.weights);
    expect(result.entry.fetchedSha256).toBe(sha256(file));
    expect(events.at(-1)).toEqual({ type: 'weights', loaded: file.length, total: file.length });
  });

  it('a full download whose SHA-256 differs is refused and nothing is cached', async () => {
    const server = await serve(file, { ranges: false });
    const cache = freshCache();
    const wrong = 'ab'.repeat(32);
    const error = await fetchVggWeights({ url: server.url, sha256: wrong, cache }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toContain(`SHA-256 mismatch for ${server.url}`);
    expect((error as Error).message).toContain(wrong);
    expect((error as Error).message).toContain(sha256(file));
    expect(await cache.keys()).toEqual([]);
  });

  it('a server-stated SHA-256 (X-Linked-Etag) that differs from the expected one stops a ranged download after the probe', async () => {
    // A plain 64-hex ETag is not taken for a SHA-256 (CDNs put other hashes there): this one passes.
    const plain = await serve(file, { etag: `"${'cd'.repeat(32)}"` });
    expectGenerated((await fetchVggWeights({ url: plain.url, sha256: sha256(file), cache: freshCache() })).weights);
    const server = await serve(file, { headers: { 'x-linked-etag': `"${'cd'.repeat(32)}"` } });
    const error = await fetchVggWeights({ url: server.url, sha256: sha256(file), cache: freshCache() }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/SHA-256 mismatch.*server-stated hash/);
    expect(server.log).toHaveLength(1);
  });
});

describe('interrupted downloads', () => {
  it('a ranged transfer cut mid-body resumes from the bytes already received', async () => {
    const server = await serve(file, { cutAfter: 20_000_000 });
    const resumes: WeightsProgressEvent[] = [];
    const result = await fetchVggWeights({ url: server.url, cache: freshCache(), onProgress: (e) => resumes.push(e) });
    expectGenerated(result.weights);
    const span = featuresSpan(file);
    const ranges = server.log.map((r) => r.range!);
    expect(ranges).toHaveLength(3);
    expect(ranges[1]).toBe(`bytes=${span.begin}-${span.end - 1}`);
    // The resume asks for the rest only: it starts after the start of the span, at most where the cut was.
    const resumedAt = Number(/^bytes=(\d+)-/.exec(ranges[2])![1]);
    expect(resumedAt).toBeGreaterThan(span.begin);
    expect(resumedAt).toBeLessThanOrEqual(span.begin + 20_000_000);
    expect(ranges[2]).toBe(`bytes=${resumedAt}-${span.end - 1}`);
    expect(resumes.at(-1)).toEqual({ type: 'weights', loaded: CONV_BYTES, total: CONV_BYTES });
  });

  it('a full download cut mid-body restarts from byte 0 and progress starts over', async () => {
    const server = await serve(file, { ranges: false, cutAfter: 10_000_000 });
    const events: WeightsProgressEvent[] = [];
    const result = await fetchVggWeights({ url: server.url, sha256: sha256(file), cache: freshCache(), onProgress: (e) => events.push(e) });
    expectGenerated(result.weights);
    expect(server.log.map((r) => r.status)).toEqual([200, 200]);
    expect(server.log[1].range).toBeUndefined();
    const restart = events.findIndex((e, i) => i > 0 && e.loaded < events[i - 1].loaded);
    expect(restart).toBeGreaterThan(0);
    expect(events[restart].loaded).toBe(0);
    expect(events.at(-1)!.loaded).toBe(file.length);
  });

  it('gives up after the retries with a message naming the URL and the weights option (--weights in the CLI)', async () => {
    const server = await serve(file, { cutAfter: 1_000_000, cutAlways: true });
    const error = await fetchVggWeights({ url: server.url, cache: freshCache(), retries: 2 }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toContain(`The download of ${server.url} broke off 3 times`);
    expect((error as Error).message).toContain('pass them with weights (a local path');
    expect((error as WeightsError).describe({ option: (n: string) => ({ weights: '--weights PATH', offline: '--offline' })[n], input: (_n: string, d: string) => d })).toContain('pass them with --weights PATH');
    expect(server.log).toHaveLength(4); // the probe, then the range and its 2 resumes
  });
});

describe('the file-system cache', () => {
  it('detects a corrupted entry by its hash, drops it and downloads it again', async () => {
    const server = await serve(file);
    const cache = freshCache();
    const first = await fetchVggWeights({ url: server.url, cache });
    const path = cache.pathOf(first.entry);
    const bytes = await readFile(path);
    bytes[bytes.length - 100] ^= 0xff; // one flipped bit pattern in conv5_3's bias
    await writeFile(path, bytes);

    server.log.length = 0;
    const second = await fetchVggWeights({ url: server.url, cache });
    expect(second.fromCache).toBe(false);
    expect(server.log).toHaveLength(2); // fetched again
    expectGenerated(second.weights);
    expect(sha256(await readFile(path))).toBe(first.entry.sha256); // replaced by the good bytes
  });

  it('detects a truncated entry the same way', async () => {
    const server = await serve(file);
    const cache = freshCache();
    const first = await fetchVggWeights({ url: server.url, cache });
    const path = cache.pathOf(first.entry);
    await writeFile(path, (await readFile(path)).subarray(0, 1000));
    expect(await cache.get(first.entry)).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect(await cache.keys()).toEqual([]);
  });

  it('concurrent writers and readers of one entry never expose partial bytes and leave no temp files', async () => {
    const server = await serve(file);
    const root = freshCache().root;
    // Three independent cache objects on one folder, as three processes would have, all downloading at once.
    const results = await Promise.all([0, 1, 2].map(() => fetchVggWeights({ url: server.url, cache: new FileSystemWeightsCache(root) })));
    const entry = results[0].entry;
    for (const r of results) expect(r.entry.sha256).toBe(entry.sha256);
    // Writers and readers interleaved: every read is either absent or the complete, verified entry.
    const cache = new FileSystemWeightsCache(root);
    const reads = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 0 ? new FileSystemWeightsCache(root).put(entry, results[i % 3].bytes).then(() => 'put') : cache.get(entry),
      ),
    );
    for (const r of reads) if (typeof r !== 'string') expect(r === undefined || sha256(r) === entry.sha256).toBe(true);
    expect(sha256(await readFile(cache.pathOf(entry)))).toBe(entry.sha256);
    expect((await readdir(join(root, 'vgg16'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    expect(await cache.keys()).toHaveLength(1);
  });

  it('refuses bytes whose hash is not the key', async () => {
    const cache = freshCache();
    const error = await cache
      .put({ model: 'vgg16', sha256: '0'.repeat(64), size: 3, source: 'x', createdAt: new Date().toISOString() }, new Uint8Array([1, 2, 3]))
      .catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('Refusing to cache vgg16 weights');
    await expect(cache.get({ model: '../etc', sha256: '0'.repeat(64) })).rejects.toThrow(/Invalid weights cache model id/);
  });

  it('lives in $STROTSS_CACHE, else the platform user cache folder', () => {
    expect(defaultWeightsCacheDir({ STROTSS_CACHE: '/tmp/sc' }, 'linux', '/home/u')).toBe('/tmp/sc');
    expect(defaultWeightsCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/strotss');
    expect(defaultWeightsCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/strotss');
    expect(defaultWeightsCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/strotss');
    expect(defaultWeightsCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32', 'C:\\U')).toMatch(/strotss.Cache$/);
  });
});

describe('bad files and no network', () => {
  it('a wrong-shaped conv tensor is reported from the header, before any tensor data is fetched', async () => {
    const bad = torchvisionFile({ 'features.10.weight': { shape: [256, 64, 3, 3], values: filled(256 * 64 * 9, 9) } });
    const server = await serve(bad);
    const cache = freshCache();
    const error = await fetchVggWeights({ url: server.url, cache }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toContain(server.url);
    expect((error as Error).message).toContain('features.10.weight has shape [256, 64, 3, 3], expected [256, 128, 3, 3] (conv3_1)');
    expect(server.log).toHaveLength(1); // the header probe only
    expect(await cache.keys()).toEqual([]);
  });

  it('a published layout that the header does not match is refused before any tensor data is fetched', async () => {
    const server = await serve(file);
    const source = { ...VGG16_TORCHVISION_SOURCE, url: server.url, sha256: undefined };
    const error = await fetchVggWeights({ source, cache: freshCache() }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('is not the published file');
    expect((error as Error).message).toContain('pre_logits.fc1.weight is missing');
    expect((error as Error).message).toContain('classifier.0.weight is not in the published file');
    expect(server.log).toHaveLength(1);
  });

  it('a layout that matches passes, and the file size from Content-Range is checked too', async () => {
    const server = await serve(file);
    const header = parseSafetensorsHeader(file);
    const tensors = Object.fromEntries(Object.entries(header.tensors).map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape }]));
    const ok = await fetchVggWeights({ source: { model: 'vgg16', url: server.url, tensors }, cache: freshCache() });
    expectGenerated(ok.weights);
    const longer = new Uint8Array(file.length + 8);
    longer.set(file);
    server.setFile(longer);
    const error = await fetchVggWeights({ source: { model: 'vgg16', url: server.url, tensors }, cache: freshCache() }).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain(`the file is ${file.length + 8} bytes, expected ${file.length}`);
  });

  it('no network: the message names the URL and the weights option (--weights in the CLI)', async () => {
    const server = await serve(file);
    const url = server.url;
    await server.close();
    const error = await fetchVggWeights({ url, cache: freshCache() }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toContain(`Could not reach ${url}`);
    expect((error as Error).message).toContain('pass them with weights (a local path');
    expect((error as WeightsError).describe({ option: (n: string) => ({ weights: '--weights PATH', offline: '--offline' })[n], input: (_n: string, d: string) => d })).toContain('pass them with --weights PATH');
  });

  it('offline with an empty cache fails at once, naming --offline, the URL and the way out; no request is made', async () => {
    const server = await serve(file);
    const env = { STROTSS_CACHE: join(dir, 'offline-cache'), STROTSS_WEIGHTS_URL: server.url, STROTSS_OFFLINE: '1' };
    const error = await loadWeights('vgg16', weightsOptionsFromEnv(env)).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('offline mode (offline, or STROTSS_OFFLINE=1)');
    expect((error as WeightsError).describe({ option: (n: string) => ({ weights: '--weights PATH', offline: '--offline' })[n], input: (_n: string, d: string) => d })).toContain('offline mode (--offline, or STROTSS_OFFLINE=1)');
    expect((error as Error).message).toContain(server.url);
    expect((error as Error).message).toContain('strotss weights fetch');
    expect(server.log).toEqual([]);
    // Once fetched, offline works from the cache.
    await loadWeights('vgg16', { ...weightsOptionsFromEnv(env), offline: false });
    server.log.length = 0;
    const offline = await loadWeights('vgg16', weightsOptionsFromEnv(env));
    expect(offline.fetched?.fromCache).toBe(true);
    expect(server.log).toEqual([]);
  });

  it('the environment sets URL, hash, cache folder and offline mode', () => {
    const options = weightsOptionsFromEnv({ STROTSS_WEIGHTS_URL: 'http://m/x.safetensors', STROTSS_WEIGHTS_SHA256: 'AB', STROTSS_CACHE: '/c', STROTSS_OFFLINE: 'true' });
    expect(options).toMatchObject({ url: 'http://m/x.safetensors', sha256: 'AB', offline: true });
    expect(options.cache?.location).toBe('/c');
    expect(weightsOptionsFromEnv({ STROTSS_OFFLINE: '0' }).offline).toBeUndefined();
  });
});

describe('the default source (timm/vgg16.tv_in1k, pinned)', () => {
  it('is pinned to a revision and its published layout adds up to torchvision VGG16', () => {
    expect(VGG16_TORCHVISION_SOURCE.url).toBe(
      'https://huggingface.co/timm/vgg16.tv_in1k/resolve/3394518cba29aee1ea82a49d971be90d2dd1dab7/model.safetensors',
    );
    const tensors = Object.entries(VGG16_TORCHVISION_SOURCE.tensors!);
    const count = (names: typeof tensors) => names.reduce((n, [, t]) => n + t.shape.reduce((a, b) => a * b, 1), 0);
    expect(count(tensors)).toBe(138_357_544); // torchvision's vgg16 parameter count
    expect(4 * count(tensors.filter(([n]) => n.startsWith('features.')))).toBe(CONV_BYTES);
    expect(tensors).toHaveLength(32);
  });

  it('an invalid STROTSS_WEIGHTS_SHA256 is reported with the variable name', async () => {
    await expect(fetchVggWeights({ url: 'http://127.0.0.1:9/x.safetensors', sha256: 'xyz' })).rejects.toThrow(/STROTSS_WEIGHTS_SHA256/);
  });
});
