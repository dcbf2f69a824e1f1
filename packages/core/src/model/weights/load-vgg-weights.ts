// Turns a weights file (TF.js manifest or safetensors; Keras or torchvision names) into the preset's conv weights.

import { WeightsError } from '../../errors.js';
import { convLayers, FEATURE_EXTRACTORS, tagWeights, type ConvLayer, type ConvWeights, type FeatureExtractorPreset, type VggWeights } from '../presets.js';
import type { ByteSource } from './byte-source.js';
import { formatShape, readSafetensors, type NamedTensor } from './safetensors.js';
import { readTfjsWeights } from './tfjs-manifest.js';

/** A weights file format; `auto` picks by extension. */
export type WeightsFormat = 'auto' | 'tfjs' | 'safetensors';

/** Options of loadVggWeights. */
export interface LoadVggWeightsOptions {
  /** File format; `auto` (default) goes by the extension: `.json` → TF.js, `.safetensors` → safetensors. */
  format?: WeightsFormat;
}

/** How conv tensors are named and laid out in a file. */
type NamingScheme = 'keras' | 'torchvision';

/** Returns the tensor names holding one conv's kernel and bias under a naming scheme. */
function tensorNames(conv: ConvLayer, scheme: NamingScheme): { kernel: string; bias: string } {
  return scheme === 'keras'
    ? { kernel: `${conv.kerasName}/kernel`, bias: `${conv.kerasName}/bias` }
    : { kernel: `${conv.torchvisionName}.weight`, bias: `${conv.torchvisionName}.bias` };
}

/** Returns the kernel shape a scheme stores: Keras HWIO `[3,3,in,out]`, torchvision OIHW `[out,in,3,3]`. */
function kernelShape(conv: ConvLayer, scheme: NamingScheme): number[] {
  return scheme === 'keras' ? [3, 3, conv.inChannels, conv.outChannels] : [conv.outChannels, conv.inChannels, 3, 3];
}

/** Returns the preset's conv weights read from `location` (only the conv tensors are read), validated. */
export async function loadVggWeights(
  preset: FeatureExtractorPreset,
  source: ByteSource,
  location: string,
  options: LoadVggWeightsOptions = {},
): Promise<VggWeights> {
  const { tensors, availableNames } = await readVggTensors(preset, source, location, options);
  return assembleVggWeights(preset, tensors, location, { availableNames });
}

/** Returns the conv tensors of `preset` as stored in `location` (file names, file layout), plus every tensor name the file holds. */
export async function readVggTensors(
  preset: FeatureExtractorPreset,
  source: ByteSource,
  location: string,
  options: LoadVggWeightsOptions = {},
): Promise<{ tensors: Map<string, NamedTensor>; availableNames: string[] }> {
  const format = resolveFormat(location, options.format ?? 'auto');
  const needed = neededTensorNames(preset);
  // Remember every name in the file: when nothing matches, the error can show what the file holds instead.
  const seen: string[] = [];
  const wanted = (name: string) => {
    seen.push(name);
    return needed.has(name);
  };
  const tensors =
    format === 'tfjs' ? await readTfjsWeights(source, location, wanted) : await readSafetensors(source, location, wanted);
  return { tensors, availableNames: seen };
}

/** Returns every tensor name a preset's convs may have in a file (Keras and torchvision names). */
export function neededTensorNames(preset: FeatureExtractorPreset): Set<string> {
  return new Set(
    convLayers(preset).flatMap((conv) => (['keras', 'torchvision'] as const).flatMap((s) => Object.values(tensorNames(conv, s)))),
  );
}

