import { describe, expect, it } from 'vitest';
import { WeightsError } from '../src/errors.js';
import { convLayers, VGG16, VGG19_CAFFE } from '../src/model/presets.js';
import {
  assembleVggWeights,
  decodeTensor,
  fetchByteSource,
  loadVggWeights,
  parseSafetensorsHeader,
  readSafetensors,
  readTfjsWeights,
  writeSafetensors,
  type ByteSource,
  type NamedTensor,
} from '../src/model/weights/index.js';

/** Deterministic small values in (-0.05, 0.05), different per seed. */
function filled(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) / 10;
  }
  return out;
}

const prod = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const tensor = (shape: number[], seed: number): NamedTensor => ({ shape, values: filled(prod(shape), seed) });

/** An in-memory ByteSource that records every request. */
function memorySource(files: Record<string, Uint8Array>, options: { ranges?: boolean } = {}) {
  const log = { reads: [] as string[], ranges: [] as Array<{ location: string; start: number; end: number }> };
  const get = (location: string) => {
    const file = files[location];
    if (!file) throw new WeightsError(`no such file ${location}`);
    return file;
  };
  const source: ByteSource = {
    async read(location) {
      log.reads.push(location);
      return get(location);
    },
    resolve: (base, relative) => base.slice(0, base.lastIndexOf('/') + 1) + relative,
  };
  if (options.ranges !== false) {
    source.readRange = async (location, start, end) => {
      log.ranges.push({ location, start, end });
      const file = get(location);
      return file.subarray(start, Math.min(end, file.length));
    };
  }
  return { source, log };
}

/** A torchvision-layout VGG16 state dict: the 13 conv tensors between two (small, fake) classifier tensors. */
function torchvisionVgg16(overrides: Record<string, NamedTensor | null> = {}): Record<string, NamedTensor> {
  const tensors: Record<string, NamedTensor> = { 'classifier.6.weight': tensor([10, 16], 1) };
  convLayers(VGG16).forEach((conv, k) => {
    tensors[`${conv.torchvisionName}.weight`] = tensor([conv.outChannels, conv.inChannels, 3, 3], 100 + k);
    tensors[`${conv.torchvisionName}.bias`] = tensor([conv.outChannels], 200 + k);
  });
  tensors['classifier.6.bias'] = tensor([10], 2);
  for (const [name, value] of Object.entries(overrides)) {
    if (value === null) delete tensors[name];
    else tensors[name] = value;
  }
  return tensors;
}

/** Returns the error thrown by `fn` (sync or async), failing when none is thrown. */
async function caught(fn: () => unknown): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

