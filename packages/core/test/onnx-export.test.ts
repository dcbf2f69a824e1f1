import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf } from '@strotss/core';
import { WeightsError } from '../src/errors.js';
import { convLayers, VGG16, VGG19_CAFFE, type FeatureExtractorPreset, type VggWeights } from '../src/model/presets.js';
import { exportFeatureExtractorOnnx, onnxTapOutputNames } from '../src/model/onnx/index.js';
import { encodeVarint, ProtoMessage } from '../src/model/onnx/protobuf-writer.js';
import { attributeProto, tensorProto } from '../src/model/onnx/onnx-proto.js';
import { createOnnxReferee, describeOnnxReferee, formatTapComparisons, refereeImage } from '../../../test-support/onnx-referee.js';

// ---------------------------------------------------------------------------------------------
// A tiny protobuf reader of our own, independent of the writer, to decode what it wrote.

interface WireField {
  field: number;
  wire: number;
  /** varint: bigint; fixed32: the 4 bytes; length-delimited: the payload bytes. */
  value: bigint | Uint8Array;
}

function readVarint(bytes: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= bytes.length) throw new Error('varint runs past the end');
    const b = bytes[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [result, pos];
    shift += 7n;
  }
}

function decode(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, p] = readVarint(bytes, pos);
    pos = p;
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(bytes, pos);
      fields.push({ field, wire, value: v });
      pos = q;
    } else if (wire === 2) {
      const [len, q] = readVarint(bytes, pos);
      const end = q + Number(len);
      if (end > bytes.length) throw new Error(`field ${field} runs past the end`);
      fields.push({ field, wire, value: bytes.subarray(q, end) });
      pos = end;
    } else if (wire === 5) {
      fields.push({ field, wire, value: bytes.subarray(pos, pos + 4) });
      pos += 4;
    } else {
      throw new Error(`unexpected wire type ${wire}`);
    }
  }
  return fields;
}

const all = (bytes: Uint8Array, field: number) => decode(bytes).filter((f) => f.field === field);
const one = (bytes: Uint8Array, field: number) => {
  const found = all(bytes, field);
  if (found.length !== 1) throw new Error(`expected one field ${field}, found ${found.length}`);
  return found[0].value;
};
const str = (bytes: Uint8Array, field: number) => new TextDecoder().decode(one(bytes, field) as Uint8Array);
const strs = (bytes: Uint8Array, field: number) => all(bytes, field).map((f) => new TextDecoder().decode(f.value as Uint8Array));
const int = (bytes: Uint8Array, field: number) => Number(one(bytes, field) as bigint);
const ints = (bytes: Uint8Array, field: number) => all(bytes, field).map((f) => Number(f.value as bigint));
const msgs = (bytes: Uint8Array, field: number) => all(bytes, field).map((f) => f.value as Uint8Array);
const floatsLE = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
};
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

// ---------------------------------------------------------------------------------------------

