import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import sharp, { type OutputInfo, type Sharp } from 'sharp';
import { InvalidImageError, InvalidOptionError, assertRgbaImage, type ErrorMessage, type RgbaImage } from '@strotss/core';
import { writeFileAtomic } from './atomic-write.js';

/** An image file format this adapter can write. */
export type ImageFormat = 'png' | 'jpeg' | 'webp';

/** Options for decoding; the defaults suit untrusted input. */
export interface DecodeOptions {
  /** Largest width × height accepted, checked before the pixels are decoded. Default: sharp's 268 402 689 (16383²). */
  maxPixels?: number;
}

/** Options for encoding. */
export interface EncodeOptions {
  /** JPEG / WebP quality, an integer 1–100 (default 90); PNG is lossless and ignores it. */
  quality?: number;
}

/** sharp's own default limit, spelled out so error messages can quote it. */
export const DEFAULT_MAX_PIXELS = 0x3fff * 0x3fff;

const DEFAULT_QUALITY = 90;

const FORMAT_BY_EXTENSION: Readonly<Record<string, ImageFormat>> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

const SUPPORTED_EXTENSIONS = Object.keys(FORMAT_BY_EXTENSION).join(', ');

/**
 * Reads an image file (PNG, JPEG, WebP, or anything else sharp decodes) and returns it as 8-bit RGBA.
 *
 * EXIF orientation is applied, so a portrait photo taken with a rotated camera comes back upright
 * (width and height swapped where the tag says so). Grey images are replicated to RGB, 16-bit images are
 * reduced to 8 bits, CMYK and other colour spaces are converted to sRGB, alpha is kept in A (the core
 * ignores it) and images without alpha get A = 255. Throws InvalidImageError naming `path` when the file
 * is missing, a directory, empty, not a decodable image, or larger than `options.maxPixels`.
 */
export async function readImageFile(path: string, options: DecodeOptions = {}): Promise<RgbaImage> {
  const bytes = await readImageBytes(path);
  return decodeImage(bytes, path, options);
}

/**
 * Decodes image bytes held in memory and returns 8-bit RGBA, exactly like `readImageFile`
 * (EXIF orientation applied, grey → RGB, 16-bit → 8-bit, any colour space → sRGB, alpha kept).
 * `label` names the source in error messages (a path or URL). Throws InvalidImageError.
 */
export async function decodeImage(
  bytes: Uint8Array,
  label = '(in-memory bytes)',
  options: DecodeOptions = {},
): Promise<RgbaImage> {
  if (!(bytes instanceof Uint8Array)) {
    throw new InvalidImageError(`The image bytes for ${label} are ${describeValue(bytes)}; pass a Uint8Array or Buffer.`);
  }
  if (bytes.length === 0) {
    throw new InvalidImageError(`The image ${label} is empty (0 bytes); pass a PNG, JPEG or WebP image.`);
  }
  const maxPixels = resolveMaxPixels(options.maxPixels);
  let decoded: { data: Buffer; info: OutputInfo };
  try {
    decoded = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate() // No angle: orient by the EXIF tag, then drop it.
      .toColourspace('srgb') // Grey → 3 equal channels, CMYK/Lab/16-bit → 8-bit sRGB.
      .ensureAlpha(1)
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw describeDecodeError(error, label, maxPixels);
  }
  return toRgbaImage(decoded.data, decoded.info, label);
}

/**
 * Encodes an RGBA image as PNG, JPEG or WebP and returns the file bytes.
 *
 * A fully opaque image is written without an alpha channel (smaller files; the core always returns
 * opaque images). JPEG cannot store alpha, so A is dropped there, not composited, matching how the
 * core reads images. Throws InvalidImageError for a malformed image, InvalidOptionError for a bad option.
 */