/** Element-wise equality of big arrays (vitest's deep equality is slow on millions of elements). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};

/** A hand-made safetensors file from a header object and data bytes. */
function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  out.set(u64(BigInt(json.length)), 0);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips write → parse → read', async () => {
    const tensors = { a: tensor([2, 3], 1), b: tensor([5], 2), empty: { shape: [0, 4], values: new Float32Array(0) } };
    const bytes = writeSafetensors(tensors, { format: 'pt', note: 'test' });
    const header = parseSafetensorsHeader(bytes);
    expect(header.dataOffset % 8).toBe(0);
    expect(header.dataOffset).toBe(8 + header.headerLength);
    expect(header.metadata).toEqual({ format: 'pt', note: 'test' });
    expect(header.tensors.a).toEqual({ dtype: 'F32', shape: [2, 3], dataOffsets: [0, 24] });
    expect(header.tensors.b.dataOffsets).toEqual([24, 44]);
    // Padding is spaces, so the header is still valid JSON.
    expect(bytes[header.dataOffset - 1]).toBe(0x20);

    for (const ranges of [true, false]) {
      const { source } = memorySource({ 'mem/x.safetensors': bytes }, { ranges });
      const read = await readSafetensors(source, 'mem/x.safetensors');
      expect([...read.keys()]).toEqual(['a', 'b', 'empty']);
      expect(read.get('a')!.shape).toEqual([2, 3]);
      expect(read.get('a')!.values).toEqual(tensors.a.values);
      expect(read.get('b')!.values).toEqual(tensors.b.values);
      expect(read.get('empty')!.values.length).toBe(0);
    }
  });

  it('decodes F16, BF16, F64 and F32 little-endian values', () => {
    const le16 = (...words: number[]) => new Uint8Array(new Uint16Array(words).buffer);
    const f16 = decodeTensor('F16', le16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x3555, 0x7c00, 0xfc00, 0x8000, 0x0400, 0x03ff));
    expect(Array.from(f16.subarray(0, 4))).toEqual([1, -2, 65504, 2 ** -24]);
    expect(f16[4]).toBeCloseTo(0.333251953125, 10);
    expect(f16[5]).toBe(Infinity);
    expect(f16[6]).toBe(-Infinity);
    expect(Object.is(f16[7], -0)).toBe(true);
    expect(f16[8]).toBe(2 ** -14); // smallest normal
    expect(f16[9]).toBe(1023 * 2 ** -24); // largest subnormal
    expect(Number.isNaN(decodeTensor('F16', le16(0x7e00))[0])).toBe(true);

    const bf16 = decodeTensor('BF16', le16(0x3f80, 0xc040, 0x4049, 0x7f80));
    expect(Array.from(bf16)).toEqual([1, -3, 3.140625, Infinity]);

    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, 0.1, true);
    new DataView(f64.buffer).setFloat64(8, -1e300, true);
    expect(Array.from(decodeTensor('F64', f64))).toEqual([Math.fround(0.1), -Infinity]);

    const f32 = new Uint8Array(9).fill(0);
    new DataView(f32.buffer).setFloat32(1, 1.5, true); // unaligned view must still decode
    expect(Array.from(decodeTensor('F32', f32.subarray(1, 5)))).toEqual([1.5]);
  });

  it('rejects unsupported dtypes naming the tensor', async () => {
    const error = await caught(() => decodeTensor('I64', new Uint8Array(8), 'step'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toMatch(/"step".*I64/);
  });

  it('rejects corrupted headers with specifics', async () => {
    const cases: Array<[Uint8Array, RegExp]> = [
      [new Uint8Array(5), /5 bytes long, too short/],
      [u64(2n ** 40n), /implausible/],
      [u64(0n), /implausible/],
      [new Uint8Array([...u64(1000n), 0x7b, 0x7d]), /got 10 bytes, fewer than the 1008 its header needs/],
      [rawSafetensors('{"a": {"dtype": "F32",'), /unreadable safetensors header/],
      [rawSafetensors('[1, 2]'), /not a JSON object/],
      [rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /"a".*\[0, 8\] beyond the 4 data bytes/],
      [rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /"a" spans 8 bytes but F32 \[3\] needs 12/],
      [rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, new Uint8Array(8)), /"a" has data_offsets \[8,0\]/],
      [rawSafetensors({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } }), /"a" has shape \[-1\]/],
      [rawSafetensors({ __metadata__: { n: 1 } }), /__metadata__\.n is 1/],
    ];
    for (const [bytes, pattern] of cases) {
      const error = await caught(() => parseSafetensorsHeader(bytes, { label: 'x.safetensors' }));
      expect(error, String(pattern)).toBeInstanceOf(WeightsError);
      expect(error.message).toMatch(pattern);
      // The file-level reader reports the same problems, ranged or not.
      for (const ranges of [true, false]) {
        const { source } = memorySource({ 'x.safetensors': bytes }, { ranges });
        await expect(readSafetensors(source, 'x.safetensors')).rejects.toBeInstanceOf(WeightsError);
      }
    }
    const short = new Uint8Array([...u64(1000n), 0x7b, 0x7d]);
    expect(() => parseSafetensorsHeader(short, { fileLength: 10, label: 'x.safetensors' })).toThrow(
      /header of 1000 bytes but the file is only 10 bytes/,
    );
  });

  it('reports a truncated file found while reading ranges', async () => {
    const bytes = writeSafetensors({ a: tensor([100], 1) });
    const { source } = memorySource({ 'cut.safetensors': bytes.subarray(0, bytes.length - 10) });
    const error = await caught(() => readSafetensors(source, 'cut.safetensors'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toMatch(/cut\.safetensors.*truncated/);
  });
});

