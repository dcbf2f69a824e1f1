import { tf } from '../tfjs.js';
import { customUnaryOp } from '../ops/reductions.js';
import { bilinearTapColumns, nearestTapColumns, type Locations, type Tap } from '../ops/hypercolumns.js';
import { runNamedKernel, StrotssKernel } from '../ops/kernels.js';
import { convLayers, type FeatureExtractorPreset, type VggWeights } from './presets.js';
import { WeightsError } from '../errors.js';

/** One conv's weights on the device: kernel HWIO `[3,3,in,out]` and bias. */
interface DeviceConv {
  name: string;
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/**
 * 3×3 stride-1 'same' conv + bias + ReLU that computes no weight gradient (the network is
 * frozen): its input gradient is TF.js' Conv2DBackpropInput, which a backend may replace (wasm
 * registers a forward conv with the flipped kernel: its own backprop kernel is ≈10× slower).
 */
function convRelu(x: tf.Tensor4D, conv: DeviceConv, saveMaskOnly = false): tf.Tensor4D {
  const op = customUnaryOp<tf.Tensor4D, tf.Tensor4D>((xIn, save) => {
    const y = tf.fused.conv2d({
      x: xIn,
      filter: conv.kernel,
      strides: 1,
      pad: 'same',
      bias: conv.bias,
      activation: 'relu',
    });
    // The backward needs only where y > 0: kept as a 1-byte mask when nothing else keeps y
    // (a max pool after this layer saves y itself), so y can be freed during the forward.
    save([saveMaskOnly ? tf.greater(y, 0) : y]);
    const inputShape = xIn.shape;
    return {
      value: y,
      gradFunc: (dy, [saved]) => {
        // ReLU's gradient mask: 1 where y > 0, 0 at y = 0 (step(y): one kernel, not compare + cast).
        const mask = saved.dtype === 'bool' ? tf.cast(saved, 'float32') : tf.step(saved);
        const active = tf.mul(dy, mask) as tf.Tensor4D;
        return tf.conv2dTranspose(active, conv.kernel, inputShape, 1, 'same');
      },
    };
  }, RELEASE);
  return op(x);
}

/** The VGG's ops free each layer's incoming gradient as soon as it is used (peak memory, issue 3). */
const RELEASE = { releaseOutputGradient: true } as const;

/**
 * 2×2 stride-2 max pooling with TF.js' own MaxPoolGrad as its backward (the first maximum of each
 * window gets the gradient, as PyTorch), as a custom op only so that its incoming gradient is
 * freed once used (see {@link customUnaryOp}).
 */
function maxPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const op = customUnaryOp<tf.Tensor4D, tf.Tensor4D>((xIn, save) => {
    const y = tf.maxPool(xIn, 2, 2, 'valid');
    save([xIn, y]);
    return {
      value: y,
      gradFunc: (dy, [input, output]) =>
        tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor4D,
    };
  }, RELEASE);
  return op(x);
}

/** One set of locations to look hypercolumns up at, and how (spec §8.2 bilinear, §8.3 nearest). */
export interface HypercolumnLookup {
  locations: Locations;
  mode: 'bilinear' | 'nearest';
}

/** A VGG feature extractor on the current backend: weights uploaded once, taps on demand. Call `dispose()`. */
export class VggFeatureExtractor {
  readonly preset: FeatureExtractorPreset;
  /** Stride of each tap w.r.t. the image, raw RGB first (1), then the VGG taps. */
  readonly tapStrides: readonly number[];
  private readonly convs: Map<string, DeviceConv>;

  constructor(preset: FeatureExtractorPreset, weights: VggWeights) {
    this.preset = preset;
    this.convs = new Map();
    for (const layer of convLayers(preset)) {
      const w = weights[layer.name];
      if (!w) throw new WeightsError(`Weights for ${preset.id} lack ${layer.name}; load a complete ${preset.id} weights file.`);
      this.convs.set(layer.name, {
        name: layer.name,
        kernel: tf.keep(tf.tensor4d(w.kernel, [3, 3, layer.inChannels, layer.outChannels])),
        bias: tf.keep(tf.tensor1d(w.bias)),
      });
    }
    const strides = [1];
    let stride = 1;
    for (const layer of preset.layers) {
      if (layer.kind === 'pool') stride *= 2;
      else if (preset.taps.includes(layer.name)) strides.push(stride);
    }
    this.tapStrides = strides;
  }

