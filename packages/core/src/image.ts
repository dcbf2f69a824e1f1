import { tf } from './tfjs.js';
import { InvalidImageError, type Wording } from './errors.js';

/**
 * The one image type the core accepts and returns: 8-bit RGBA, row-major, the shape of the
 * browser's `ImageData`. Alpha is ignored on input (spec §3.1: dropped, no compositing).
 */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/**
 * Checks that `image` is a non-empty RGBA image whose buffer matches its size; throws InvalidImageError.
 * `option` names the input (e.g. `content`) in the error's details and wording.
 */
export function assertRgbaImage(image: RgbaImage, what = 'image', option?: string): void {
  const name = (w: Wording) => (option ? w.input(option, what) : what);
  const details = { option };
  if (image == null || typeof image !== 'object') {
    throw new InvalidImageError((w) => `The ${name(w)} is ${String(image)}; pass {width, height, data} with RGBA bytes.`, { details });
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new InvalidImageError((w) => `The ${name(w)} is ${width}×${height} pixels; it must have a positive integer width and height.`, {
      details,
    });
  }
  if (data == null || data.length !== width * height * 4) {
    throw new InvalidImageError(
      (w) => `The ${name(w)} holds ${data?.length ?? 0} bytes but ${width}×${height} RGBA needs ${width * height * 4}.`,
      { details },
    );
  }
}

/** Returns the image as a float32 `[1, H, W, 3]` tensor with values in [0, 1] (spec §3.1: u8 / 255). */
export function imageToTensor(image: RgbaImage): tf.Tensor4D {
  assertRgbaImage(image);
  const { width, height, data } = image;
  const rgb = new Float32Array(width * height * 3);
  for (let p = 0, q = 0; p < data.length; p += 4, q += 3) {
    rgb[q] = data[p] / 255;
    rgb[q + 1] = data[p + 1] / 255;
    rgb[q + 2] = data[p + 2] / 255;
  }
  return tf.tensor4d(rgb, [1, height, width, 3], 'float32');
}

/** Converts RGB floats (`[H*W*3]`, nominally [0,1]) to an opaque RGBA image: clamp, ×255, round half up (spec §12). */
export function rgbFloatsToImage(rgb: Float32Array, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(1, Math.max(0, rgb[q + c]));
      data[p + c] = Math.floor(v * 255 + 0.5);
    }
    data[p + 3] = 255;
  }
  return { width, height, data };
}

/** Reads a `[1, H, W, 3]` tensor back into an RGBA image (clamped to [0,1], 8-bit). */
export async function tensorToImage(x: tf.Tensor4D): Promise<RgbaImage> {
  const [, height, width] = x.shape;
  const values = (await x.data()) as Float32Array;
  return rgbFloatsToImage(values, width, height);
}
