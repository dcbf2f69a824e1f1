// A generated corpus of damaged PNG / JPEG / WebP files. Every file must either decode to a valid RGBA
// image or be rejected with an InvalidImageError that names the file and says what to do: never another
// error type, never a crash, never a hang. Deterministic by seed (STROTSS_CORPUS_SEED, default 12345).
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidImageError } from '@strotss/core';
import { readImageFile } from '@strotss/backend-node';
import { mulberry32 } from '../../../test-support/seeded.js';

const SEED = Number(process.env.STROTSS_CORPUS_SEED ?? 12345) >>> 0;
const PER_FILE_LIMIT_MS = 10_000;


type Rng = () => number;
/** An integer in [lo, hi] (inclusive). */
const randInt = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

type Format = 'png' | 'jpeg' | 'webp';
const EXT: Record<Format, string> = { png: '.png', jpeg: '.jpg', webp: '.webp' };
const WRONG_EXT: Record<Format, string> = { png: '.jpg', jpeg: '.webp', webp: '.png' };

interface Source {
  name: string;
  format: Format;
  bytes: Buffer;
  /** The size readImageFile must return (after EXIF orientation). */
  width: number;
  height: number;
}

/** What a corpus file must do: decode (optionally to a known size), be rejected (optionally with a message), or either. */
interface Expectation {
  outcome: 'decode' | 'reject' | 'either';
  width?: number;
  height?: number;
  message?: RegExp;
}

interface CorpusFile {
  path: string;
  expect: Expectation;
}

/** Raw pixels with smooth structure plus noise, so every encoder produces a non-trivial stream. */
function rawPixels(rng: Rng, width: number, height: number, channels: number): Buffer {
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        const base = ((x * (c + 3) * 255) / Math.max(1, width) + (y * 255) / Math.max(1, height)) / 2;
        out[(y * width + x) * channels + c] = Math.max(0, Math.min(255, Math.round(base + (rng() - 0.5) * 60)));
      }
    }
  }
  return out;
}

/** The valid source images the mutations start from: several sizes, colour types, bit depths and encodings. */
async function makeSources(rng: Rng): Promise<Source[]> {
  const pipe = (w: number, h: number, c: 1 | 2 | 3 | 4) =>
    sharp(rawPixels(rng, w, h, c), { raw: { width: w, height: h, channels: c } });
  const specs: Array<[string, Format, number, number, () => Promise<Buffer>]> = [
    ['png-rgb-1x1', 'png', 1, 1, () => pipe(1, 1, 3).png().toBuffer()],
    ['png-rgba-16x16', 'png', 16, 16, () => pipe(16, 16, 4).png().toBuffer()],
    ['png-grey-8x8', 'png', 8, 8, () => pipe(8, 8, 1).toColourspace('b-w').png().toBuffer()],
    ['png-grey-alpha-7x5', 'png', 7, 5, () => pipe(7, 5, 2).toColourspace('b-w').png().toBuffer()],
    ['png-16bit-32x24', 'png', 32, 24, () => pipe(32, 24, 3).toColourspace('rgb16').png().toBuffer()],
    ['png-palette-64x48', 'png', 64, 48, () => pipe(64, 48, 3).png({ palette: true, colours: 16 }).toBuffer()],
    ['png-interlaced-33x17', 'png', 33, 17, () => pipe(33, 17, 3).png({ progressive: true }).toBuffer()],
    ['jpeg-1x1', 'jpeg', 1, 1, () => pipe(1, 1, 3).jpeg().toBuffer()],
    ['jpeg-baseline-16x16', 'jpeg', 16, 16, () => pipe(16, 16, 3).jpeg({ quality: 80 }).toBuffer()],
    ['jpeg-progressive-64x48', 'jpeg', 64, 48, () => pipe(64, 48, 3).jpeg({ progressive: true }).toBuffer()],
    ['jpeg-grey-20x12', 'jpeg', 20, 12, () => pipe(20, 12, 1).toColourspace('b-w').jpeg().toBuffer()],
    // EXIF orientation 6 (rotate 90°): stored 24×10, read back upright as 10×24.
    ['jpeg-exif-rotated-24x10', 'jpeg', 10, 24, () => pipe(24, 10, 3).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
    ['webp-lossless-32x24', 'webp', 32, 24, () => pipe(32, 24, 3).webp({ lossless: true }).toBuffer()],
    ['webp-lossy-64x48', 'webp', 64, 48, () => pipe(64, 48, 3).webp({ quality: 70 }).toBuffer()],
    ['webp-lossy-alpha-17x9', 'webp', 17, 9, () => pipe(17, 9, 4).webp({ quality: 80 }).toBuffer()],
  ];
  const sources: Source[] = [];
  for (const [name, format, width, height, make] of specs) {
    sources.push({ name, format, width, height, bytes: await make() });
  }
  return sources;
}

// ---- CRC-32 (PNG chunk checksums) ----

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- container structure: [start, end) ranges of the chunks / segments ----

/** PNG chunks (length, type, data, CRC) after the 8-byte signature. */
function pngChunks(b: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 8;
  while (at + 12 <= b.length) {
    const end = at + 12 + b.readUInt32BE(at);
    if (end > b.length) break;
    out.push([at, end]);
    at = end;
  }
  return out;
}

/** JPEG marker segments after SOI, up to and including the first SOS header (not its entropy-coded data). */
function jpegSegments(b: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1];
    const end = at + 2 + b.readUInt16BE(at + 2);
    if (end > b.length) break;
    out.push([at, end]);
    if (marker === 0xda) break;
    at = end;
  }
  return out;
}