describe('protobuf writer', () => {
  it('encodes varints as the protobuf spec does (hand-computed bytes)', () => {
    expect(hex(encodeVarint(0))).toBe('00');
    expect(hex(encodeVarint(1))).toBe('01');
    expect(hex(encodeVarint(127))).toBe('7f');
    expect(hex(encodeVarint(128))).toBe('80 01');
    expect(hex(encodeVarint(300))).toBe('ac 02');
    expect(hex(encodeVarint(2 ** 32))).toBe('80 80 80 80 10');
    expect(hex(encodeVarint(Number.MAX_SAFE_INTEGER))).toBe('ff ff ff ff ff ff ff 0f');
    // Negative int64: 64-bit two's complement, always ten bytes.
    expect(hex(encodeVarint(-1))).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(hex(encodeVarint(2n ** 64n - 1n))).toBe('ff ff ff ff ff ff ff ff ff 01');
    expect(hex(encodeVarint(-2n))).toBe('fe ff ff ff ff ff ff ff ff 01');
  });

  it('encodes the protobuf documentation examples byte for byte', () => {
    // Test1 { a: 150 }, Test2 { b: "testing" }, Test3 { c: Test1 }, packed repeated int32 d = 4 [3, 270, 86942].
    expect(hex(new ProtoMessage().varint(1, 150).encode())).toBe('08 96 01');
    expect(hex(new ProtoMessage().string(2, 'testing').encode())).toBe('12 07 74 65 73 74 69 6e 67');
    expect(hex(new ProtoMessage().message(3, new ProtoMessage().varint(1, 150)).encode())).toBe('1a 03 08 96 01');
    expect(hex(new ProtoMessage().packedVarints(4, [3, 270, 86942]).encode())).toBe('22 06 03 8e 02 9e a7 05');
  });

  it('encodes floats little-endian, packed floats with one length prefix, and multi-byte tags', () => {
    expect(hex(new ProtoMessage().float(2, 1).encode())).toBe('15 00 00 80 3f');
    expect(hex(new ProtoMessage().packedFloats(1, [1, -2]).encode())).toBe('0a 08 00 00 80 3f 00 00 00 c0');
    expect(hex(new ProtoMessage().varint(16, 1).encode())).toBe('80 01 01');
    expect(hex(new ProtoMessage().varint(20, true).encode())).toBe('a0 01 01');
    expect(hex(new ProtoMessage().bytes(9, new Uint8Array(0)).encode())).toBe('4a 00');
  });

  it('round-trips a nested message through an independent reader, and sizes it exactly', () => {
    const weights = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 1e3);
    const inner = new ProtoMessage().varint(1, 2 ** 40).string(2, 'κόσμε').packedFloats(3, weights);
    const outer = new ProtoMessage().message(7, inner).varint(1, 7).message(7, new ProtoMessage()).string(2, '');
    const bytes = outer.encode();
    expect(bytes.length).toBe(outer.byteLength());
    expect(decode(bytes).map((f) => [f.field, f.wire])).toEqual([[7, 2], [1, 0], [7, 2], [2, 2]]);
    const [first, second] = msgs(bytes, 7);
    expect(second.length).toBe(0);
    expect(one(first, 1)).toBe(2n ** 40n);
    expect(str(first, 2)).toBe('κόσμε');
    expect(floatsLE(one(first, 3) as Uint8Array)).toEqual(Array.from(weights));
  });

  it('rejects invalid field numbers, non-integer varints and appends after encoding, naming the value', () => {
    expect(() => new ProtoMessage().varint(0, 1)).toThrow(/field number 0/);
    expect(() => new ProtoMessage().varint(19500, 1)).toThrow(/19500/);
    expect(() => new ProtoMessage().varint(2 ** 29, 1)).toThrow(/536870912/);
    expect(() => new ProtoMessage().varint(1, 1.5)).toThrow(/1\.5/);
    expect(() => new ProtoMessage().varint(1, 2 ** 60)).toThrow(/bigint/);
    expect(() => new ProtoMessage().varint(1, 2n ** 64n)).toThrow(/64-bit/);
    expect(() => new ProtoMessage().packedVarints(4, [1, 0.5])).toThrow(/Field 4\[1\]/);
    const m = new ProtoMessage().varint(1, 1);
    m.encode();
    expect(() => m.varint(2, 2)).toThrow(/already sized/);
  });
});

