// The shared real weights (../shared/weights/vgg19-caffe) for the benchmark and picture scripts.
import { fileURLToPath } from 'node:url';
import { loadWeights } from '@strotss/backend-node';
import type { VggWeights } from '@strotss/core';

/** ../shared/ (one folder up both from bench/lib/ and from bench/.out/, where bench/run.mjs bundles the benchmarks). */
export const SHARED = fileURLToPath(new URL('../../../shared/', import.meta.url));

/** The shared VGG19-Caffe weights, read from disk only (offline: never a download). */
export async function sharedVgg19Weights(): Promise<VggWeights> {
  const { weights } = await loadWeights('vgg19-caffe', { weights: `${SHARED}weights/vgg19-caffe/model.json`, offline: true });
  return weights;
}