/** RIFF chunks of a WebP file after the 12-byte RIFF/WEBP header (padded to even sizes). */
function webpChunks(b: Buffer): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let at = 12;
  while (at + 8 <= b.length) {
    const size = b.readUInt32LE(at + 4);
    const end = Math.min(b.length, at + 8 + size + (size & 1));
    out.push([at, end]);
    at = end;
  }
  return out;
}

function chunksOf(source: Source): Array<[number, number]> {
  if (source.format === 'png') return pngChunks(source.bytes);
  if (source.format === 'jpeg') return jpegSegments(source.bytes);
  return webpChunks(source.bytes);
}

// ---- mutations ----

type Mutation = (b: Buffer, rng: Rng, source: Source) => Buffer;

const truncate: Mutation = (b, rng) => b.subarray(0, randInt(rng, 1, b.length - 1));

const flipBytes: Mutation = (b, rng) => {
  const out = Buffer.from(b);
  const flips = randInt(rng, 1, 1 + Math.ceil(b.length / 64));
  for (let i = 0; i < flips; i++) out[randInt(rng, 0, out.length - 1)] ^= randInt(rng, 1, 255);
  return out;
};

const flipHeaderBytes: Mutation = (b, rng) => {
  const out = Buffer.from(b);
  const span = Math.min(out.length, 40);
  for (let i = 0; i < 3; i++) out[randInt(rng, 0, span - 1)] ^= randInt(rng, 1, 255);
  return out;
};

const zeroRange: Mutation = (b, rng) => {
  const out = Buffer.from(b);
  const start = randInt(rng, 0, out.length - 1);
  out.fill(0, start, Math.min(out.length, start + randInt(rng, 1, Math.max(1, Math.floor(out.length / 4)))));
  return out;
};

const duplicateRange: Mutation = (b, rng) => {
  const start = randInt(rng, 0, b.length - 1);
  const end = Math.min(b.length, start + randInt(rng, 1, Math.max(1, Math.floor(b.length / 3))));
  return Buffer.concat([b.subarray(0, end), b.subarray(start, end), b.subarray(end)]);
};

const removeRange: Mutation = (b, rng) => {
  const start = randInt(rng, 0, b.length - 1);
  const end = Math.min(b.length, start + randInt(rng, 1, Math.max(1, Math.floor(b.length / 3))));
  return Buffer.concat([b.subarray(0, start), b.subarray(end)]);
};

const corruptMagic: Mutation = (b, rng) => {
  const out = Buffer.from(b);
  for (let i = 0; i < Math.min(4, out.length); i++) out[i] ^= randInt(rng, 1, 255);
  return out;
};

