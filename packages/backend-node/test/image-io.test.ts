import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeImage, encodeImage, imageFormatFromPath, readImageFile, writeImageFile } from '../src/image-io.js';
import { writeFileAtomic } from '../src/atomic-write.js';

// Errors are checked by name and stable code, so the test does not depend on how @strotss/core is resolved.
async function expectError(promise: Promise<unknown>, name: string, code: string, message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  expect(error).toMatchObject({ name, code });
  expect((error as Error).message).toMatch(message);
}

const invalidImage = (p: Promise<unknown>, m: RegExp) => expectError(p, 'InvalidImageError', 'INVALID_IMAGE', m);
const invalidOption = (p: Promise<unknown>, m: RegExp) => expectError(p, 'InvalidOptionError', 'INVALID_OPTION', m);

/** A w×h RGBA image with a smooth gradient (JPEG-friendly) and the given alpha. */
function gradient(width: number, height: number, alpha = 255): { width: number; height: number; data: Uint8ClampedArray } {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = Math.round((x / (width - 1)) * 255);
      data[i + 1] = Math.round((y / (height - 1)) * 255);
      data[i + 2] = 128;
      data[i + 3] = alpha;
    }
  }
  return { width, height, data };
}

/** Returns the RGBA bytes of pixel (x, y). */
function pixel(image: { width: number; data: Uint8ClampedArray }, x: number, y: number): number[] {
  const i = (y * image.width + x) * 4;
  return Array.from(image.data.subarray(i, i + 4));
}

function meanAbsDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strotss-image-io-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Lists the directory's entries that look like leftover temp files. */
async function tempLeftovers(where = dir): Promise<string[]> {
  return (await readdir(where)).filter((name) => name.endsWith('.tmp'));
}

