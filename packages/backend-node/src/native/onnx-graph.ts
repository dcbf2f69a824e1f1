// A small builder over the core's ONNX writer: values are tensor names, each method adds one node
// and returns its output, so a graph reads like the TF.js code it mirrors.
import {
  encodeOnnxModel,
  OnnxDataType,
  tensorProto,
  tensorValueInfo,
  type OnnxAttributeValue,
  type OnnxDim,
  type OnnxNode,
  type ProtoMessage,
} from '@strotss/core';

/** A tensor in the graph, by name. */
export type Value = string;

/** Element types the graphs use. */
export type ElementType = 'float32' | 'int64' | 'bool';

const ONNX_TYPE: Record<ElementType, number> = { float32: OnnxDataType.FLOAT, int64: OnnxDataType.INT64, bool: OnnxDataType.BOOL };

/** The opset the graphs are written for: ReduceSum/Split/Unsqueeze take their axes as inputs, scatters take a reduction. */
export const GRAPH_OPSET = 17;

/** Builds one ONNX graph. */
export class OnnxGraph {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: ProtoMessage[] = [];
  private readonly inputs: ProtoMessage[] = [];
  private readonly outputs: ProtoMessage[] = [];
  private readonly constants = new Map<string, Value>();
  private counter = 0;
  private prefix = '';

  constructor(readonly name: string) {}

  /** Runs `f` with the names of the nodes it adds prefixed by `scope/` (readable graphs and profiles). */
  scope<T>(scope: string, f: () => T): T {
    const saved = this.prefix;
    this.prefix = `${saved}${scope}/`;
    try {
      return f();
    } finally {
      this.prefix = saved;
    }
  }

  /** Declares a graph input. */
  input(name: string, type: ElementType, dims: readonly OnnxDim[]): Value {
    this.inputs.push(tensorValueInfo(name, ONNX_TYPE[type] as never, dims));
    return name;
  }

  /** Declares `value` a graph output named `name`. */
  output(value: Value, name: string, type: ElementType, dims: readonly OnnxDim[]): void {
    this.nodes.push({ opType: 'Identity', name: `output/${name}`, inputs: [value], outputs: [name] });
    this.outputs.push(tensorValueInfo(name, ONNX_TYPE[type] as never, dims));
  }

  /** A float32 constant (initializer) of shape `dims` (a scalar by default); equal constants are shared. */
  float(values: number | ArrayLike<number>, dims: readonly number[] = []): Value {
    const list = typeof values === 'number' ? [values] : Array.from(values);
    const key = `f${dims.join('x')}:${list.join(',')}`;
    if (list.length <= 16 && this.constants.has(key)) return this.constants.get(key)!;
    const name = `const/${this.counter++}`;
    this.initializers.push(tensorProto(name, dims, { kind: 'float', values: list }));
    if (list.length <= 16) this.constants.set(key, name);
    return name;
  }

  /** An int64 constant of shape `dims` (1-D of its length by default). */
  int64(values: readonly number[], dims: readonly number[] = [values.length]): Value {
    const key = `i${dims.join('x')}:${values.join(',')}`;
    if (this.constants.has(key)) return this.constants.get(key)!;
    const name = `const/${this.counter++}`;
    this.initializers.push(tensorProto(name, dims, { kind: 'int64', values }));
    this.constants.set(key, name);
    return name;
  }

  /** A large float32 initializer (weights), stored as raw little-endian bytes. */
  weights(name: string, dims: readonly number[], values: Float32Array): Value {
    const bytes = new Uint8Array(values.length * 4);
    new Float32Array(bytes.buffer).set(values); // little-endian on every host Node runs on
    this.initializers.push(tensorProto(name, dims, { kind: 'float-raw', bytes }));
    return name;
  }

  /** Adds one node; returns its output (or `outputs` of them). */
  op(opType: string, inputs: readonly Value[], attributes?: Record<string, OnnxAttributeValue>): Value;
  op(opType: string, inputs: readonly Value[], attributes: Record<string, OnnxAttributeValue> | undefined, outputs: number): Value[];
  op(opType: string, inputs: readonly Value[], attributes?: Record<string, OnnxAttributeValue>, outputs?: number): Value | Value[] {
    const id = this.counter++;
    const names = Array.from({ length: outputs ?? 1 }, (_, i) => `${this.prefix}${opType}_${id}${i ? `_${i}` : ''}`);
    this.nodes.push({ opType, name: `${this.prefix}${opType}_${id}`, inputs, outputs: names, attributes });
    return outputs === undefined ? names[0] : names;
  }

