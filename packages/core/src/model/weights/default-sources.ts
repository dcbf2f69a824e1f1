// Where each preset's weights are downloaded from by default, with what is published about the file.

import type { FeatureExtractorId } from '../presets.js';

/** A remote safetensors file and what its publisher states about it (checked at download time). */
export interface RemoteWeightsSource {
  /** The preset the file holds weights for. */
  model: FeatureExtractorId;
  /** URL of the safetensors file (pinned to a revision for the defaults). */
  url: string;
  /** SHA-256 (hex) of the whole file as published; enforced when the whole file is fetched or the server states a hash. */
  sha256?: string;
  /** Every tensor of the file with its dtype and shape as published; the header must match exactly. */
  tensors?: Readonly<Record<string, { dtype: string; shape: readonly number[] }>>;
  /** A short human name for messages, e.g. `timm/vgg16.tv_in1k@3394518`. */
  label?: string;
}

/** Revision of https://huggingface.co/timm/vgg16.tv_in1k that added model.safetensors ("Add model", 2023-04-25). */
export const VGG16_TV_IN1K_REVISION = '3394518cba29aee1ea82a49d971be90d2dd1dab7';

/** torchvision VGG16 conv stems, 3×3 kernels: `features.N` → [out, in]. */
const VGG16_CONVS: ReadonlyArray<readonly [number, number, number]> = [
  [0, 64, 3], [2, 64, 64],
  [5, 128, 64], [7, 128, 128],
  [10, 256, 128], [12, 256, 256], [14, 256, 256],
  [17, 512, 256], [19, 512, 512], [21, 512, 512],
  [24, 512, 512], [26, 512, 512], [28, 512, 512],
];

/** Returns the published tensor layout of timm's vgg16.tv_in1k (all float32). */
function vgg16TvIn1kTensors(): Record<string, { dtype: string; shape: number[] }> {
  const tensors: Record<string, { dtype: string; shape: number[] }> = {};
  for (const [index, out, inp] of VGG16_CONVS) {
    tensors[`features.${index}.weight`] = { dtype: 'F32', shape: [out, inp, 3, 3] };
    tensors[`features.${index}.bias`] = { dtype: 'F32', shape: [out] };
  }
  // timm's _filter_fn reshapes torchvision's classifier.0 / .3 into convolutions and renames .6.
  tensors['pre_logits.fc1.weight'] = { dtype: 'F32', shape: [4096, 512, 7, 7] };
  tensors['pre_logits.fc1.bias'] = { dtype: 'F32', shape: [4096] };
  tensors['pre_logits.fc2.weight'] = { dtype: 'F32', shape: [4096, 4096, 1, 1] };
  tensors['pre_logits.fc2.bias'] = { dtype: 'F32', shape: [4096] };
  tensors['head.fc.weight'] = { dtype: 'F32', shape: [1000, 4096] };
  tensors['head.fc.bias'] = { dtype: 'F32', shape: [1000] };
  return tensors;
}

/**
 * torchvision's ImageNet VGG16 (`vgg16-397923af.pth`, the reference's extractor) as safetensors,
 * published by timm on the Hugging Face hub as `timm/vgg16.tv_in1k`. Sources (read 2026-11-27):
 * - model card https://huggingface.co/timm/vgg16.tv_in1k — "original torchvision weights", 138.4 M params;
 * - commit history https://huggingface.co/timm/vgg16.tv_in1k/commits/main — model.safetensors was added by
 *   3394518cba29aee1ea82a49d971be90d2dd1dab7 and not changed since (the later b8d8aa2 only tags it for transformers);
 * - https://huggingface.co/timm/vgg16.tv_in1k/blob/main/model.safetensors — Git LFS object
 *   SHA256 57b026918159a6bf9faf8405c3a551903768e7138989d9c6224a14227203fad8, "Size of remote file: 553 MB";
 * - tensor names: timm/models/vgg.py keeps torchvision's `features.N.weight|bias` and maps classifier.0/3/6 to
 *   pre_logits.fc1 ([4096,512,7,7]), pre_logits.fc2 ([4096,4096,1,1]) and head.fc ([1000,4096]).
 * 138,357,544 float32 values = 553,430,176 data bytes (+ 8 + header); the 26 `features.*` tensors are
 * 14,714,688 values = 58,858,752 bytes, the only part downloaded.
 * The SHA-256 is the hub's, not computed here (this project's machines cannot reach the hub): it is enforced
 * when the whole file is downloaded; a ranged download is checked against the published layout and size.
 */
export const VGG16_TORCHVISION_SOURCE: RemoteWeightsSource = {
  model: 'vgg16',
  url: `https://huggingface.co/timm/vgg16.tv_in1k/resolve/${VGG16_TV_IN1K_REVISION}/model.safetensors`,
  sha256: '57b026918159a6bf9faf8405c3a551903768e7138989d9c6224a14227203fad8',
  tensors: vgg16TvIn1kTensors(),
  label: `timm/vgg16.tv_in1k@${VGG16_TV_IN1K_REVISION.slice(0, 7)}`,
};

/** Default download source per preset; presets without one need `weights` (a local file or URL). */
export const DEFAULT_WEIGHTS_SOURCES: Readonly<Partial<Record<FeatureExtractorId, RemoteWeightsSource>>> = {
  vgg16: VGG16_TORCHVISION_SOURCE,
};
