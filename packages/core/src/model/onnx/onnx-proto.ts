// Builders for the few ONNX messages a feed-forward float graph needs, with the field numbers
// of onnx/onnx.proto (IR version 7, the one that goes with opset 13).

import { ProtoMessage } from './protobuf-writer.js';

/** ONNX `TensorProto.DataType` values used here. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
export type OnnxDataType = (typeof OnnxDataType)[keyof typeof OnnxDataType];

/** ONNX `AttributeProto.AttributeType` values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

/** IR version 7 is the one paired with opset 13 (onnx/docs/Versioning.md). */
export const ONNX_IR_VERSION = 7;

/** A tensor's contents: floats (as packed `float_data` or little-endian `raw_data`) or int64s. */
export type OnnxTensorData =
  | { kind: 'float'; values: ArrayLike<number> }
  | { kind: 'float-raw'; bytes: Uint8Array }
  | { kind: 'int64'; values: ReadonlyArray<number | bigint> };

/** Returns a `TensorProto` named `name` of shape `dims` (`[]` for a scalar), after checking the element count. */
export function tensorProto(name: string, dims: readonly number[], data: OnnxTensorData): ProtoMessage {
  const count = dims.reduce((a, b) => a * b, 1);
  const actual = data.kind === 'float-raw' ? data.bytes.length / 4 : data.values.length;
  if (actual !== count) {
    throw new RangeError(`Tensor ${name}: shape [${dims.join(',')}] holds ${count} elements but ${actual} were given.`);
  }
  const m = new ProtoMessage();
  for (const d of dims) m.varint(1, d); // dims: repeated int64 (proto2, unpacked)
  m.varint(2, data.kind === 'int64' ? OnnxDataType.INT64 : OnnxDataType.FLOAT);
  m.string(8, name);
  if (data.kind === 'float') m.packedFloats(4, data.values); // float_data [packed = true]
  else if (data.kind === 'int64') m.packedVarints(7, data.values); // int64_data [packed = true]
  else m.bytes(9, data.bytes); // raw_data: little-endian, row-major
  return m;
}

/** An attribute value: an int, a float or a list of ints. */
export type OnnxAttributeValue =
  | { int: number }
  | { float: number }
  | { string: string }
  | { ints: readonly number[] }
  | { floats: readonly number[] };

/** Returns an `AttributeProto` of the given name and value. */
export function attributeProto(name: string, value: OnnxAttributeValue): ProtoMessage {
  const m = new ProtoMessage().string(1, name);
  if ('int' in value) return m.varint(3, value.int).varint(20, AttributeType.INT);
  if ('float' in value) return m.float(2, value.float).varint(20, AttributeType.FLOAT);
  if ('string' in value) return m.string(4, value.string).varint(20, AttributeType.STRING);
  if ('floats' in value) {
    for (const f of value.floats) m.float(7, f); // floats: repeated float (proto2, unpacked)
    return m.varint(20, AttributeType.FLOATS);
  }
  for (const i of value.ints) m.varint(8, i); // ints: repeated int64 (proto2, unpacked)
  return m.varint(20, AttributeType.INTS);
}

/** One graph node: operator, named inputs and outputs, attributes. */
export interface OnnxNode {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, OnnxAttributeValue>>;
}

/** Returns a `NodeProto` in the default (ai.onnx) domain. */
export function nodeProto(node: OnnxNode): ProtoMessage {
  const m = new ProtoMessage();
  for (const i of node.inputs) m.string(1, i);
  for (const o of node.outputs) m.string(2, o);
  m.string(3, node.name).string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes ?? {})) m.message(5, attributeProto(name, value));
  return m;
}

/** A dimension: a fixed size, or a symbol (`dim_param`) for a size known only at run time. */
export type OnnxDim = number | string;

/** Returns a `ValueInfoProto` for a float32/int64 tensor of the given (possibly symbolic) shape. */
export function tensorValueInfo(name: string, elemType: OnnxDataType, dims: readonly OnnxDim[], docString?: string): ProtoMessage {
  const shape = new ProtoMessage();
  for (const d of dims) {
    const dim = typeof d === 'number' ? new ProtoMessage().varint(1, d) : new ProtoMessage().string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new ProtoMessage().varint(1, elemType).message(2, shape);
  const m = new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
  if (docString) m.string(3, docString);
  return m;
}

/** The parts of a model: graph contents and metadata. */
export interface OnnxModel {
  graphName: string;
  nodes: readonly OnnxNode[];
  initializers: readonly ProtoMessage[];
  inputs: readonly ProtoMessage[];
  outputs: readonly ProtoMessage[];
  opsetVersion: number;
  producerName: string;
  docString?: string;
  /** Default {@link ONNX_IR_VERSION} (7, for opset 13); opsets 15–17 go with IR version 8. */
  irVersion?: number;
}

/** Returns the serialized `ModelProto` (ai.onnx domain at `opsetVersion`, IR version 7). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const graph = new ProtoMessage();
  for (const n of model.nodes) graph.message(1, nodeProto(n));
  graph.string(2, model.graphName);
  for (const t of model.initializers) graph.message(5, t);
  if (model.docString) graph.string(10, model.docString);
  for (const i of model.inputs) graph.message(11, i);
  for (const o of model.outputs) graph.message(12, o);

  const opset = new ProtoMessage().string(1, '').varint(2, model.opsetVersion);
  const m = new ProtoMessage()
    .varint(1, model.irVersion ?? ONNX_IR_VERSION)
    .string(2, model.producerName)
    .message(7, graph)
    .message(8, opset);
  return m.encode();
}