  /** The network input for an RGB [0,1] image `[1,H,W,3]` under the preset's convention (spec §3.3). */
  preprocess(image: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const input = this.preset.input;
      if (input.kind === 'torchvision') {
        return tf.div(tf.sub(image, tf.tensor1d([...input.mean])), tf.tensor1d([...input.std]));
      }
      const bgr = tf.reverse(image, -1);
      return tf.sub(tf.mul(bgr, 255), tf.tensor1d([...input.meanBgr]));
    });
  }

  /** Throws when `image` is too small for the deepest tap. */
  checkSize(image: tf.Tensor4D): void {
    const [, h, w] = image.shape;
    const pools = this.preset.layers.filter((l) => l.kind === 'pool').length;
    if (h >> pools < 1 || w >> pools < 1) {
      throw new RangeError(
        `A ${w}×${h} image is too small for ${this.preset.id}: its deepest tap needs at least ${1 << pools} pixels per side.`,
      );
    }
  }

  /**
   * Runs the layers on `image`, calling `onTap` with each tapped map as soon as it exists. With
   * `releaseMaps`, each layer's output is disposed once the next layer has run (what the backward
   * needs is saved by the ops themselves), so the forward holds masks instead of activations.
   */
  private forEachTap(image: tf.Tensor4D, onTap: (map: tf.Tensor4D, tapIndex: number) => void, releaseMaps = false): void {
    this.checkSize(image);
    const layers = this.preset.layers;
    let x = this.preprocess(image);
    let tapIndex = 0;
    for (let i = 0; i < layers.length; i++) {
      const layer = layers[i];
      const next =
        layer.kind === 'pool' ? maxPool2x2(x) : convRelu(x, this.convs.get(layer.name)!, releaseMaps && layers[i + 1]?.kind !== 'pool');
      if (releaseMaps) x.dispose();
      x = next;
      if (layer.kind !== 'pool' && this.preset.taps.includes(layer.name)) onTap(x, tapIndex++);
    }
    if (releaseMaps) x.dispose();
  }

  /** Post-ReLU VGG tap maps (no raw RGB), in the preset's tap order. */
  featureMaps(image: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      const maps: tf.Tensor4D[] = [];
      this.forEachTap(image, (map) => maps.push(map));
      return maps;
    });
  }

  /**
   * Bilinear hypercolumns `[N_r, d]` of `image` at each set of locations (spec §8.2): the same
   * values as `bilinearHypercolumns(this.taps(image), locations)`, with each tap looked up as soon
   * as its layer has run. The order is for memory: the backward then meets each lookup where it
   * reaches that layer, so one map-sized tap gradient is alive at a time instead of all of them
   * (at 1024 px these are 0.8 GB together).
   */
  hypercolumnsAt(image: tf.Tensor4D, locationSets: readonly Locations[]): tf.Tensor2D[] {
    return tf.tidy(() => {
      const columns = locationSets.map(() => [] as tf.Tensor2D[]);
      const lookUp = (tap: Tap) => locationSets.forEach((locations, r) => columns[r].push(bilinearTapColumns(tap, locations)));
      lookUp({ map: image, stride: 1 });
      const scale = this.preset.featureScale;
      this.forEachTap(image, (map, i) => lookUp({ map, stride: this.tapStrides[i + 1], scale }), true);
      return columns.map((c) => tf.concat(c, 1) as tf.Tensor2D);
    });
  }

  /**
   * Hypercolumns `[N_k, d]` of `image` at each set of locations, without gradient: bilinear
   * lookups (spec §8.2; content samples) or nearest ones (spec §8.3; style samples). A named
   * kernel (a backend may run the whole VGG its own way); the default looks each tap up right
   * after its layer and frees the maps as it goes.
   */
  lookUp(image: tf.Tensor4D, sets: readonly HypercolumnLookup[]): tf.Tensor2D[] {
    this.checkSize(image);
    return runNamedKernel(
      StrotssKernel.Hypercolumns,
      { image, ...this.weightTensors() },
      { preset: this.preset, sets },
      () => this.lookUpOnOps(image, sets),
    );
  }

  /** {@link lookUp} on TF.js ops. */
  private lookUpOnOps(image: tf.Tensor4D, sets: readonly HypercolumnLookup[]): tf.Tensor2D[] {
    return tf.tidy(() => {
      const columns = sets.map(() => [] as tf.Tensor2D[]);
      const lookUpTap = (tap: Tap) =>
        sets.forEach(({ locations, mode }, k) =>
          columns[k].push(mode === 'nearest' ? nearestTapColumns(tap, locations) : bilinearTapColumns(tap, locations)),
        );
      lookUpTap({ map: image, stride: 1 });
      const scale = this.preset.featureScale;
      this.forEachTap(image, (map, i) => lookUpTap({ map, stride: this.tapStrides[i + 1], scale }), true);
      return columns.map((c) => tf.concat(c, 1) as tf.Tensor2D);
    });
  }

  /**
   * The device weights as named kernel inputs: `<conv>/kernel` (HWIO) and `<conv>/bias`, in layer order.
   * Backends that run the VGG themselves read them once and key their caches on these tensors.
   */
  weightTensors(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const c of this.convs.values()) {
      out[`${c.name}/kernel`] = c.kernel;
      out[`${c.name}/bias`] = c.bias;
    }
    return out;
  }

  /** Hypercolumn taps of an image: raw RGB (stride 1, unscaled) then the VGG maps × featureScale (spec §7). */
  taps(image: tf.Tensor4D): Tap[] {
    const maps = this.featureMaps(image);
    const scale = this.preset.featureScale;
    return [
      { map: image, stride: 1 },
      ...maps.map((map, i) => ({ map, stride: this.tapStrides[i + 1], scale })),
    ];
  }

  /** Total hypercolumn width (3 + Σ tap channels). */
  get hypercolumnWidth(): number {
    let d = 3;
    for (const name of this.preset.taps) d += this.convs.get(name)!.kernel.shape[3];
    return d;
  }

  /** Frees the device weights. */
  dispose(): void {
    for (const c of this.convs.values()) {
      c.kernel.dispose();
      c.bias.dispose();
    }
    this.convs.clear();
  }
}