describe('ONNX messages', () => {
  it('writes TensorProto dims, data type, name and data in the fields onnx.proto assigns', () => {
    const t = tensorProto('w', [2, 3], { kind: 'float', values: [1, 2, 3, 4, 5, 6] }).encode();
    expect(ints(t, 1)).toEqual([2, 3]);
    expect(int(t, 2)).toBe(1); // FLOAT
    expect(str(t, 8)).toBe('w');
    expect(floatsLE(one(t, 4) as Uint8Array)).toEqual([1, 2, 3, 4, 5, 6]);

    const idx = tensorProto('i', [3], { kind: 'int64', values: [2, 1, 0] }).encode();
    expect(int(idx, 2)).toBe(7); // INT64
    expect(hex(one(idx, 7) as Uint8Array)).toBe('02 01 00');

    const scalar = tensorProto('s', [], { kind: 'float-raw', bytes: new Uint8Array([0, 0, 0x80, 0x3f]) }).encode();
    expect(all(scalar, 1)).toEqual([]);
    expect(floatsLE(one(scalar, 9) as Uint8Array)).toEqual([1]);

    expect(() => tensorProto('bad', [2, 2], { kind: 'float', values: [1, 2, 3] })).toThrow(/bad.*4 elements but 3/);
  });

  it('writes AttributeProto with its type discriminator', () => {
    const ints8 = attributeProto('pads', { ints: [1, 1, 1, 1] }).encode();
    expect([str(ints8, 1), ints(ints8, 8), int(ints8, 20)]).toEqual(['pads', [1, 1, 1, 1], 7]);
    const i = attributeProto('axis', { int: 1 }).encode();
    expect([str(i, 1), int(i, 3), int(i, 20)]).toEqual(['axis', 1, 2]);
    const f = attributeProto('alpha', { float: 0.5 }).encode();
    expect([str(f, 1), floatsLE(one(f, 2) as Uint8Array), int(f, 20)]).toEqual(['alpha', [0.5], 1]);
  });
});

// ---------------------------------------------------------------------------------------------

/** He-initialised random conv weights (HWIO) for a preset, so activations neither vanish nor explode. */
function randomVggWeights(preset: FeatureExtractorPreset, seed: number): VggWeights {
  let s = (seed * 2654435761) >>> 0 || 1;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 2 * (s / 2 ** 32) - 1;
  };
  const weights: Record<string, { kernel: Float32Array; bias: Float32Array }> = {};
  for (const conv of convLayers(preset)) {
    const a = Math.sqrt(3) * Math.sqrt(2 / (9 * conv.inChannels));
    const kernel = new Float32Array(9 * conv.inChannels * conv.outChannels);
    for (let k = 0; k < kernel.length; k++) kernel[k] = a * uniform();
    const bias = new Float32Array(conv.outChannels);
    for (let k = 0; k < bias.length; k++) bias[k] = 0.1 * uniform();
    weights[conv.name] = { kernel, bias };
  }
  return weights;
}

/** The decoded parts of an exported model the structure tests look at. */
function decodeModel(bytes: Uint8Array) {
  const graph = one(bytes, 7) as Uint8Array;
  const opset = one(bytes, 8) as Uint8Array;
  const nodes = msgs(graph, 1).map((n) => ({
    op: str(n, 4),
    inputs: strs(n, 1),
    outputs: strs(n, 2),
    attributes: Object.fromEntries(msgs(n, 5).map((a) => [str(a, 1), { type: int(a, 20), ints: ints(a, 8), i: all(a, 3).length ? int(a, 3) : undefined }])),
  }));
  const initializers = new Map(msgs(graph, 5).map((t) => [str(t, 8), t]));
  const valueInfo = (v: Uint8Array) => {
    const tensorType = one(one(v, 2) as Uint8Array, 1) as Uint8Array;
    const dims = msgs(one(tensorType, 2) as Uint8Array, 1).map((d) => (all(d, 1).length ? int(d, 1) : str(d, 2)));
    return { name: str(v, 1), elemType: int(tensorType, 1), dims };
  };
  return {
    irVersion: int(bytes, 1),
    producer: str(bytes, 2),
    opset: { domain: str(opset, 1), version: int(opset, 2) },
    nodes,
    initializers,
    inputs: msgs(graph, 11).map(valueInfo),
    outputs: msgs(graph, 12).map(valueInfo),
  };
}

