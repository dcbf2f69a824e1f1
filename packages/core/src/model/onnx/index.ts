// ONNX export of the feature extractor (the protobuf writer under it stays internal).

export {
  exportFeatureExtractorOnnx,
  onnxTapOutputNames,
  ONNX_INPUT_NAME,
  ONNX_OPSET_VERSION,
  ONNX_RGB_OUTPUT_NAME,
  type ExportFeatureExtractorOnnxOptions,
} from './export-feature-extractor.js';
// The ONNX writer itself, for backends that build their own graphs (the native backend's kernels).
export {
  encodeOnnxModel,
  tensorProto,
  tensorValueInfo,
  OnnxDataType,
  ONNX_IR_VERSION,
  type OnnxAttributeValue,
  type OnnxDim,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensorData,
} from './onnx-proto.js';
export type { ProtoMessage } from './protobuf-writer.js';
