// Every kind of image a page has (a dropped File, an <img>, a canvas' ImageData, a URL) turned into the
// core's RGBA image. Decoding uses the browser (createImageBitmap, a canvas); nothing runs at import.
import { InvalidImageError, type RgbaImage } from '@strotss/core';

/** What `start()` accepts for the content and the style image. */
export type ImageInput = RgbaImage | ImageData | Blob | ImageBitmap | HTMLImageElement | string | URL;

/** Returns a short name of an input's kind for messages (e.g. "a File", "a URL"). */
export function describeImageInput(input: unknown): string {
  if (typeof input === 'string' || (typeof URL !== 'undefined' && input instanceof URL)) return `the URL ${String(input)}`;
  if (typeof File !== 'undefined' && input instanceof File) return `the File "${input.name}"`;
  if (typeof Blob !== 'undefined' && input instanceof Blob) return `a Blob (${input.type || 'no type'})`;
  if (input === null || typeof input !== 'object') return String(input);
  return (input as object).constructor?.name ?? 'an object';
}

/** True when `input` already holds RGBA pixels (ImageData or the core's RgbaImage). */
function isPixels(input: unknown): input is RgbaImage {
  const p = input as RgbaImage;
  return p != null && typeof p === 'object' && p.data instanceof Uint8ClampedArray && Number.isInteger(p.width) && Number.isInteger(p.height);
}

/** Returns the pixels of anything drawable on a 2D canvas, `width`×`height`. */
function drawnPixels(source: CanvasImageSource, width: number, height: number): RgbaImage {
  const canvas: OffscreenCanvas | HTMLCanvasElement =
    typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(width, height) : Object.assign(document.createElement('canvas'), { width, height });
  const context = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
  if (!context) throw new InvalidImageError('This browser gives no 2D canvas to read the image pixels from.');
  context.drawImage(source, 0, 0);
  const { data } = context.getImageData(0, 0, width, height);
  return { width, height, data };
}

/** Returns the decoded pixels of an encoded image (PNG, JPEG, WebP, …) in a Blob. */
async function blobPixels(blob: Blob, what: string): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (cause) {
    throw new InvalidImageError(`${what} could not be decoded as an image (${blob.type || 'unknown type'}); use a PNG, JPEG or WebP file.`, { cause });
  }
  try {
    return drawnPixels(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/**
 * Returns the RGBA pixels of `input` (a copy: the job may transfer them to its worker). URLs are
 * fetched, Blobs and Files decoded with createImageBitmap (EXIF orientation applied), <img> elements decoded first.
 */
export async function toRgbaImage(input: ImageInput, role: 'content' | 'style'): Promise<RgbaImage> {
  const what = `The ${role} image (${describeImageInput(input)})`;
  if (isPixels(input)) return { width: input.width, height: input.height, data: new Uint8ClampedArray(input.data) };
  if (typeof input === 'string' || (typeof URL !== 'undefined' && input instanceof URL)) {
    const response = await fetch(String(input)).catch((cause: unknown) => {
      throw new InvalidImageError(`${what} could not be fetched: ${(cause as Error).message}.`, { cause });
    });
    if (!response.ok) throw new InvalidImageError(`${what} could not be fetched: HTTP ${response.status}.`);
    return blobPixels(await response.blob(), what);
  }
  if (typeof Blob !== 'undefined' && input instanceof Blob) return blobPixels(input, what);
  if (typeof ImageBitmap !== 'undefined' && input instanceof ImageBitmap) return drawnPixels(input, input.width, input.height);
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    await input.decode().catch((cause: unknown) => {
      throw new InvalidImageError(`${what} (${input.currentSrc || input.src}) could not be decoded.`, { cause });
    });
    return drawnPixels(input, input.naturalWidth, input.naturalHeight);
  }
  throw new InvalidImageError(`${what} is not an image input; pass a File, Blob, ImageBitmap, HTMLImageElement, ImageData, URL or {width, height, data}.`, {
    details: { option: role },
  });
}