export async function encodeImage(
  image: RgbaImage,
  format: ImageFormat,
  options: EncodeOptions = {},
): Promise<Uint8Array> {
  assertFormat(format);
  assertRgbaImage(image);
  const quality = resolveQuality(options.quality);
  const { width, height, data } = image;
  let pipeline = sharp(data, { raw: { width, height, channels: 4 } });
  if (format === 'jpeg' || isOpaque(data)) pipeline = pipeline.removeAlpha();
  try {
    return await applyFormat(pipeline, format, quality).toBuffer();
  } catch (error) {
    throw new InvalidImageError(
      `Cannot encode the ${width}×${height} image as ${format.toUpperCase()}: ${errorMessage(error)}; ` +
        'resize it or choose another format.',
      { cause: error },
    );
  }
}

/**
 * Encodes `image` in the format its extension names (.png, .jpg/.jpeg, .webp) and writes it to `path`
 * atomically (temp file, fsync, rename): on failure an existing file is left untouched. Throws
 * InvalidOptionError for an unsupported extension or a missing parent directory (checked before
 * anything is written; the directory is not created) and InvalidImageError for a malformed image.
 */
export async function writeImageFile(path: string, image: RgbaImage, options: EncodeOptions = {}): Promise<void> {
  const format = imageFormatFromPath(path);
  const bytes = await encodeImage(image, format, options);
  await writeFileAtomic(path, bytes);
}

/** Returns the format an output path's extension names; throws InvalidOptionError for any other extension. */
export function imageFormatFromPath(path: string): ImageFormat {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidOptionError(`The output path is ${describeValue(path)}; pass a file path ending in ${SUPPORTED_EXTENSIONS}.`);
  }
  const extension = extname(path).toLowerCase();
  const format = FORMAT_BY_EXTENSION[extension];
  if (format === undefined) {
    const shown = extension === '' ? 'no extension' : `extension "${extension}"`;
    throw new InvalidOptionError(
      `Cannot write ${path}: ${shown} is not a supported image format; use one of ${SUPPORTED_EXTENSIONS}.`,
    );
  }
  return format;
}

/** Returns the file's bytes; throws InvalidImageError naming `path` when it cannot be read or is empty. */
async function readImageBytes(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidImageError(`The image path is ${describeValue(path)}; pass the path of a PNG, JPEG or WebP file.`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw describeReadError(error, path);
  }
  if (bytes.length === 0) {
    throw new InvalidImageError(`Image file is empty (0 bytes): ${path}; pass a PNG, JPEG or WebP file.`);
  }
  return bytes;
}

/** Returns the InvalidImageError for a failed file read, keeping the Node error as `cause`. */
function describeReadError(error: unknown, path: string): InvalidImageError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const message =
    code === 'ENOENT'
      ? `Image file not found: ${path}; check the path and the working directory.`
      : code === 'EISDIR'
        ? `Image path is a directory, not a file: ${path}; pass the path of an image file inside it.`
        : code === 'EACCES' || code === 'EPERM'
          ? `Image file is not readable (permission denied): ${path}; fix its permissions.`
          : code === 'ENOTDIR'
            ? `Image file not found: ${path} (a part of the path is a file, not a directory); check the path.`
            : `Cannot read image file ${path} (${errorMessage(error)}); check that the path names a readable image file.`;
  return new InvalidImageError(message, { cause: error, details: { file: path } });
}

/** Returns the InvalidImageError for a sharp decode failure, keeping sharp's error as `cause`. */
function describeDecodeError(error: unknown, label: string, maxPixels: number): InvalidImageError {
  const detail = errorMessage(error);
  let message: ErrorMessage;
  if (/exceeds pixel limit/i.test(detail)) {
    message = (w) =>
      `The image ${label} has more than ${maxPixels} pixels (the decode limit); downscale it before loading` +
      (w.option('maxPixels') ? `, or raise ${w.option('maxPixels')} if you trust the file.` : '.');
    return new InvalidImageError(message, { cause: error, details: { file: label, limit: maxPixels } });
  } else if (/unsupported image format/i.test(detail)) {
    message = `The image ${label} is not in a format sharp can decode (not an image, or an unknown format); pass a PNG, JPEG or WebP image.`;
  } else {
    message = `The image ${label} is corrupt or truncated (${oneLine(detail)}); re-export or re-download it.`;
  }
  return new InvalidImageError(message, { cause: error, details: { file: label } });
}

