// The VGG feature extractor (model/vgg.ts) written out as an ONNX graph with its loaded weights,
// so an independent runtime (onnxruntime) can check our taps, and users can run the extractor
// elsewhere. Node for node it does what VggFeatureExtractor.taps does, in NCHW.

import { WeightsError } from '../../errors.js';
import { convLayers, type ConvLayer, type FeatureExtractorPreset, type VggWeights } from '../presets.js';
import { encodeOnnxModel, OnnxDataType, tensorProto, tensorValueInfo, type OnnxNode } from './onnx-proto.js';
import type { ProtoMessage } from './protobuf-writer.js';

/** Options of exportFeatureExtractorOnnx. */
export interface ExportFeatureExtractorOnnxOptions {
  /** Multiply every VGG tap by `preset.featureScale`, as the hypercolumns use them (default true). */
  applyFeatureScale?: boolean;
  /** Add the raw RGB tap as the first output, `rgb` (the input passed through) (default true). */
  includeRgbTap?: boolean;
}

/** The name of the exported graph's one input. */
export const ONNX_INPUT_NAME = 'image';
/** The name of the raw RGB tap output. */
export const ONNX_RGB_OUTPUT_NAME = 'rgb';
/** The ONNX operator set the exported graph uses. */
export const ONNX_OPSET_VERSION = 13;

/** Returns the output names of an exported extractor, in order: `rgb` (when included), then `preset.taps`. */
export function onnxTapOutputNames(preset: FeatureExtractorPreset, options: ExportFeatureExtractorOnnxOptions = {}): string[] {
  return [...((options.includeRgbTap ?? true) ? [ONNX_RGB_OUTPUT_NAME] : []), ...preset.taps];
}

/**
 * Returns the preset's feature extractor with `weights` as a serialized ONNX model (opset 13).
 *
 * Input `image`: float32 `[1, 3, height, width]` (NCHW), RGB in [0, 1]; height and width are
 * dynamic, each at least 2^(number of pools) (16 for the presets).
 * Outputs, in order: `rgb` = the input unchanged (unless `includeRgbTap: false`), then one per
 * `preset.taps` entry, named after the conv (`conv1_1`, …): its post-ReLU activation, float32
 * `[1, C, floor(height/s), floor(width/s)]` with s the tap's stride (1, 2, 4, 8, 16), multiplied
 * by `preset.featureScale` unless `applyFeatureScale: false`. The input convention (torchvision
 * mean/std, or Caffe BGR 0..255 minus mean) is part of the graph.
 */