  // Element-wise arithmetic (NumPy broadcasting, as TF.js).
  add = (a: Value, b: Value) => this.op('Add', [a, b]);
  sub = (a: Value, b: Value) => this.op('Sub', [a, b]);
  mul = (a: Value, b: Value) => this.op('Mul', [a, b]);
  div = (a: Value, b: Value) => this.op('Div', [a, b]);
  neg = (x: Value) => this.op('Neg', [x]);
  sqrt = (x: Value) => this.op('Sqrt', [x]);
  square = (x: Value) => this.op('Mul', [x, x]);
  abs = (x: Value) => this.op('Abs', [x]);
  /** −1, 0, +1: ONNX Sign is exactly 0 at 0 (PyTorch's sign). */
  sign = (x: Value) => this.op('Sign', [x]);
  max = (a: Value, b: Value) => this.op('Max', [a, b]);
  clip = (x: Value, min: number, max: number) => this.op('Clip', [x, this.float(min), this.float(max)]);
  greater = (a: Value, b: Value) => this.op('Greater', [a, b]);
  greaterOrEqual = (a: Value, b: Value) => this.op('GreaterOrEqual', [a, b]);
  less = (a: Value, b: Value) => this.op('Less', [a, b]);
  lessOrEqual = (a: Value, b: Value) => this.op('LessOrEqual', [a, b]);
  equal = (a: Value, b: Value) => this.op('Equal', [a, b]);
  and = (a: Value, b: Value) => this.op('And', [a, b]);
  isNaN = (x: Value) => this.op('IsNaN', [x]);
  where = (condition: Value, a: Value, b: Value) => this.op('Where', [condition, a, b]);
  cast = (x: Value, to: ElementType) => this.op('Cast', [x], { to: { int: ONNX_TYPE[to] } });

  /** a·b. */
  matMul = (a: Value, b: Value) => this.op('MatMul', [a, b]);
  /** a·bᵀ (Gemm with transB: MLAS' fastest layout for these shapes). */
  matMulABt = (a: Value, b: Value) => this.op('Gemm', [a, b], { transB: { int: 1 } });
  /** aᵀ·b. */
  matMulAtB = (a: Value, b: Value) => this.op('Gemm', [a, b], { transA: { int: 1 } });

  transpose = (x: Value, perm: readonly number[] = [1, 0]) => this.op('Transpose', [x], { perm: { ints: perm } });
  reshape = (x: Value, shape: readonly number[] | Value) => this.op('Reshape', [x, typeof shape === 'string' ? shape : this.int64(shape)]);
  shape = (x: Value) => this.op('Shape', [x]);
  zerosOfShape = (shape: Value) => this.op('ConstantOfShape', [shape]);
  unsqueeze = (x: Value, axes: readonly number[]) => this.op('Unsqueeze', [x, this.int64(axes)]);
  squeeze = (x: Value, axes: readonly number[]) => this.op('Squeeze', [x, this.int64(axes)]);
  concat = (xs: readonly Value[], axis: number) => (xs.length === 1 ? xs[0] : this.op('Concat', xs, { axis: { int: axis } }));
  /** `x` split along `axis` into parts of `sizes` (an int64 value, so the sizes may be graph inputs). */
  split = (x: Value, sizes: Value, axis: number, count: number) => (count === 1 ? [x] : this.op('Split', [x, sizes], { axis: { int: axis } }, count));
  slice = (x: Value, starts: readonly number[], ends: readonly number[], axes: readonly number[]) =>
    this.op('Slice', [x, this.int64(starts), this.int64(ends), this.int64(axes)]);

  sum = (x: Value, axes: readonly number[], keepDims: boolean) =>
    this.op('ReduceSum', [x, this.int64(axes)], { keepdims: { int: keepDims ? 1 : 0 } });
  mean = (x: Value, axes: readonly number[], keepDims: boolean) =>
    this.op('ReduceMean', [x], { axes: { ints: axes }, keepdims: { int: keepDims ? 1 : 0 } });
  reduceMax = (x: Value, axes: readonly number[], keepDims: boolean) =>
    this.op('ReduceMax', [x], { axes: { ints: axes }, keepdims: { int: keepDims ? 1 : 0 } });
  /** Index of the first minimum along `axis` (PyTorch's and TF.js' tie rule). */
  argMin = (x: Value, axis: number) => this.op('ArgMin', [x], { axis: { int: axis }, keepdims: { int: 0 }, select_last_index: { int: 0 } });
  /** Index of the first maximum along `axis`. */
  argMax = (x: Value, axis: number) => this.op('ArgMax', [x], { axis: { int: axis }, keepdims: { int: 0 }, select_last_index: { int: 0 } });

  gather = (x: Value, indices: Value, axis: number) => this.op('Gather', [x, indices], { axis: { int: axis } });
  gatherElements = (x: Value, indices: Value, axis: number) => this.op('GatherElements', [x, indices], { axis: { int: axis } });
  /** `data` with `updates` added (or written, without reduction) at `indices` along `axis`; duplicates add up in order. */
  scatterElements = (data: Value, indices: Value, updates: Value, axis: number, reduction?: 'add') =>
    this.op('ScatterElements', [data, indices, updates], { axis: { int: axis }, ...(reduction ? { reduction: { string: reduction } } : {}) });
  /**
   * `data` with its rows `indices` (`[k, 1]`, no index twice) replaced by `updates`. (No reduction:
   * ONNX Runtime 1.30's ScatterND with reduction 'add' loses updates to colliding rows on several threads.)
   */
  scatterRows = (data: Value, indices: Value, updates: Value) => this.op('ScatterND', [data, indices, updates]);

  /** The serialised model. */
  encode(): Uint8Array {
    return encodeOnnxModel({
      graphName: this.name,
      nodes: this.nodes,
      initializers: this.initializers,
      inputs: this.inputs,
      outputs: this.outputs,
      opsetVersion: GRAPH_OPSET,
      irVersion: 8,
      producerName: '@strotss/backend-node',
    });
  }
}