/** Wraps sharp's raw output as an RgbaImage after checking it is the 4-channel 8-bit buffer asked for. */
function toRgbaImage(data: Buffer, info: OutputInfo, label: string): RgbaImage {
  const { width, height, channels } = info;
  if (!(width > 0) || !(height > 0)) {
    throw new InvalidImageError(`The image ${label} decodes to ${width}×${height} pixels; pass a non-empty image.`);
  }
  if (channels !== 4 || data.length !== width * height * 4) {
    // Should not happen with the pipeline above; a clear error beats garbage pixels downstream.
    throw new InvalidImageError(
      `The image ${label} decoded to ${channels} channels / ${data.length} bytes, not ${width}×${height} RGBA.`,
    );
  }
  return { width, height, data: asClamped(data) };
}

/** Returns a Uint8ClampedArray over `data`, sharing memory when the Buffer owns its whole ArrayBuffer. */
function asClamped(data: Buffer): Uint8ClampedArray {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) {
    return new Uint8ClampedArray(data.buffer, 0, data.length);
  }
  // A pooled Buffer shares its ArrayBuffer with others; copy so `image.data.buffer` is ours alone.
  return new Uint8ClampedArray(data);
}

/** Returns the pixel limit to hand sharp; throws InvalidOptionError for a value that is not a positive integer. */
function resolveMaxPixels(maxPixels: number | undefined): number {
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels <= 0) {
    throw new InvalidOptionError(`maxPixels is ${describeValue(maxPixels)}; pass a positive integer pixel count.`);
  }
  return maxPixels;
}

/** Returns the quality to encode with; throws InvalidOptionError unless it is an integer 1–100. */
function resolveQuality(quality: number | undefined): number {
  if (quality === undefined) return DEFAULT_QUALITY;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new InvalidOptionError(`quality is ${describeValue(quality)}; pass an integer from 1 to 100.`);
  }
  return quality;
}

/** Throws InvalidOptionError unless `format` is one this adapter encodes. */
function assertFormat(format: string): asserts format is ImageFormat {
  if (format !== 'png' && format !== 'jpeg' && format !== 'webp') {
    throw new InvalidOptionError(`The image format is ${describeValue(format)}; use 'png', 'jpeg' or 'webp'.`);
  }
}

/** Returns the pipeline with the encoder for `format` attached. */
function applyFormat(pipeline: Sharp, format: ImageFormat, quality: number): Sharp {
  switch (format) {
    case 'png':
      return pipeline.png();
    case 'jpeg':
      // 4:4:4 keeps the fine colour texture stylisation produces; 4:2:0 would smear it.
      return pipeline.jpeg({ quality, chromaSubsampling: '4:4:4' });
    case 'webp':
      return pipeline.webp({ quality });
  }
}

/** Returns true when every pixel's alpha is 255. */
function isOpaque(data: Uint8ClampedArray): boolean {
  for (let i = 3; i < data.length; i += 4) {
    if (data[i] !== 255) return false;
  }
  return true;
}

/** Returns libvips' multi-line, often repeated error text as one line: distinct lines joined by '; ', no trailing ':'. */
function oneLine(detail: string): string {
  const lines = detail.split('\n').map((l) => l.trim().replace(/:$/, '')).filter(Boolean);
  return [...new Set(lines)].join('; ') || 'no detail';
}

/** Returns an error's message, or the value as text when it is not an Error. */
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Returns a short printable form of an arbitrary value for error messages. */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return `a ${value.constructor?.name ?? 'object'}`;
}
