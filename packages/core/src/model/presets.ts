// Feature extractors as data (spec §7; fixtures README "VGG19 used in place of the reference's VGG16").

/** One 3×3 stride-1 'same' convolution followed by ReLU. */
export interface ConvLayer {
  kind: 'conv';
  /** Canonical name, e.g. `conv1_1`. */
  name: string;
  inChannels: number;
  outChannels: number;
  /** Name stem in Keras / TF.js layers models, e.g. `block1_conv1` (tensors `<stem>/kernel`, `<stem>/bias`). */
  kerasName: string;
  /** Name stem in torchvision's `vgg*.features`, e.g. `features.0` (tensors `<stem>.weight` OIHW, `<stem>.bias`). */
  torchvisionName: string;
}

/** A 2×2 stride-2 max pool, floor mode. */
export interface PoolLayer {
  kind: 'pool';
}

export type VggLayer = ConvLayer | PoolLayer;

/** How an RGB [0,1] image becomes the network input. */
export type InputConvention =
  | { kind: 'torchvision'; mean: readonly [number, number, number]; std: readonly [number, number, number] }
  | { kind: 'caffe-bgr'; meanBgr: readonly [number, number, number] };

export type FeatureExtractorId = 'vgg16' | 'vgg19-caffe';

/** A feature extractor described as data: layers up to the last tap, which convs are tapped, input convention. */
export interface FeatureExtractorPreset {
  id: FeatureExtractorId;
  /** Layers in order, ending at the last tapped conv (pool5 is never applied). */
  layers: readonly VggLayer[];
  /** Canonical names of the convs whose post-ReLU outputs are hypercolumn taps, in hypercolumn order. */
  taps: readonly string[];
  input: InputConvention;
  /** Multiplies every VGG tap (not the raw RGB tap) to put activations on the reference's scale. */
  featureScale: number;
  description: string;
}

/** Builds the conv/pool list of a VGG with the given conv counts per block, stopping after `lastConv`. */
function vggLayers(convsPerBlock: readonly number[], lastConv: string): VggLayer[] {
  const widths = [64, 128, 256, 512, 512];
  const layers: VggLayer[] = [];
  let inChannels = 3;
  let featureIndex = 0;
  for (let b = 0; b < convsPerBlock.length; b++) {
    if (b > 0) {
      layers.push({ kind: 'pool' });
      featureIndex += 1;
    }
    for (let k = 1; k <= convsPerBlock[b]; k++) {
      const name = `conv${b + 1}_${k}`;
      layers.push({
        kind: 'conv',
        name,
        inChannels,
        outChannels: widths[b],
        kerasName: `block${b + 1}_conv${k}`,
        torchvisionName: `features.${featureIndex}`,
      });
      featureIndex += 2; // conv + ReLU
      inChannels = widths[b];
      if (name === lastConv) return layers;
    }
  }
  throw new Error(`lastConv ${lastConv} is not in the network`);
}

/** torchvision VGG16 with ImageNet mean/std input: the authors' extractor (spec §7). */
export const VGG16: FeatureExtractorPreset = {
  id: 'vgg16',
  layers: vggLayers([2, 2, 3, 3, 3], 'conv5_3'),
  taps: ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv4_3', 'conv5_3'],
  input: { kind: 'torchvision', mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  featureScale: 1,
  description: 'VGG16, torchvision ImageNet weights, RGB [0,1] with ImageNet mean/std (the reference)',
};

/** VGG19 with Caffe input (BGR, 0..255, mean-subtracted); taps relu4_4/relu5_4 stand in for relu4_3/relu5_3. */
export const VGG19_CAFFE: FeatureExtractorPreset = {
  id: 'vgg19-caffe',
  layers: vggLayers([2, 2, 4, 4, 4], 'conv5_4'),
  taps: ['conv1_1', 'conv1_2', 'conv2_1', 'conv2_2', 'conv3_1', 'conv3_2', 'conv3_3', 'conv4_4', 'conv5_4'],
  input: { kind: 'caffe-bgr', meanBgr: [103.939, 116.779, 123.68] },
  // float32(1/57.63) = 1/(255·0.226): Caffe activations are ≈57.6× the torchvision ones.
  featureScale: Math.fround(1 / 57.63),
  description: 'VGG19, Caffe-converted ImageNet weights, BGR 0..255 minus mean; features ×1/57.63',
};

export const FEATURE_EXTRACTORS: Readonly<Record<FeatureExtractorId, FeatureExtractorPreset>> = {
  vgg16: VGG16,
  'vgg19-caffe': VGG19_CAFFE,
};

/** The conv layers of a preset, in order. */
export function convLayers(preset: FeatureExtractorPreset): ConvLayer[] {
  return preset.layers.filter((l): l is ConvLayer => l.kind === 'conv');
}

/** Loaded weights of one conv: kernel HWIO `[3,3,in,out]` row-major, bias `[out]`. */
export interface ConvWeights {
  kernel: Float32Array;
  bias: Float32Array;
}

/** All conv weights a preset needs, keyed by canonical conv name (`conv1_1` …). */
export type VggWeights = Readonly<Record<string, ConvWeights>>;

/** Which preset a weights object was loaded for (set by the loaders; absent for hand-made objects). */
const loadedFor = new WeakMap<VggWeights, FeatureExtractorId>();

/** Records that `weights` were loaded for preset `id`; returns them. */
export function tagWeights<W extends VggWeights>(weights: W, id: FeatureExtractorId): W {
  loadedFor.set(weights, id);
  return weights;
}

/**
 * The preset `weights` belong to: the one they were loaded for, else the preset whose conv layers
 * are exactly the weights' keys; undefined when neither tells.
 */
export function weightsModel(weights: VggWeights): FeatureExtractorId | undefined {
  const tagged = loadedFor.get(weights);
  if (tagged) return tagged;
  const keys = Object.keys(weights).sort().join(',');
  return (Object.values(FEATURE_EXTRACTORS) as FeatureExtractorPreset[]).find(
    (p) => convLayers(p).map((c) => c.name).sort().join(',') === keys,
  )?.id;
}
