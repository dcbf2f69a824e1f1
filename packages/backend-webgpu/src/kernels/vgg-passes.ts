// The VGG's forward and hand-written backward inside the webgpu ImageObjective kernel: fused
// conv + bias + ReLU, max pools, and per conv one program for the ReLU gradient (plus the tap's
// gradient) before TF.js' Conv2DBackpropInput. No autograd tape: nothing is cloned or kept but
// each layer's output.
import { tf, type FeatureExtractorPreset } from '@strotss/core';
import { runProgram, type ProgramBackend } from './program.js';

/** One layer's record of the forward: its input and output, and the tap index when tapped. */
export interface LayerRecord {
  kind: 'conv' | 'pool';
  name?: string;
  input: tf.Tensor4D;
  output: tf.Tensor4D;
  tap?: number;
}

/** The network input for `image` under the preset's convention (spec §3.3), as the core's preprocess computes it. */
export function preprocess(backend: ProgramBackend, preset: FeatureExtractorPreset, image: tf.Tensor4D): tf.Tensor4D {
  const input = preset.input;
  const body =
    input.kind === 'torchvision'
      ? `  let c = t % 3;\n  result[t] = (X[t] - array<f32, 3>(M0, M1, M2)[c]) / array<f32, 3>(S0, S1, S2)[c];`
      : `  let c = t % 3;\n  result[t] = X[t - c + 2 - c] * 255.0 - array<f32, 3>(M0, M1, M2)[c];`;
  const [m, s] = input.kind === 'torchvision' ? [input.mean, input.std] : [input.meanBgr, [1, 1, 1]];
  const constants = { M0: ['f32', m[0]], M1: ['f32', m[1]], M2: ['f32', m[2]], S0: ['f32', s[0]], S1: ['f32', s[1]], S2: ['f32', s[2]] } as const;
  return runProgram(backend, { name: `preprocess_${input.kind}`, inputs: { X: image }, outputShape: image.shape, constants, body }) as tf.Tensor4D;
}

/** The gradient w.r.t. the RGB image from the gradient `d0` w.r.t. the network input, plus the raw tap's `rawTap`. */
export function preprocessBackward(backend: ProgramBackend, preset: FeatureExtractorPreset, d0: tf.Tensor4D, rawTap: tf.Tensor4D): tf.Tensor4D {
  const input = preset.input;
  const body =
    input.kind === 'torchvision'
      ? `  let c = t % 3;\n  result[t] = D[t] / array<f32, 3>(S0, S1, S2)[c] + T[t];`
      : `  let c = t % 3;\n  result[t] = D[t - c + 2 - c] * 255.0 + T[t];`;
  const s = input.kind === 'torchvision' ? input.std : [1, 1, 1];
  const constants = { S0: ['f32', s[0]], S1: ['f32', s[1]], S2: ['f32', s[2]] } as const;
  return runProgram(backend, { name: `preprocess_grad_${input.kind}`, inputs: { D: d0, T: rawTap }, outputShape: d0.shape, constants, body }) as tf.Tensor4D;
}

/** Runs the layers on `x` (the preprocessed image), calling `onTap` with each tapped map. Returns every layer's record. */
export function vggForward(
  preset: FeatureExtractorPreset,
  weights: tf.NamedTensorMap,
  x: tf.Tensor4D,
  onTap: (map: tf.Tensor4D, tap: number) => void,
): LayerRecord[] {
  const records: LayerRecord[] = [];
  let current = x;
  let tap = 0;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') {
      const output = tf.maxPool(current, 2, 2, 'valid');
      records.push({ kind: 'pool', input: current, output });
      current = output;
      continue;
    }
    // FusedConv2D itself: tf.fused.conv2d splits conv, bias and ReLU while a gradient is recorded.
    const output = tf.engine().runKernel(
      'FusedConv2D',
      { x: current, filter: weights[`${layer.name}/kernel`], bias: weights[`${layer.name}/bias`] },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation: 'relu' } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
    const tapIndex = preset.taps.includes(layer.name) ? tap++ : undefined;
    records.push({ kind: 'conv', name: layer.name, input: current, output, tap: tapIndex });
    if (tapIndex !== undefined) onTap(output, tapIndex);
    current = output;
  }
  return records;
}

/** The ReLU's gradient of a conv output `y`: (dy + tap gradient) where y > 0, else 0 (either gradient may be absent). */
function reluGradient(backend: ProgramBackend, y: tf.Tensor4D, dy?: tf.Tensor, tapGrad?: tf.Tensor): tf.Tensor4D {
  const inputs: Record<string, tf.Tensor> = { Y: y };
  if (dy) inputs.G = dy;
  if (tapGrad) inputs.T = tapGrad;
  const incoming = dy && tapGrad ? 'G[t] + T[t]' : dy ? 'G[t]' : 'T[t]';
  return runProgram(backend, {
    name: `relu_grad_${Object.keys(inputs).join('')}`,
    inputs,
    outputShape: y.shape,
    body: `  result[t] = select(0.0, ${incoming}, Y[t] > 0.0);`,
  }) as tf.Tensor4D;
}

/**
 * The gradient w.r.t. the network input from the taps' gradients (`tapGrad(i)`, by tap index;
 * undefined = none), back through every layer of `records` (pools: TF.js' MaxPoolGrad).
 */
export function vggBackward(
  backend: ProgramBackend,
  weights: tf.NamedTensorMap,
  records: readonly LayerRecord[],
  tapGrad: (tap: number) => tf.Tensor | undefined,
): tf.Tensor4D {
  let dy: tf.Tensor4D | undefined;
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i];
    let dx: tf.Tensor4D;
    if (r.kind === 'pool') {
      dx = tf.engine().runKernel('MaxPoolGrad', { dy: dy!, input: r.input, output: r.output }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor4D;
    } else {
      const pre = reluGradient(backend, r.output, dy, r.tap === undefined ? undefined : tapGrad(r.tap));
      dx = tf.conv2dTranspose(pre, weights[`${r.name}/kernel`] as tf.Tensor4D, r.input.shape, 1, 'same');
      pre.dispose();
    }
    dy?.dispose();
    dy = dx;
  }
  return dy!;
}