describe('loadVggWeights with safetensors', () => {
  const file = writeSafetensors(torchvisionVgg16());

  it('reads only the conv byte ranges of a torchvision VGG16 file and transposes OIHW → HWIO', async () => {
    const { source, log } = memorySource({ 'w/vgg16.safetensors': file });
    const weights = await loadVggWeights(VGG16, source, 'w/vgg16.safetensors');

    expect(Object.keys(weights)).toEqual(convLayers(VGG16).map((c) => c.name));
    for (const conv of convLayers(VGG16)) {
      expect(weights[conv.name].kernel.length).toBe(9 * conv.inChannels * conv.outChannels);
      expect(weights[conv.name].bias.length).toBe(conv.outChannels);
    }

    // Header length, header, then the conv tensors as one merged range; the classifier is never touched.
    expect(log.reads).toEqual([]);
    expect(log.ranges.length).toBe(3);
    const header = parseSafetensorsHeader(file);
    for (const name of ['classifier.6.weight', 'classifier.6.bias']) {
      const [b, e] = header.tensors[name].dataOffsets.map((o) => o + header.dataOffset);
      for (const r of log.ranges) expect(r.end <= b || r.start >= e, `${name} bytes were read`).toBe(true);
    }
    const convBytes = convLayers(VGG16).reduce((sum, c) => sum + 4 * (9 * c.inChannels * c.outChannels + c.outChannels), 0);
    expect(log.ranges[2].end - log.ranges[2].start).toBe(convBytes);

    // torch weight[o][i][h][w] == HWIO kernel[h][w][i][o]
    const source16 = torchvisionVgg16();
    const [o, i, h, w] = [10, 2, 0, 1];
    const torchValue = source16['features.0.weight'].values[((o * 3 + i) * 3 + h) * 3 + w];
    expect(weights.conv1_1.kernel[((h * 3 + w) * 3 + i) * 64 + o]).toBe(torchValue);
    const [o2, i2, h2, w2] = [100, 63, 2, 0];
    expect(weights.conv2_1.kernel[((h2 * 3 + w2) * 64 + i2) * 128 + o2]).toBe(
      source16['features.5.weight'].values[((o2 * 64 + i2) * 3 + h2) * 3 + w2],
    );
    expect(weights.conv5_3.bias).toEqual(source16['features.28.bias'].values);
  });

  it('gives the same weights when the source has no readRange', async () => {
    const ranged = await loadVggWeights(VGG16, memorySource({ 'a.safetensors': file }).source, 'a.safetensors');
    const { source, log } = memorySource({ 'a.safetensors': file }, { ranges: false });
    const whole = await loadVggWeights(VGG16, source, 'a.safetensors');
    expect(log.reads).toEqual(['a.safetensors']);
    for (const conv of convLayers(VGG16)) {
      expect(sameValues(whole[conv.name].kernel, ranged[conv.name].kernel), conv.name).toBe(true);
    }
  });

  it('names missing tensors and the file', async () => {
    const bytes = writeSafetensors(torchvisionVgg16({ 'features.28.weight': null, 'features.26.bias': null }));
    const error = await caught(() => loadVggWeights(VGG16, memorySource({ 'm.safetensors': bytes }).source, 'm.safetensors'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toContain('m.safetensors');
    expect(error.message).toContain('features.26.bias');
    expect(error.message).toContain('features.28.weight');
  });

  it('names a wrong-shaped tensor with expected and actual shapes', async () => {
    const bytes = writeSafetensors(torchvisionVgg16({ 'features.2.weight': tensor([64, 32, 3, 3], 5) }));
    const error = await caught(() => loadVggWeights(VGG16, memorySource({ 's.safetensors': bytes }).source, 's.safetensors'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toContain('features.2.weight has shape [64, 32, 3, 3], expected [64, 64, 3, 3]');
  });

  it('rejects NaN and Inf values', async () => {
    const bad = tensor([64], 9);
    bad.values[7] = NaN;
    const bytes = writeSafetensors(torchvisionVgg16({ 'features.0.bias': bad }));
    const error = await caught(() => loadVggWeights(VGG16, memorySource({ 'n.safetensors': bytes }).source, 'n.safetensors'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toMatch(/features\.0\.bias holds 1 non-finite value.*index 7/);
  });

  it('lists what a file holds when it has no conv tensors of the preset', async () => {
    const bytes = writeSafetensors({ 'encoder.layer0.weight': tensor([2, 2], 1) });
    const error = await caught(() => loadVggWeights(VGG16, memorySource({ 'o.safetensors': bytes }).source, 'o.safetensors'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toMatch(/features\.0\.weight.*block1_conv1\/kernel|block1_conv1\/kernel.*features\.0\.weight/);
    expect(error.message).toContain('encoder.layer0.weight');
  });

  it('refuses unknown extensions naming the supported formats, unless the format is given', async () => {
    const error = await caught(() => loadVggWeights(VGG16, memorySource({}).source, 'weights.bin'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toMatch(/weights\.bin.*\.json.*\.safetensors/);
    const weights = await loadVggWeights(VGG16, memorySource({ 'w.bin': file }).source, 'w.bin', { format: 'safetensors' });
    expect(weights.conv1_1.bias.length).toBe(64);
  });

  it('passes Keras HWIO kernels through unchanged', () => {
    const tensors = new Map<string, NamedTensor>();
    for (const [k, conv] of convLayers(VGG19_CAFFE).entries()) {
      tensors.set(`${conv.kerasName}/kernel`, tensor([3, 3, conv.inChannels, conv.outChannels], k));
      tensors.set(`${conv.kerasName}/bias`, tensor([conv.outChannels], 50 + k));
    }
    const weights = assembleVggWeights(VGG19_CAFFE, tensors, 'mem');
    expect(Object.keys(weights).length).toBe(16);
    expect(weights.conv4_4.kernel).toBe(tensors.get('block4_conv4/kernel')!.values);
  });
});

describe('fetchByteSource', () => {
  const body = Uint8Array.from({ length: 100 }, (_, i) => i);

  /** A fake fetch over `body`; `mode` says how it treats Range headers. */
  function fakeFetch(mode: 'ranges' | 'ignores-range' | 404 | 'offline') {
    const calls: Array<{ url: string; range?: string }> = [];
    const impl = async (url: string, init?: { headers?: Record<string, string> }) => {
      const range = init?.headers?.Range;
      calls.push({ url, range });
      if (mode === 'offline') throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND example.org') });
      if (mode === 404) return new Response('nope', { status: 404, statusText: 'Not Found' });
      if (range && mode === 'ranges') {
        const [, a, b] = /bytes=(\d+)-(\d+)/.exec(range)!;
        return new Response(body.slice(Number(a), Number(b) + 1), { status: 206 });
      }
      return new Response(body, { status: 200 });
    };
    return { impl, calls };
  }

  it('reads ranges with a Range header (206)', async () => {
    const { impl, calls } = fakeFetch('ranges');
    const source = fetchByteSource(impl);
    expect(Array.from(await source.readRange!('https://example.org/w.safetensors', 10, 14))).toEqual([10, 11, 12, 13]);
    expect(calls).toEqual([{ url: 'https://example.org/w.safetensors', range: 'bytes=10-13' }]);
    expect((await source.read('https://example.org/w.safetensors')).length).toBe(100);
  });

  it('slices a whole 200 body and reuses it for later ranges', async () => {
    const { impl, calls } = fakeFetch('ignores-range');
    const source = fetchByteSource(impl);
    expect(Array.from(await source.readRange!('https://example.org/w', 98, 100))).toEqual([98, 99]);
    expect(Array.from(await source.readRange!('https://example.org/w', 0, 2))).toEqual([0, 1]);
    expect(calls.length).toBe(1);
    await expect(source.readRange!('https://example.org/w', 90, 120)).rejects.toThrow(/100 bytes but bytes up to 120/);
  });

  it('names the URL and HTTP status on failure', async () => {
    const source = fetchByteSource(fakeFetch(404).impl);
    const error = await caught(() => source.read('https://example.org/missing.json'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toContain('https://example.org/missing.json');
    expect(error.message).toContain('HTTP 404 Not Found');
  });

  it('suggests local weights when the network is unreachable, named per front end', async () => {
    const source = fetchByteSource(fakeFetch('offline').impl);
    const error = (await caught(() => source.readRange!('https://example.org/w.safetensors', 0, 8))) as WeightsError;
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toContain('https://example.org/w.safetensors');
    expect(error.message).toContain('ENOTFOUND');
    // The API names its option; a front end's wording names its own knob (the CLI: --weights).
    expect(error.message).toContain('pass them with weights (a local path');
    expect(error.message).not.toContain('--weights');
    const cli = error.describe({ option: (name) => (name === 'weights' ? '--weights PATH' : undefined), input: (_n, d) => d });
    expect(cli).toContain('pass them with --weights PATH');
  });

  it('resolves shard names against the manifest URL', () => {
    const source = fetchByteSource(fakeFetch('ranges').impl);
    expect(source.resolve('https://example.org/m/vgg/model.json?v=2', 'group1-shard1of2.bin')).toBe(
      'https://example.org/m/vgg/group1-shard1of2.bin',
    );
  });

  it('loads a torchvision safetensors file by URL reading only conv ranges', async () => {
    const file = writeSafetensors(torchvisionVgg16());
    const ranges: string[] = [];
    const impl = async (_url: string, init?: { headers?: Record<string, string> }) => {
      const [, a, b] = /bytes=(\d+)-(\d+)/.exec(init!.headers!.Range)!;
      ranges.push(init!.headers!.Range);
      return new Response(file.slice(Number(a), Number(b) + 1), { status: 206 });
    };
    const weights = await loadVggWeights(VGG16, fetchByteSource(impl), 'https://example.org/vgg16.safetensors?download=true');
    expect(Object.keys(weights).length).toBe(13);
    expect(ranges.length).toBe(3);
  });
});

describe('readTfjsWeights', () => {
  // Group 1: float32 [2,3], uint8-quantised [4], float16-quantised [3], int32 [2], float16 [2]; split over two shards.
  const a = filled(6, 3);
  const group1 = new Uint8Array(24 + 4 + 6 + 8 + 4);
  new Uint8Array(group1.buffer, 0, 24).set(new Uint8Array(a.buffer));
  group1.set([0, 1, 2, 255], 24);
  group1.set([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x38], 28); // 1, -2, 0.5
  new DataView(group1.buffer).setInt32(34, -7, true);
  new DataView(group1.buffer).setInt32(38, 123456, true);
  group1.set([0x00, 0x44, 0x00, 0x00], 42); // 4, 0
  const weights1 = [
    { name: 'a', shape: [2, 3], dtype: 'float32' },
    { name: 'q8', shape: [4], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.5, min: -1 } },
    { name: 'q16', shape: [3], dtype: 'float32', quantization: { dtype: 'float16' } },
    { name: 'i', shape: [2], dtype: 'int32' },
    { name: 'h', shape: [2], dtype: 'float16' },
  ];
  const manifest = [
    { paths: ['g1-shard1of2.bin', 'g1-shard2of2.bin'], weights: weights1 },
    { paths: ['g2-shard1of1.bin'], weights: [{ name: 'unused', shape: [1], dtype: 'float32' }] },
  ];
  const files = (g1: Uint8Array = group1) => ({
    'm/model.json': new TextEncoder().encode(JSON.stringify({ format: 'layers-model', modelTopology: {}, weightsManifest: manifest })),
    'm/weights_manifest.json': new TextEncoder().encode(JSON.stringify(manifest)),
    'm/g1-shard1of2.bin': g1.subarray(0, 13), // splits tensor "a" across shards
    'm/g1-shard2of2.bin': g1.subarray(13),
    'm/g2-shard1of1.bin': new Uint8Array(4),
  });

  it('decodes float32, quantised, float16 and int32 weights across shard boundaries', async () => {
    for (const location of ['m/model.json', 'm/weights_manifest.json']) {
      const { source, log } = memorySource(files());
      const read = await readTfjsWeights(source, location, (name) => name !== 'unused');
      expect(read.get('a')).toEqual({ shape: [2, 3], values: a });
      expect(Array.from(read.get('q8')!.values)).toEqual([-1, -0.5, 0, 126.5]);
      expect(Array.from(read.get('q16')!.values)).toEqual([1, -2, 0.5]);
      expect(Array.from(read.get('i')!.values)).toEqual([-7, 123456]);
      expect(Array.from(read.get('h')!.values)).toEqual([4, 0]);
      expect(read.has('unused')).toBe(false);
      // The group holding only unwanted weights is never read.
      expect(log.reads).not.toContain('m/g2-shard1of1.bin');
    }
  });

  it('reports shards shorter than the manifest needs', async () => {
    const { source } = memorySource(files(group1.subarray(0, group1.length - 3)));
    const error = await caught(() => readTfjsWeights(source, 'm/model.json'));
    expect(error).toBeInstanceOf(WeightsError);
    expect(error.message).toContain('m/model.json');
    expect(error.message).toMatch(/needs 46 bytes .* hold 43, 3 bytes short/);
  });

  it('rejects JSON without a weights manifest', async () => {
    const { source } = memorySource({ 'x/model.json': new TextEncoder().encode('{"modelTopology": {}}') });
    await expect(readTfjsWeights(source, 'x/model.json')).rejects.toThrow(/x\/model\.json has no weightsManifest/);
    const bad = memorySource({ 'x/model.json': new TextEncoder().encode('{oops') });
    await expect(readTfjsWeights(bad.source, 'x/model.json')).rejects.toThrow(/x\/model\.json is not valid JSON/);
  });
});

describe('float16 encoding', () => {
  it('rounds to the nearest half (ties to even), saturates to Infinity, keeps subnormals and NaN', async () => {
    const { encodeF16 } = await import('../src/model/weights/index.js');
    const halfBits = (x: number) => {
      const b = encodeF16(new Float32Array([x]));
      return b[0] | (b[1] << 8);
    };
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(-2)).toBe(0xc000);
    expect(halfBits(65504)).toBe(0x7bff); // largest finite half
    expect(halfBits(65520)).toBe(0x7c00); // rounds up past it: Infinity
    expect(halfBits(0.1)).toBe(0x2e66);
    expect(halfBits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(halfBits(2 ** -26)).toBe(0x0000); // below half of it: zero
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to the even mantissa
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(halfBits(-Infinity)).toBe(0xfc00);
    expect(halfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(halfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every finite half exactly through decodeTensor', async () => {
    const { encodeF16 } = await import('../src/model/weights/index.js');
    const all = new Uint8Array(2 * 0x10000);
    for (let h = 0; h < 0x10000; h++) {
      all[2 * h] = h & 0xff;
      all[2 * h + 1] = h >> 8;
    }
    const values = decodeTensor('F16', all);
    const again = encodeF16(values);
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff)) continue; // NaN payloads are not preserved
      if (again[2 * h] !== all[2 * h] || again[2 * h + 1] !== all[2 * h + 1]) throw new Error(`half 0x${h.toString(16)} did not round-trip`);
    }
  });

  it('writeSafetensors with dtype F16 stores half the bytes and reads back within half precision', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 0.05);
    const f16 = writeSafetensors({ w: { shape: [1000], values } }, undefined, { dtype: 'F16' });
    const header = parseSafetensorsHeader(f16);
    expect(header.tensors.w).toEqual({ dtype: 'F16', shape: [1000], dataOffsets: [0, 2000] });
    const back = decodeTensor('F16', f16.subarray(header.dataOffset));
    for (let i = 0; i < 1000; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11 + 2 ** -25);
  });
});
