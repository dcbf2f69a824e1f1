// ONNX export of the feature extractor (the protobuf writer under it stays internal).

export {
  exportFeatureExtractorOnnx,
  onnxTapOutputNames,
  ONNX_INPUT_NAME,
  ONNX_OPSET_VERSION,
  ONNX_RGB_OUTPUT_NAME,
  type ExportFeatureExtractorOnnxOptions,
} from './export-feature-extractor.js';
