// A generated torchvision-layout VGG16 safetensors file for weights tests: the 13 real-size convs with
// small pseudo-random values and a classifier tensor the downloader must skip.

import { convLayers, VGG16, writeSafetensors, type NamedTensor } from '@strotss/core';

/** Returns the file's bytes; `seed` changes every value. */
export function vgg16TestFile(seed = 1): Uint8Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const random = (n: number) => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = (s / 2 ** 32 - 0.5) * 0.06;
    }
    return out;
  };
  const tensors: Record<string, NamedTensor> = { 'classifier.0.weight': { shape: [64, 4096], values: random(64 * 4096) } };
  for (const c of convLayers(VGG16)) {
    tensors[`${c.torchvisionName}.weight`] = { shape: [c.outChannels, c.inChannels, 3, 3], values: random(c.outChannels * c.inChannels * 9) };
    tensors[`${c.torchvisionName}.bias`] = { shape: [c.outChannels], values: random(c.outChannels) };
  }
  return writeSafetensors(tensors);
}