const removeChunk: Mutation = (b, rng, source) => {
  const chunks = chunksOf(source);
  if (chunks.length === 0) return removeRange(b, rng, source);
  const [start, end] = chunks[randInt(rng, 0, chunks.length - 1)];
  return Buffer.concat([b.subarray(0, start), b.subarray(end)]);
};

const duplicateChunk: Mutation = (b, rng, source) => {
  const chunks = chunksOf(source);
  if (chunks.length === 0) return duplicateRange(b, rng, source);
  const [start, end] = chunks[randInt(rng, 0, chunks.length - 1)];
  return Buffer.concat([b.subarray(0, end), b.subarray(start, end), b.subarray(end)]);
};

/** Each mutation and how many variants of it every source gets. */
const MUTATIONS: Array<[string, Mutation, number]> = [
  ['truncate', truncate, 4],
  ['flip', flipBytes, 4],
  ['flip-header', flipHeaderBytes, 1],
  ['zero', zeroRange, 2],
  ['dup-range', duplicateRange, 1],
  ['cut-range', removeRange, 1],
  ['magic', corruptMagic, 1],
  ['drop-chunk', removeChunk, 2],
  ['dup-chunk', duplicateChunk, 2],
];

// ---- hand-made hostile files ----

/** A PNG whose IHDR declares width × height, with the IHDR CRC recomputed unless `fixCrc` is false. */
function pngWithSize(png: Buffer, width: number, height: number, fixCrc = true): Buffer {
  const out = Buffer.from(png);
  if (out.toString('latin1', 12, 16) !== 'IHDR') throw new Error('the source PNG does not start with IHDR');
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  if (fixCrc) out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** A JPEG whose SOF segment declares width × height. */
function jpegWithSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = jpegSegments(out).find(([at]) => [0xc0, 0xc1, 0xc2].includes(out[at + 1]));
  if (sof === undefined) throw new Error('the source JPEG has no SOF segment');
  out.writeUInt16BE(height, sof[0] + 5);
  out.writeUInt16BE(width, sof[0] + 7);
  return out;
}

/** An extended WebP (VP8X) whose canvas is declared as width × height (each at most 2^24). */
function webpWithCanvas(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  if (out.toString('latin1', 12, 16) !== 'VP8X') throw new Error('the source WebP is not VP8X');
  out.writeUIntLE(width - 1, 24, 3);
  out.writeUIntLE(height - 1, 27, 3);
  return out;
}

/** A lossless WebP (VP8L) whose bitstream header declares width × height (each at most 16383 in a valid file). */
function webpLosslessWithSize(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  if (out.toString('latin1', 12, 16) !== 'VP8L' || out[20] !== 0x2f) throw new Error('the source WebP is not VP8L');
  const bits = out.readUInt32LE(21);
  const packed = ((bits & ~0x0fffffff) | ((height - 1) << 14) | (width - 1)) >>> 0;
  out.writeUInt32LE(packed, 21);
  return out;
}

/** A lossy simple WebP (VP8) whose key frame declares width × height (each at most 16383). */
function webpLossyWithSize(webp: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(webp);
  if (out.toString('latin1', 12, 16) !== 'VP8 ') throw new Error('the source WebP is not simple lossy VP8');
  if (out[23] !== 0x9d || out[24] !== 0x01 || out[25] !== 0x2a) throw new Error('no VP8 key-frame start code');
  out.writeUInt16LE(width & 0x3fff, 26);
  out.writeUInt16LE(height & 0x3fff, 28);
  return out;
}

// ---- checking one file ----

/**
 * The message must name the file and end with what to do: the text after its last "; " starts with
 * an instruction (sharp's own detail, quoted in parentheses before that, does not count).
 */
const ADVICE = /^(pass|check|re-export|re-download|downscale|fix|use|choose|create|resize)\b/i;

function clearMessage(message: string, path: string): boolean {
  const tail = message.slice(message.lastIndexOf('; ') + 2);
  return message.includes(path) && message.lastIndexOf('; ') >= 0 && ADVICE.test(tail);
}