describe('exportFeatureExtractorOnnx (structure)', () => {
  const vgg16Weights = randomVggWeights(VGG16, 3);
  const vgg19Weights = randomVggWeights(VGG19_CAFFE, 4);

  it('writes a VGG16 graph: torchvision input, OIHW weights, 3×3 same convs, 2×2 floor pools, named taps', () => {
    const model = decodeModel(exportFeatureExtractorOnnx(VGG16, vgg16Weights));
    expect(model.irVersion).toBe(7);
    expect(model.producer).toBe('@strotss/core');
    expect(model.opset).toEqual({ domain: '', version: 13 });
    expect(model.inputs).toEqual([{ name: 'image', elemType: 1, dims: [1, 3, 'height', 'width'] }]);
    expect(model.outputs.map((o) => o.name)).toEqual(['rgb', ...VGG16.taps]);
    expect(model.outputs.find((o) => o.name === 'conv3_1')!.dims).toEqual([1, 256, 'height/4', 'width/4']);
    expect(model.outputs.find((o) => o.name === 'conv5_3')!.dims).toEqual([1, 512, 'height/16', 'width/16']);

    const ops = model.nodes.map((n) => n.op);
    expect(ops.slice(0, 2)).toEqual(['Sub', 'Div']);
    expect(ops.filter((o) => o === 'Conv').length).toBe(13);
    expect(ops.filter((o) => o === 'Relu').length).toBe(13);
    expect(ops.filter((o) => o === 'MaxPool').length).toBe(4);
    expect(ops.filter((o) => o === 'Mul').length).toBe(0); // featureScale 1
    const conv = model.nodes.find((n) => n.op === 'Conv')!;
    expect(conv.attributes.pads.ints).toEqual([1, 1, 1, 1]);
    expect(conv.attributes.kernel_shape.ints).toEqual([3, 3]);
    const pool = model.nodes.find((n) => n.op === 'MaxPool')!;
    expect([pool.attributes.kernel_shape.ints, pool.attributes.strides.ints, pool.attributes.pads]).toEqual([[2, 2], [2, 2], undefined]);

    expect(floatsLE(one(model.initializers.get('input/mean')!, 4) as Uint8Array)).toEqual(
      VGG16.input.kind === 'torchvision' ? VGG16.input.mean.map(Math.fround) : [],
    );
    // Every kernel value lands at OIHW [o,i,h,w] from HWIO [h,w,i,o].
    const w = model.initializers.get('conv2_1/weight')!;
    expect(ints(w, 1)).toEqual([128, 64, 3, 3]);
    const oihw = new Float32Array(floatsLE(one(w, 9) as Uint8Array));
    const hwio = vgg16Weights.conv2_1.kernel;
    for (const [o, i, h, x] of [[0, 0, 0, 0], [127, 63, 2, 2], [5, 17, 0, 2], [99, 3, 1, 0]]) {
      expect(oihw[((o * 64 + i) * 3 + h) * 3 + x]).toBe(hwio[((h * 3 + x) * 64 + i) * 128 + o]);
    }
  });

  it('writes the Caffe input (RGB→BGR gather, ×255, − mean) and one featureScale Mul per tap', () => {
    const model = decodeModel(exportFeatureExtractorOnnx(VGG19_CAFFE, vgg19Weights));
    expect(model.nodes.slice(0, 3).map((n) => n.op)).toEqual(['Gather', 'Mul', 'Sub']);
    expect(model.nodes[0].attributes.axis.i).toBe(1);
    expect(hex(one(model.initializers.get('input/rgb_to_bgr')!, 7) as Uint8Array)).toBe('02 01 00');
    const scale = model.initializers.get('feature_scale')!;
    expect(floatsLE(one(scale, 4) as Uint8Array)).toEqual([VGG19_CAFFE.featureScale]);
    const scaled = model.nodes.filter((n) => n.op === 'Mul' && n.inputs[1] === 'feature_scale');
    expect(scaled.map((n) => n.outputs[0])).toEqual([...VGG19_CAFFE.taps]);
    expect(model.nodes.filter((n) => n.op === 'Conv').length).toBe(16);
  });

  it('leaves out the feature scale and the RGB tap on request', () => {
    const options = { applyFeatureScale: false, includeRgbTap: false };
    const model = decodeModel(exportFeatureExtractorOnnx(VGG19_CAFFE, vgg19Weights, options));
    expect(model.outputs.map((o) => o.name)).toEqual([...VGG19_CAFFE.taps]);
    expect(onnxTapOutputNames(VGG19_CAFFE, options)).toEqual([...VGG19_CAFFE.taps]);
    expect(model.initializers.has('feature_scale')).toBe(false);
    expect(model.nodes.find((n) => n.op === 'Relu' && n.outputs[0] === 'conv4_4')).toBeDefined();
  });

  it('rejects missing or mis-sized weights, naming the conv and the sizes', () => {
    const { conv3_2: _dropped, ...missing } = vgg16Weights;
    expect(() => exportFeatureExtractorOnnx(VGG16, missing)).toThrow(WeightsError);
    expect(() => exportFeatureExtractorOnnx(VGG16, missing)).toThrow(/lack conv3_2/);
    const short = { ...vgg16Weights, conv1_2: { kernel: new Float32Array(10), bias: vgg16Weights.conv1_2.bias } };
    expect(() => exportFeatureExtractorOnnx(VGG16, short)).toThrow(/conv1_2 have 10 kernel.*36864/);
    // VGG16 weights do not fit VGG19's deeper blocks.
    expect(() => exportFeatureExtractorOnnx(VGG19_CAFFE, vgg16Weights)).toThrow(/lack conv3_4/);
  });
});