export function exportFeatureExtractorOnnx(
  preset: FeatureExtractorPreset,
  weights: VggWeights,
  options: ExportFeatureExtractorOnnxOptions = {},
): Uint8Array {
  const applyScale = options.applyFeatureScale ?? true;
  const includeRgb = options.includeRgbTap ?? true;
  const lastTap = preset.taps[preset.taps.length - 1];
  for (const tap of preset.taps) {
    if (!convLayers(preset).some((c) => c.name === tap)) {
      throw new RangeError(`Preset ${preset.id} taps ${tap}, which is not one of its conv layers; fix the preset's taps list.`);
    }
  }
  const scale = preset.featureScale;
  if (applyScale && !(Number.isFinite(scale) && scale > 0)) {
    throw new RangeError(`Preset ${preset.id} has featureScale ${scale}; it must be a positive finite number.`);
  }

  const nodes: OnnxNode[] = [];
  const initializers: ProtoMessage[] = [];
  const outputs: ProtoMessage[] = [];
  // Symbolic (dim_param) sizes: one model serves every image size.
  const height = 'height';
  const width = 'width';

  // Input convention, the same element-wise operations in the same order as VggFeatureExtractor.preprocess.
  let x = ONNX_INPUT_NAME;
  const input = preset.input;
  if (input.kind === 'torchvision') {
    initializers.push(
      tensorProto('input/mean', [1, 3, 1, 1], { kind: 'float', values: input.mean }),
      tensorProto('input/std', [1, 3, 1, 1], { kind: 'float', values: input.std }),
    );
    nodes.push(
      { opType: 'Sub', name: 'input/sub_mean', inputs: [x, 'input/mean'], outputs: ['input/centred'] },
      { opType: 'Div', name: 'input/div_std', inputs: ['input/centred', 'input/std'], outputs: ['input/normalised'] },
    );
    x = 'input/normalised';
  } else {
    initializers.push(
      tensorProto('input/rgb_to_bgr', [3], { kind: 'int64', values: [2, 1, 0] }),
      tensorProto('input/255', [], { kind: 'float', values: [255] }),
      tensorProto('input/mean_bgr', [1, 3, 1, 1], { kind: 'float', values: input.meanBgr }),
    );
    nodes.push(
      { opType: 'Gather', name: 'input/to_bgr', inputs: [x, 'input/rgb_to_bgr'], outputs: ['input/bgr'], attributes: { axis: { int: 1 } } },
      { opType: 'Mul', name: 'input/times_255', inputs: ['input/bgr', 'input/255'], outputs: ['input/bgr255'] },
      { opType: 'Sub', name: 'input/sub_mean', inputs: ['input/bgr255', 'input/mean_bgr'], outputs: ['input/centred'] },
    );
    x = 'input/centred';
  }
  if (applyScale && scale !== 1) {
    initializers.push(tensorProto('feature_scale', [], { kind: 'float', values: [scale] }));
  }

  const docs = 'post-ReLU activation' + (applyScale && scale !== 1 ? ` × featureScale ${scale}` : '');
  const tapOutputs = new Map<string, ProtoMessage>();
  let stride = 1;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') {
      stride *= 2;
      const y = `pool/${stride}`;
      nodes.push({
        opType: 'MaxPool',
        name: y,
        inputs: [x],
        outputs: [y],
        // floor mode, no padding: tf.maxPool(x, 2, 2, 'valid').
        attributes: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
      });
      x = y;
      continue;
    }
    const { kernel, bias } = convWeights(preset, weights, layer);
    initializers.push(
      tensorProto(`${layer.name}/weight`, [layer.outChannels, layer.inChannels, 3, 3], { kind: 'float-raw', bytes: hwioToOihwBytes(kernel, layer) }),
      tensorProto(`${layer.name}/bias`, [layer.outChannels], { kind: 'float-raw', bytes: float32Bytes(bias) }),
    );
    const tapped = preset.taps.includes(layer.name);
    const scaled = tapped && applyScale && scale !== 1;
    const relu = tapped && !scaled ? layer.name : `${layer.name}/relu`;
    nodes.push(
      {
        opType: 'Conv',
        name: `${layer.name}/conv`,
        inputs: [x, `${layer.name}/weight`, `${layer.name}/bias`],
        outputs: [`${layer.name}/conv`],
        // 3×3 stride 1 'same' = one pixel of zero padding on every side.
        attributes: { kernel_shape: { ints: [3, 3] }, pads: { ints: [1, 1, 1, 1] }, strides: { ints: [1, 1] } },
      },
      { opType: 'Relu', name: `${layer.name}/relu`, inputs: [`${layer.name}/conv`], outputs: [relu] },
    );
    x = relu;
    if (tapped) {
      if (scaled) {
        nodes.push({ opType: 'Mul', name: `${layer.name}/scale`, inputs: [relu, 'feature_scale'], outputs: [layer.name] });
      }
      const dims = stride === 1 ? [height, width] : [`${height}/${stride}`, `${width}/${stride}`];
      tapOutputs.set(layer.name, tensorValueInfo(layer.name, OnnxDataType.FLOAT, [1, layer.outChannels, ...dims], `${docs}, stride ${stride}`));
    }
    if (layer.name === lastTap) break;
  }

  if (includeRgb) {
    nodes.push({ opType: 'Identity', name: 'rgb', inputs: [ONNX_INPUT_NAME], outputs: [ONNX_RGB_OUTPUT_NAME] });
    outputs.push(tensorValueInfo(ONNX_RGB_OUTPUT_NAME, OnnxDataType.FLOAT, [1, 3, height, width], 'raw RGB tap in [0,1], stride 1'));
  }
  for (const tap of preset.taps) outputs.push(tapOutputs.get(tap)!);

  return encodeOnnxModel({
    graphName: `${preset.id}-taps`,
    nodes,
    initializers,
    inputs: [tensorValueInfo(ONNX_INPUT_NAME, OnnxDataType.FLOAT, [1, 3, height, width], 'RGB in [0,1], NCHW')],
    outputs,
    opsetVersion: ONNX_OPSET_VERSION,
    producerName: '@strotss/core',
    docString: `${preset.description}. Outputs: ${onnxTapOutputNames(preset, options).join(', ')}.`,
  });
}

/** Returns one conv's kernel and bias after checking they exist and have the preset's sizes. */
function convWeights(preset: FeatureExtractorPreset, weights: VggWeights, layer: ConvLayer) {
  const w = weights[layer.name];
  if (!w) throw new WeightsError(`Weights for ${preset.id} lack ${layer.name}; load a complete ${preset.id} weights file.`);
  const kernelSize = 9 * layer.inChannels * layer.outChannels;
  if (w.kernel.length !== kernelSize || w.bias.length !== layer.outChannels) {
    throw new WeightsError(
      `Weights of ${layer.name} have ${w.kernel.length} kernel and ${w.bias.length} bias values; ${preset.id} needs ` +
        `${kernelSize} (HWIO [3,3,${layer.inChannels},${layer.outChannels}]) and ${layer.outChannels}. Load ${preset.id} weights.`,
    );
  }
  return w;
}

/** Returns an HWIO `[3,3,in,out]` kernel as little-endian float32 bytes in ONNX's OIHW `[out,in,3,3]` order. */
function hwioToOihwBytes(hwio: Float32Array, layer: ConvLayer): Uint8Array {
  const { inChannels: cin, outChannels: cout } = layer;
  const bytes = new Uint8Array(hwio.length * 4);
  const view = new DataView(bytes.buffer);
  for (let o = 0; o < cout; o++) {
    for (let i = 0; i < cin; i++) {
      for (let k = 0; k < 9; k++) {
        view.setFloat32(4 * ((o * cin + i) * 9 + k), hwio[(k * cin + i) * cout + o], true);
      }
    }
  }
  return bytes;
}

/** Returns float32 values as little-endian bytes (ONNX raw_data is little-endian on every host). */
function float32Bytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return bytes;
}