describe('readImageFile', () => {
  it('reads an RGB PNG as opaque RGBA', async () => {
    const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const path = join(dir, 'rgb.png');
    await sharp(rgb, { raw: { width: 3, height: 2, channels: 3 } }).png().toFile(path);

    const image = await readImageFile(path);

    expect(image.width).toBe(3);
    expect(image.height).toBe(2);
    expect(image.data).toBeInstanceOf(Uint8ClampedArray);
    expect(Array.from(image.data)).toEqual([
      255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255,
    ]);
  });

  it('keeps alpha of an RGBA PNG in the A channel', async () => {
    const rgba = Buffer.from([255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 1, 2, 3, 4]);
    const path = join(dir, 'rgba.png');
    await sharp(rgba, { raw: { width: 2, height: 2, channels: 4 } }).png().toFile(path);

    const image = await readImageFile(path);

    expect(Array.from(image.data)).toEqual(Array.from(rgba));
  });

  it('replicates a grey PNG to RGB', async () => {
    const grey = Buffer.from([0, 64, 128, 255]);
    const path = join(dir, 'grey.png');
    await sharp(grey, { raw: { width: 2, height: 2, channels: 1 } }).toColourspace('b-w').png().toFile(path);
    expect((await sharp(path).metadata()).channels).toBe(1);

    const image = await readImageFile(path);

    expect(image.data.length).toBe(16);
    expect([0, 1, 2, 3].map((i) => pixel(image, i % 2, Math.floor(i / 2)))).toEqual([
      [0, 0, 0, 255],
      [64, 64, 64, 255],
      [128, 128, 128, 255],
      [255, 255, 255, 255],
    ]);
  });

  it('replicates grey + alpha to RGB and keeps the alpha', async () => {
    const greyAlpha = Buffer.from([100, 50, 200, 255]);
    const path = join(dir, 'grey-alpha.png');
    await sharp(greyAlpha, { raw: { width: 2, height: 1, channels: 2 } }).toColourspace('b-w').png().toFile(path);
    expect((await sharp(path).metadata()).channels).toBe(2);

    const image = await readImageFile(path);

    expect(Array.from(image.data)).toEqual([100, 100, 100, 50, 200, 200, 200, 255]);
  });

  it('reduces a 16-bit PNG to 8 bits', async () => {
    const rgb = Buffer.from([200, 10, 40, 0, 128, 255]);
    const path = join(dir, 'deep.png');
    await sharp(rgb, { raw: { width: 2, height: 1, channels: 3 } }).toColourspace('rgb16').png().toFile(path);
    expect((await sharp(path).metadata()).depth).toBe('ushort');

    const image = await readImageFile(path);

    expect(image.data.length).toBe(8);
    const expected = [200, 10, 40, 255, 0, 128, 255, 255];
    Array.from(image.data).forEach((v: number, i: number) => expect(Math.abs(v - expected[i])).toBeLessThanOrEqual(1));
  });

  it('applies EXIF orientation 6 (rotate 90° clockwise): width and height swap', async () => {
    // 16×8, left half red, right half blue; orientation 6 displays it rotated 90° clockwise,
    // so the upright image is 8×16 with red on top.
    const width = 16;
    const height = 8;
    const rgb = Buffer.alloc(width * height * 3);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgb.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
    }
    const path = join(dir, 'rotated.jpg');
    await sharp(rgb, { raw: { width, height, channels: 3 } }).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toFile(path);
    const meta = await sharp(path).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([16, 8, 6]);

    const image = await readImageFile(path);

    expect([image.width, image.height]).toEqual([8, 16]);
    const top = pixel(image, 4, 2);
    const bottom = pixel(image, 4, 13);
    expect(top[0]).toBeGreaterThan(200);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(200);
    expect(bottom[0]).toBeLessThan(60);
  });

  it('reads a lossless WebP exactly', async () => {
    const source = gradient(5, 4, 200);
    const path = join(dir, 'image.webp');
    await sharp(Buffer.from(source.data), { raw: { width: 5, height: 4, channels: 4 } }).webp({ lossless: true }).toFile(path);

    const image = await readImageFile(path);

    expect([image.width, image.height]).toEqual([5, 4]);
    expect(Array.from(image.data)).toEqual(Array.from(source.data));
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const path = join(dir, 'cmyk.jpg');
    await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 200, g: 30, b: 40 } } })
      .toColourspace('cmyk')
      .jpeg({ quality: 100 })
      .toFile(path);
    expect((await sharp(path).metadata()).space).toBe('cmyk');

    const image = await readImageFile(path);

    expect(image.data.length).toBe(4 * 4 * 4);
    const [r, g, b, a] = pixel(image, 1, 1);
    expect(r).toBeGreaterThan(150);
    expect(g).toBeLessThan(80);
    expect(b).toBeLessThan(90);
    expect(a).toBe(255);
  });

  it('rejects a missing file, naming the path', async () => {
    const path = join(dir, 'missing.png');
    await invalidImage(readImageFile(path), /not found: .*missing\.png; check the path/);
  });

  it('rejects a directory', async () => {
    await invalidImage(readImageFile(dir), /is a directory/);
  });

  it('rejects a text file named .png, keeping the sharp error as cause', async () => {
    const path = join(dir, 'notes.png');
    await writeFile(path, 'these are not pixels\n');
    const error = await readImageFile(path).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_IMAGE' });
    expect((error as Error).message).toMatch(/notes\.png.*not in a format sharp can decode/);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('rejects a truncated PNG as corrupt', async () => {
    const full = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#08f' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const path = join(dir, 'truncated.png');
    await writeFile(path, full.subarray(0, Math.floor(full.length / 2)));
    await invalidImage(readImageFile(path), /truncated\.png is corrupt or truncated/);
  });

  it('rejects an empty file', async () => {
    const path = join(dir, 'empty.png');
    await writeFile(path, new Uint8Array(0));
    await invalidImage(readImageFile(path), /empty \(0 bytes\): .*empty\.png/);
  });

  it('rejects an image above maxPixels with a clear message', async () => {
    const path = join(dir, 'big.png');
    await sharp({ create: { width: 20, height: 10, channels: 3, background: '#fff' } }).png().toFile(path);
    await invalidImage(readImageFile(path, { maxPixels: 199 }), /big\.png has more than 199 pixels.*downscale/);
    await expect(readImageFile(path, { maxPixels: 200 })).resolves.toMatchObject({ width: 20, height: 10 });
  });

  it('rejects a maxPixels that is not a positive integer', async () => {
    const bytes = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer();
    await invalidOption(decodeImage(bytes, 'x', { maxPixels: 0 }), /maxPixels is 0/);
  });
});

