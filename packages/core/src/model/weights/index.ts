// Weights readers: TF.js manifests and safetensors through an injected ByteSource.

export { bytesByteSource, fetchByteSource, type ByteSource, type FetchLike } from './byte-source.js';
export {
  decodeTensor,
  parseSafetensorsHeader,
  encodeF16,
  readSafetensors,
  writeRawSafetensors,
  writeSafetensors,
  type RawTensor,
  type WriteSafetensorsOptions,
  type NamedTensor,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';
export { readTfjsWeights } from './tfjs-manifest.js';
export {
  assembleVggWeights,
  checkVggTensors,
  loadVggWeights,
  neededTensorNames,
  readVggTensors,
  oihwToHwio,
  type LoadVggWeightsOptions,
  type WeightsFormat,
} from './load-vgg-weights.js';
export { checkCacheKey, sha256Hex, type WeightsCache, type WeightsCacheEntry, type WeightsCacheKey } from './weights-cache.js';
export {
  DEFAULT_WEIGHTS_SOURCES,
  VGG16_TORCHVISION_SOURCE,
  VGG16_TV_IN1K_REVISION,
  type RemoteWeightsSource,
} from './default-sources.js';
export { RemoteFile, type ProbeResult, type RemoteFileOptions } from './http-download.js';
export {
  COMPACT_FORMAT,
  compactFromRaw,
  compactFromTensors,
  convertVggWeights,
  loadCompactWeights,
  type CompactProvenance,
  type CompactWeights,
} from './compact-weights.js';
export {
  fetchVggWeights,
  findCached,
  resolveWeightsSource,
  vggWeightsLoader,
  type FetchedWeights,
  type WeightsOptions,
  type WeightsProgressEvent,
} from './fetch-weights.js';