type Verdict = { kind: 'decoded' } | { kind: 'rejected' } | { kind: 'failure'; why: string };

async function withTimeLimit<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function check(file: CorpusFile): Promise<Verdict> {
  const { path, expect: want } = file;
  const settled = await withTimeLimit(
    readImageFile(path).then(
      (image) => ({ ok: true as const, image }),
      (error: unknown) => ({ ok: false as const, error }),
    ),
    PER_FILE_LIMIT_MS,
  );
  if (settled === 'timeout') return { kind: 'failure', why: `no answer within ${PER_FILE_LIMIT_MS} ms (hang)` };
  if (settled.ok) {
    const { width, height, data } = settled.image;
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      return { kind: 'failure', why: `decoded to a bad size ${width}×${height}` };
    }
    if (!(data instanceof Uint8ClampedArray) || data.length !== width * height * 4) {
      return { kind: 'failure', why: `decoded ${width}×${height} with ${data?.length} bytes of data, not RGBA` };
    }
    if (want.outcome === 'reject') return { kind: 'failure', why: `decoded (${width}×${height}) but must be rejected` };
    if (want.width !== undefined && (width !== want.width || height !== want.height)) {
      return { kind: 'failure', why: `decoded to ${width}×${height}, expected ${want.width}×${want.height}` };
    }
    return { kind: 'decoded' };
  }
  const error = settled.error;
  if (!(error instanceof InvalidImageError)) {
    const name = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'failure', why: `rejected with another error type (${name})` };
  }
  if (want.outcome === 'decode') return { kind: 'failure', why: `rejected but must decode: ${error.message}` };
  if (!clearMessage(error.message, path)) {
    return { kind: 'failure', why: `unclear message (must name the file and say what to do): ${error.message}` };
  }
  if (want.message !== undefined && !want.message.test(error.message)) {
    return { kind: 'failure', why: `message does not match ${want.message}: ${error.message}` };
  }
  return { kind: 'rejected' };
}

// ---- the corpus ----

let dir: string;
let files: CorpusFile[];