describe('decodeImage', () => {
  it('decodes bytes from memory', async () => {
    const bytes = await sharp({ create: { width: 3, height: 2, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 1 } } })
      .png()
      .toBuffer();
    const image = await decodeImage(new Uint8Array(bytes));
    expect([image.width, image.height]).toEqual([3, 2]);
    expect(pixel(image, 2, 1)).toEqual([1, 2, 3, 255]);
  });

  it('names the label in errors', async () => {
    await invalidImage(decodeImage(new Uint8Array([1, 2, 3]), 'https://example.test/a.png'), /example\.test\/a\.png/);
    await invalidImage(decodeImage(new Uint8Array(0), 'upload'), /upload is empty/);
  });
});

describe('writeImageFile', () => {
  it('round-trips a PNG exactly, with and without alpha', async () => {
    for (const alpha of [255, 77]) {
      const source = gradient(17, 9, alpha);
      const path = join(dir, `round-${alpha}.png`);
      await writeImageFile(path, source);
      const back = await readImageFile(path);
      expect([back.width, back.height]).toEqual([17, 9]);
      expect(Array.from(back.data)).toEqual(Array.from(source.data));
    }
    expect(await tempLeftovers()).toEqual([]);
  });

  it('writes opaque PNGs without an alpha channel', async () => {
    const path = join(dir, 'opaque.png');
    await writeImageFile(path, gradient(4, 4));
    expect((await sharp(path).metadata()).channels).toBe(3);
  });

  it('round-trips a JPEG closely (.jpg and .jpeg)', async () => {
    const source = gradient(64, 48);
    for (const name of ['out.jpg', 'out.JPEG']) {
      const path = join(dir, name);
      await writeImageFile(path, source, { quality: 95 });
      expect((await sharp(path).metadata()).format).toBe('jpeg');
      const back = await readImageFile(path);
      expect([back.width, back.height]).toEqual([64, 48]);
      expect(meanAbsDiff(back.data, source.data)).toBeLessThan(2);
    }
  });

  it('round-trips a WebP closely', async () => {
    const source = gradient(64, 48);
    const path = join(dir, 'out.webp');
    await writeImageFile(path, source);
    expect((await sharp(path).metadata()).format).toBe('webp');
    const back = await readImageFile(path);
    expect(meanAbsDiff(back.data, source.data)).toBeLessThan(4);
  });

  it('lower JPEG quality gives a smaller file', async () => {
    const noisy = gradient(64, 64);
    for (let i = 0; i < noisy.data.length; i += 4) noisy.data[i + 2] = (i * 7919) % 256;
    const low = await encodeImage(noisy, 'jpeg', { quality: 20 });
    const high = await encodeImage(noisy, 'jpeg', { quality: 95 });
    expect(low.length).toBeLessThan(high.length);
  });

  it('replaces an existing file', async () => {
    const path = join(dir, 'replace.png');
    await writeFile(path, 'old contents');
    await writeImageFile(path, gradient(3, 3));
    expect((await readImageFile(path)).width).toBe(3);
    expect(await tempLeftovers()).toEqual([]);
  });

  it('rejects an unsupported extension before writing anything', async () => {
    for (const name of ['out.gif', 'out.tiff', 'out']) {
      const path = join(dir, name);
      await invalidOption(writeImageFile(path, gradient(2, 2)), /(\.gif|\.tiff|no extension).*\.png, \.jpg, \.jpeg, \.webp/);
    }
    expect(await readdir(dir)).toEqual([]);
    expect(() => imageFormatFromPath('a.bmp')).toThrow(/"\.bmp" is not a supported image format/);
  });

  it('rejects a missing parent directory, naming it, without creating it', async () => {
    const parent = join(dir, 'no-such-dir');
    await invalidOption(writeImageFile(join(parent, 'out.png'), gradient(2, 2)), /no-such-dir does not exist/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects a bad quality', async () => {
    await invalidOption(writeImageFile(join(dir, 'q.jpg'), gradient(2, 2), { quality: 0 }), /quality is 0/);
    await invalidOption(writeImageFile(join(dir, 'q.jpg'), gradient(2, 2), { quality: 50.5 }), /quality is 50\.5/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects an image whose data length is wrong before writing; the existing target is untouched', async () => {
    const path = join(dir, 'keep.png');
    await writeFile(path, 'precious');
    const broken = { width: 4, height: 4, data: new Uint8ClampedArray(4 * 4 * 4 - 1) };
    await invalidImage(writeImageFile(path, broken), /63 bytes but 4×4 RGBA needs 64/);
    await invalidImage(writeImageFile(path, { width: 0, height: 4, data: new Uint8ClampedArray(0) }), /0×4/);
    expect(await readFile(path, 'utf8')).toBe('precious');
    expect(await readdir(dir)).toEqual(['keep.png']);
  });

  it('leaves the existing target untouched when sharp fails to encode', async () => {
    // WebP cannot hold more than 16383 pixels per side: a real encoder failure, no mocks.
    const path = join(dir, 'keep.webp');
    await writeFile(path, 'precious');
    const tooWide = { width: 16384, height: 1, data: new Uint8ClampedArray(16384 * 4).fill(255) };
    await invalidImage(writeImageFile(path, tooWide), /16384×1 image as WEBP: .*too large/);
    expect(await readFile(path, 'utf8')).toBe('precious');
    expect(await readdir(dir)).toEqual(['keep.webp']);
  });

  it('removes its temp file when the rename fails (target is a directory)', async () => {
    const target = join(dir, 'taken.png');
    await mkdir(target);
    await writeFile(join(target, 'inside.txt'), 'still here');
    await invalidOption(writeImageFile(target, gradient(2, 2)), /taken\.png: it is a directory/);
    expect((await stat(target)).isDirectory()).toBe(true);
    expect(await readFile(join(target, 'inside.txt'), 'utf8')).toBe('still here');
    expect(await readdir(dir)).toEqual(['taken.png']);
  });
});

describe('writeFileAtomic', () => {
  it('writes bytes and keeps the mode of the file it replaces', async () => {
    const path = join(dir, 'cache.json');
    await writeFile(path, '{}');
    await chmod(path, 0o640);
    await writeFileAtomic(path, new TextEncoder().encode('{"a":1}'));
    expect(await readFile(path, 'utf8')).toBe('{"a":1}');
    expect((await stat(path)).mode & 0o777).toBe(0o640);
    expect(await tempLeftovers()).toEqual([]);
  });

  it('concurrent writers never leave a partial file or temp files', async () => {
    const path = join(dir, 'race.bin');
    const payloads = Array.from({ length: 8 }, (_, i) => new Uint8Array(100_000).fill(i + 1));
    await Promise.all(payloads.map((bytes) => writeFileAtomic(path, bytes)));
    const final = await readFile(path);
    expect(final.length).toBe(100_000);
    expect(new Set(final).size).toBe(1);
    expect(await readdir(dir)).toEqual(['race.bin']);
  });

  it('rejects a path whose parent is a file', async () => {
    const file = join(dir, 'plain');
    await writeFile(file, 'x');
    await invalidOption(writeFileAtomic(join(file, 'child.json'), new Uint8Array(1)), /plain is not a directory/);
  });
});