// ---------------------------------------------------------------------------------------------
// onnxruntime-web (wasm) as the referee for TF.js' cpu backend.

const activateCpu = async () => {
  await tf.setBackend('cpu');
};

describeOnnxReferee('cpu', activateCpu);

describeOnnxReferee('cpu', activateCpu, {
  model: { label: 'vgg16 (synthetic weights, torchvision input)', preset: VGG16, weights: () => randomVggWeights(VGG16, 11) },
  sizes: [
    [40, 24],
    [21, 35],
  ],
});

describe('the onnxruntime referee catches a layout mistake', () => {
  it('flags every tap after a conv whose kernel was exported spatially flipped', async () => {
    await tf.setBackend('cpu');
    // VGG16 cut after conv2_1: enough taps before and after the broken conv, at a fraction of the cost.
    const preset: FeatureExtractorPreset = { ...VGG16, layers: VGG16.layers.slice(0, 4), taps: ['conv1_1', 'conv1_2', 'conv2_1'] };
    const weights = randomVggWeights(preset, 12);
    // What an exporter that confused correlation with convolution would write for conv1_2.
    const flipped = new Float32Array(weights.conv1_2.kernel.length);
    const per = 64 * 64;
    for (let k = 0; k < 9; k++) flipped.set(weights.conv1_2.kernel.subarray((8 - k) * per, (9 - k) * per), k * per);
    const broken = exportFeatureExtractorOnnx(preset, { ...weights, conv1_2: { ...weights.conv1_2, kernel: flipped } });
    const referee = await createOnnxReferee(preset, weights, { onnxModel: broken });
    try {
      const results = await referee.compare(refereeImage(24, 20));
      console.log(`negative control (conv1_2 flipped in the ONNX export):\n${formatTapComparisons('cpu 24x20', results)}`);
      expect(results.filter((r) => r.ok).map((r) => r.name)).toEqual(['rgb', 'conv1_1']);
      expect(results.map((r) => r.name)).toEqual(['rgb', 'conv1_1', 'conv1_2', 'conv2_1']);
      expect(Math.min(...results.slice(2).map((r) => r.relativeError))).toBeGreaterThan(1e-2);
    } finally {
      await referee.release();
    }
  });
});
