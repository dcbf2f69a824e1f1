import type { RgbaImage } from '../image.js';
import type { VggWeights } from '../model/presets.js';
import { fingerprintOptions, type RunFingerprint } from './checkpoint.js';
import { hashBytes } from './content-hash.js';
import type { RegionGuidance } from './guidance.js';
import type { ResolvedOptions } from './options.js';
import type { PointGuidance } from './point-guidance.js';
import { isStyleList, type StyleInput } from './styles.js';

/** The inputs of a run that a checkpoint must be resumed with. */
export interface FingerprintInputs {
  content: RgbaImage;
  style: StyleInput;
  weights: VggWeights;
  guidance?: RegionGuidance;
  points?: PointGuidance;
  init?: RgbaImage;
}

/** Returns the hash of an image: its size and RGBA bytes. */
export function imageHash(image: RgbaImage): string {
  return hashBytes([Uint32Array.of(image.width, image.height), image.data]);
}

/** Returns the hash of VGG weights: every conv's name, kernel and bias, in name order. */
export function weightsHash(weights: VggWeights): string {
  const parts: ArrayBufferView[] = [];
  for (const name of Object.keys(weights).sort()) {
    parts.push(new TextEncoder().encode(name), weights[name].kernel, weights[name].bias);
  }
  return hashBytes(parts);
}

/** Returns what identifies a run on `backend` with `options` and `inputs` (hashes every input once: ≈0.1 s for VGG16's weights). */
export function runFingerprint(backend: string, options: ResolvedOptions, inputs: FingerprintInputs): RunFingerprint {
  const hashes: Record<string, string> = {
    content: imageHash(inputs.content),
    weights: weightsHash(inputs.weights),
  };
  if (isStyleList(inputs.style)) {
    // Several styles: each image and its weight, in order.
    inputs.style.forEach((s, i) => (hashes[`style.${i}`] = `${imageHash(s.image)}×${s.weight}`));
  } else {
    hashes.style = imageHash(inputs.style);
  }
  if (inputs.points) hashes.points = JSON.stringify(inputs.points);
  if (inputs.guidance) {
    hashes['guidance.content'] = imageHash(inputs.guidance.content);
    hashes['guidance.style'] = imageHash(inputs.guidance.style);
  }
  if (inputs.init) hashes.init = imageHash(inputs.init);
  return { backend, options: fingerprintOptions(options), inputs: hashes };
}