async function buildCorpus(root: string): Promise<CorpusFile[]> {
  const rng = mulberry32(SEED);
  const sources = await makeSources(rng);
  const out: CorpusFile[] = [];
  let n = 0;
  const add = async (name: string, bytes: Uint8Array, want: Expectation) => {
    const path = join(root, `${String(n++).padStart(3, '0')}-${name}`);
    await writeFile(path, bytes);
    out.push({ path, expect: want });
  };
  const sized = (s: Source): Expectation => ({ outcome: 'decode', width: s.width, height: s.height });
  const LIMIT = /decode limit/;

  for (const source of sources) {
    await add(`${source.name}${EXT[source.format]}`, source.bytes, sized(source));
    await add(`${source.name}-wrong-ext${WRONG_EXT[source.format]}`, source.bytes, sized(source));
    for (const [label, mutate, variants] of MUTATIONS) {
      for (let v = 0; v < variants; v++) {
        const bytes = mutate(source.bytes, rng, source);
        await add(`${source.name}-${label}${v}${EXT[source.format]}`, bytes, { outcome: 'either' });
      }
    }
  }

  const src = (name: string) => {
    const s = sources.find((x) => x.name === name);
    if (s === undefined) throw new Error(`no source ${name}`);
    return s.bytes;
  };
  const EMPTY = { outcome: 'reject', message: /empty/ } as const;
  await add('empty.png', new Uint8Array(0), EMPTY);
  await add('empty.jpg', new Uint8Array(0), EMPTY);
  await add('empty.webp', new Uint8Array(0), EMPTY);
  await add('huge-100000x100000.png', pngWithSize(src('png-rgba-16x16'), 100_000, 100_000), { outcome: 'reject', message: LIMIT });
  await add('huge-100000x100000-palette.png', pngWithSize(src('png-palette-64x48'), 100_000, 100_000), { outcome: 'reject', message: LIMIT });
  await add('huge-bad-crc.png', pngWithSize(src('png-rgba-16x16'), 100_000, 100_000, false), { outcome: 'reject' });
  await add('huge-16384x16384.png', pngWithSize(src('png-grey-8x8'), 16_384, 16_384), { outcome: 'reject', message: LIMIT });
  await add('tall-1x100000.png', pngWithSize(src('png-rgb-1x1'), 1, 100_000), { outcome: 'reject' });
  await add('huge-65000x65000.jpg', jpegWithSize(src('jpeg-baseline-16x16'), 65_000, 65_000), { outcome: 'reject', message: LIMIT });
  await add('huge-65000x65000-progressive.jpg', jpegWithSize(src('jpeg-progressive-64x48'), 65_000, 65_000), { outcome: 'reject', message: LIMIT });
  await add('huge-canvas.webp', webpWithCanvas(src('webp-lossy-alpha-17x9'), 1 << 24, 1 << 24), { outcome: 'reject' });
  // WebP stores at most 16383 × 16383, exactly the default limit, so no WebP header can exceed it.
  await add('big-16383x16383-lossless.webp', webpLosslessWithSize(src('webp-lossless-32x24'), 16_383, 16_383), { outcome: 'reject' });
  await add('big-16383x16383-lossy.webp', webpLossyWithSize(src('webp-lossy-64x48'), 16_383, 16_383), { outcome: 'reject' });
  await add('signature-only.png', src('png-rgb-1x1').subarray(0, 8), { outcome: 'reject' });
  await add('soi-only.jpg', Buffer.from([0xff, 0xd8]), { outcome: 'reject' });
  await add('riff-header-only.webp', src('webp-lossy-64x48').subarray(0, 12), { outcome: 'reject' });
  await add('text.png', Buffer.from('this is not an image\n'), { outcome: 'reject' });
  await add('html.jpg', Buffer.from('<!doctype html><title>404 Not Found</title>'), { outcome: 'reject' });
  const garbage = Buffer.alloc(4096);
  for (let i = 0; i < garbage.length; i++) garbage[i] = randInt(rng, 0, 255);
  await add('random-bytes.webp', garbage, { outcome: 'reject' });
  await add('one-byte.png', Buffer.from([0x89]), { outcome: 'reject' });

  // Not regular files.
  const directory = join(root, `${String(n++).padStart(3, '0')}-directory.png`);
  await mkdir(directory);
  out.push({ path: directory, expect: { outcome: 'reject', message: /directory/ } });
  const dangling = join(root, `${String(n++).padStart(3, '0')}-dangling-link.png`);
  await symlink(join(root, 'no-such-target.png'), dangling);
  out.push({ path: dangling, expect: { outcome: 'reject', message: /not found/ } });
  const loop = join(root, `${String(n++).padStart(3, '0')}-symlink-loop.png`);
  await symlink(loop, loop);
  out.push({ path: loop, expect: { outcome: 'reject' } });
  out.push({ path: join(root, 'missing.jpg'), expect: { outcome: 'reject', message: /not found/ } });
  out.push({ path: join(root, '000-png-rgb-1x1.png', 'inside-a-file.png'), expect: { outcome: 'reject', message: /not found/ } });
  return out;
}

describe(`image corpus (seed ${SEED})`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-image-corpus-'));
    files = await buildCorpus(dir);
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('decodes every file to valid RGBA or rejects it with a clear InvalidImageError, never anything else', async () => {
    let decoded = 0;
    let rejected = 0;
    const failures: string[] = [];
    for (const file of files) {
      const verdict = await check(file);
      if (verdict.kind === 'decoded') decoded++;
      else if (verdict.kind === 'rejected') rejected++;
      else failures.push(`${file.path}: ${verdict.why}`);
    }
    console.log(
      `image corpus: ${files.length} files, ${decoded} decoded, ${rejected} rejected clearly, ` +
        `${failures.length} failures (seed ${SEED})`,
    );
    for (const failure of failures) console.log(`  FAIL ${failure}`);
    expect(files.length).toBeGreaterThanOrEqual(200);
    expect(decoded + rejected + failures.length).toBe(files.length);
    expect(failures).toEqual([]);
  });
});
