// Weights readers: TF.js manifests and safetensors through an injected ByteSource.

export { fetchByteSource, type ByteSource, type FetchLike } from './byte-source.js';
export {
  decodeTensor,
  parseSafetensorsHeader,
  readSafetensors,
  writeSafetensors,
  type NamedTensor,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export { readTfjsWeights } from './tfjs-manifest.js';
export {
  assembleVggWeights,
  loadVggWeights,
  oihwToHwio,
  type LoadVggWeightsOptions,
  type WeightsFormat,
} from './load-vgg-weights.js';