/** Returns the format to read `location` as, from the option or the extension. */
function resolveFormat(location: string, format: WeightsFormat): 'tfjs' | 'safetensors' {
  if (format === 'tfjs' || format === 'safetensors') return format;
  // Query and fragment are not part of a URL's file name.
  const path = (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) ? location.replace(/[?#].*$/, '') : location).toLowerCase();
  if (path.endsWith('.json')) return 'tfjs';
  if (path.endsWith('.safetensors')) return 'safetensors';
  throw new WeightsError(
    (w) =>
      `Cannot tell the weights format of ${location}: supported are a TF.js model.json / weights manifest (.json) ` +
      'and safetensors (.safetensors). Rename the file' +
      (w.option('format') ? ` or pass ${w.option('format')} "tfjs" | "safetensors".` : ' to end in .json or .safetensors.'),
    { details: { option: 'weights', file: location } },
  );
}

/**
 * Checks that `tensors` (only shapes are read) hold every conv of `preset` with the right shape, in Keras or
 * torchvision naming; returns the tensor names used, in conv order. Throws a WeightsError naming what is missing or mis-shaped.
 */
export function checkVggTensors(
  preset: FeatureExtractorPreset,
  tensors: ReadonlyMap<string, { shape: readonly number[] }>,
  label: string,
  options: { availableNames?: readonly string[] } = {},
): { scheme: 'keras' | 'torchvision'; names: string[] } {
  const convs = convLayers(preset);
  const available = options.availableNames ?? [...tensors.keys()];
  const scheme = detectScheme(preset, convs, tensors, label, available);
  checkNoForeignConvs(preset, scheme, label, available);

  const missing = convs.flatMap((conv) => Object.values(tensorNames(conv, scheme)).filter((n) => !tensors.has(n)));
  if (missing.length) {
    throw new WeightsError(
      `${label} lacks ${missing.length} tensor(s) that ${preset.id} needs: ${missing.join(', ')}. ` +
        `Is it a ${preset.id} weights file? Pick the matching feature extractor or weights.`,
    );
  }

  const problems: string[] = [];
  for (const conv of convs) {
    const names = tensorNames(conv, scheme);
    const expected = { kernel: kernelShape(conv, scheme), bias: [conv.outChannels] };
    for (const part of ['kernel', 'bias'] as const) {
      const actual = tensors.get(names[part])!.shape;
      if (!sameShape(actual, expected[part])) {
        problems.push(`${names[part]} has shape ${formatShape(actual)}, expected ${formatShape(expected[part])} (${conv.name})`);
      }
    }
  }
  if (problems.length) {
    throw new WeightsError(`${label} does not fit ${preset.id}: ${problems.join('; ')}. Pick the matching feature extractor or weights.`);
  }
  return { scheme, names: convs.flatMap((conv) => [tensorNames(conv, scheme).kernel, tensorNames(conv, scheme).bias]) };
}

/** Returns the preset's conv weights (HWIO kernels) from named tensors in Keras or torchvision layout; `label` names the file in errors. */
export function assembleVggWeights(
  preset: FeatureExtractorPreset,
  tensors: ReadonlyMap<string, NamedTensor>,
  label: string,
  options: { availableNames?: readonly string[] } = {},
): VggWeights {
  const convs = convLayers(preset);
  const { scheme } = checkVggTensors(preset, tensors, label, options);

  const weights: Record<string, ConvWeights> = {};
  for (const conv of convs) {
    const names = tensorNames(conv, scheme);
    const kernel = tensors.get(names.kernel)!.values;
    const bias = tensors.get(names.bias)!.values;
    checkFinite(kernel, names.kernel, label);
    checkFinite(bias, names.bias, label);
    weights[conv.name] = {
      kernel: scheme === 'keras' ? kernel : oihwToHwio(kernel, conv.outChannels, conv.inChannels),
      bias,
    };
  }
  return tagWeights(weights, preset.id);
}

/**
 * Throws when the file holds conv kernels the preset does not have (e.g. VGG19's block3_conv4 read
 * as VGG16, whose convs it also holds with the same shapes): the result would be the wrong network.
 */
function checkNoForeignConvs(preset: FeatureExtractorPreset, scheme: NamingScheme, label: string, available: readonly string[]): void {
  const ours = new Set(convLayers(preset).map((c) => tensorNames(c, scheme).kernel));
  const pattern = scheme === 'keras' ? /^block\d+_conv\d+\/kernel$/ : /^features\.\d+\.weight$/;
  const foreign = available.filter((n) => pattern.test(n) && !ours.has(n));
  if (foreign.length === 0) return;
  const fits = Object.values(FEATURE_EXTRACTORS).find((p) => {
    const names = new Set(convLayers(p).map((c) => tensorNames(c, scheme).kernel));
    return available.filter((n) => pattern.test(n)).every((n) => names.has(n));
  });
  throw new WeightsError(
    (w) =>
      `${label} holds conv weights that ${preset.id} does not have (${foreign.slice(0, 3).join(', ')}): ` +
      (fits ? `they are ${fits.id} weights; use ${w.option('model') ?? 'model'} ${fits.id}, or ${preset.id} weights.` : `pick weights made for ${preset.id}.`),
    { details: { option: 'model', value: preset.id } },
  );
}

/** Returns the scheme whose conv kernels the file holds most of, or throws listing what the file holds. */
function detectScheme(
  preset: FeatureExtractorPreset,
  convs: readonly ConvLayer[],
  tensors: ReadonlyMap<string, unknown>,
  label: string,
  availableNames: readonly string[],
): NamingScheme {
  const count = (scheme: NamingScheme) => convs.filter((c) => tensors.has(tensorNames(c, scheme).kernel)).length;
  const keras = count('keras');
  const torch = count('torchvision');
  if (keras === 0 && torch === 0) {
    const sample = availableNames.slice(0, 8).join(', ');
    throw new WeightsError(
      `${label} holds no ${preset.id} conv weights: expected Keras names (${convs[0].kerasName}/kernel, /bias) ` +
        `or torchvision names (${convs[0].torchvisionName}.weight, .bias); ` +
        (availableNames.length ? `found ${availableNames.length} tensors such as ${sample}.` : 'found no tensors.'),
    );
  }
  return keras >= torch ? 'keras' : 'torchvision';
}

/** Returns an OIHW `[out,in,3,3]` kernel rearranged to HWIO `[3,3,in,out]` (same taps, no spatial flip). */
export function oihwToHwio(oihw: Float32Array, outChannels: number, inChannels: number, kh = 3, kw = 3): Float32Array {
  const hwio = new Float32Array(oihw.length);
  for (let o = 0; o < outChannels; o++) {
    for (let i = 0; i < inChannels; i++) {
      const src = (o * inChannels + i) * kh * kw;
      for (let h = 0; h < kh; h++) {
        for (let w = 0; w < kw; w++) {
          hwio[((h * kw + w) * inChannels + i) * outChannels + o] = oihw[src + h * kw + w];
        }
      }
    }
  }
  return hwio;
}

/** Throws a WeightsError when `values` holds NaN or ±Infinity, naming the first bad index and the count. */
function checkFinite(values: Float32Array, name: string, label: string): void {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      bad++;
      if (first < 0) first = i;
    }
  }
  if (bad) {
    throw new WeightsError(
      `${label}: tensor ${name} holds ${bad} non-finite value(s) (first: ${values[first]} at index ${first}); the file is corrupted.`,
    );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
