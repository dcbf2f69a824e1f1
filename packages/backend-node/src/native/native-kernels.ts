// The native backend's kernels: the core's fused named kernels (VGG lookups, objective, image
// objective) run as ONNX Runtime sessions. TF.js tensors live in the wasm backend's heap (shared
// with `native`); each run copies its inputs into reused host buffers (onnxruntime refuses
// SharedArrayBuffer-backed inputs, and fresh large arrays cost page faults) and its outputs back.
import { tf, StrotssKernel, type FeatureExtractorPreset, type VggWeights } from '@strotss/core';
import { bilinearNeighbours, nearestIndices, type Locations } from '@strotss/core/ops';
import type { OrtRuntime, OrtSession, OrtSessionOptions, OrtTensor } from './ort-runtime.js';
import { hypercolumnsModel, imageObjectiveModel, matMulModel, objectiveModel, STYLE_INPUTS } from './graphs.js';
import { tapInputNames, tapNames } from './vgg-graph.js';

/** The parts of TF.js' wasm backend the kernels use. */
interface WasmHeapBackend {
  readSync(dataId: object): ArrayLike<number>;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Host buffers reused across runs, by role and length: a run copies into them instead of allocating. */
class HostBuffers {
  private readonly floats = new Map<string, Float32Array>();
  private readonly ints = new Map<string, BigInt64Array>();

  float(role: string, length: number): Float32Array {
    const key = `${role}:${length}`;
    let b = this.floats.get(key);
    if (!b) this.floats.set(key, (b = new Float32Array(length)));
    return b;
  }

  int64(role: string, length: number): BigInt64Array {
    const key = `${role}:${length}`;
    let b = this.ints.get(key);
    if (!b) this.ints.set(key, (b = new BigInt64Array(length)));
    return b;
  }

  clear(): void {
    this.floats.clear();
    this.ints.clear();
  }
}

/** What the native kernels did so far: runs and milliseconds per kernel (inside ONNX Runtime and in all), sessions made. */
export interface NativeKernelStats {
  runs: Record<string, number>;
  sessionMs: Record<string, number>;
  kernelMs: Record<string, number>;
  sessionsCreated: number;
  sessionCreateMs: number;
}

/** The state of the native kernels: runtime, sessions by weights, host copies of constant tensors. */
export class NativeKernelState {
  readonly stats: NativeKernelStats = { runs: {}, sessionMs: {}, kernelMs: {}, sessionsCreated: 0, sessionCreateMs: 0 };
  /** Sessions by the fingerprint of their weights (equal weights share them across jobs), then by kind. */
  private readonly sessions = new Map<string, Map<string, OrtSession>>();
  /** Encoded models likewise, kept so that a released session is re-created without rebuilding its model. */
  private readonly models = new Map<string, Map<string, Uint8Array>>();
  private readonly objectiveSessions = new Map<number, OrtSession>();
  /** Host copies of per-scale constants (style samples, moments), by the tensor's buffer: tensors are immutable. */
  private readonly constants = new WeakMap<object, Float32Array>();
  readonly buffers = new HostBuffers();

  constructor(
    readonly ort: OrtRuntime,
    readonly options: OrtSessionOptions,
  ) {}

  /** The session `key` for the weights of fingerprint `weightsId`, built by `build` on first use. */
  sessionFor(weightsId: string, key: string, build: () => Uint8Array): OrtSession {
    let byKey = this.sessions.get(weightsId);
    if (!byKey) {
      // One set of weights at a time (a job's extractor): sessions of earlier weights are released.
      this.releaseSessions();
      this.sessions.set(weightsId, (byKey = new Map()));
    }
    let session = byKey.get(key);
    if (!session) {
      let models = this.models.get(weightsId);
      if (!models) this.models.set(weightsId, (models = new Map()));
      let model = models.get(key);
      if (!model) models.set(key, (model = build()));
      byKey.set(key, (session = this.create(() => model)));
    }
    return session;
  }

  /** Disposes one session (its arena with it); its model stays cached for the next use. */
  releaseSession(weightsId: string, key: string): void {
    const byKey = this.sessions.get(weightsId);
    byKey?.get(key)?.dispose();
    byKey?.delete(key);
  }

  private create(build: () => Uint8Array): OrtSession {
    const t0 = performance.now();
    const session = this.ort.createSession(build(), this.options);
    this.stats.sessionsCreated++;
    this.stats.sessionCreateMs += performance.now() - t0;
    return session;
  }

  /** Runs `session` for kernel `kernel`, counting it. */
  run(kernel: string, session: OrtSession, feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>): void {
    const t0 = performance.now();
    session.run(feeds, fetches);
    this.stats.runs[kernel] = (this.stats.runs[kernel] ?? 0) + 1;
    this.stats.sessionMs[kernel] = (this.stats.sessionMs[kernel] ?? 0) + performance.now() - t0;
  }

  /** The A-level objective session for `epsilon`. */
  objectiveSession(epsilon: number): OrtSession {
    let session = this.objectiveSessions.get(epsilon);
    if (!session) this.objectiveSessions.set(epsilon, (session = this.create(() => objectiveModel(epsilon))));
    return session;
  }

  /** The session of a model that needs no weights (e.g. a matrix product), by name. */
  plainSession(name: string, build: () => Uint8Array): OrtSession {
    let session = this.plainSessions.get(name);
    if (!session) this.plainSessions.set(name, (session = this.create(build)));
    return session;
  }

  private readonly plainSessions = new Map<string, OrtSession>();

  /** Releases the sessions (and their arenas) of `weightsId`, or all. */
  releaseSessions(weightsId?: string): void {
    for (const [id, byKey] of this.sessions) {
      if (weightsId !== undefined && id !== weightsId) continue;
      for (const s of byKey.values()) s.dispose();
      this.sessions.delete(id);
      this.models.delete(id);
    }
    if (weightsId === undefined) {
      for (const s of this.plainSessions.values()) s.dispose();
      this.plainSessions.clear();
      this.objectiveSessions.forEach((s) => s.dispose());
      this.objectiveSessions.clear();
      this.buffers.clear();
    }
  }

  /** The fingerprint of the weights a kernel got (computed once per weights tensor), and the weights when just read. */
  weightsOf(heap: WasmHeapBackend, preset: FeatureExtractorPreset, inputs: tf.NamedTensorInfoMap): { id: string; read: () => VggWeights } {
    const first = inputs[`${preset.layers.find((l) => l.kind === 'conv')!.name}/kernel`]!.dataId;
    let id = this.fingerprints.get(first);
    let weights: VggWeights | undefined;
    if (!id) {
      weights = readWeights(heap, preset, inputs);
      this.fingerprints.set(first, (id = `${preset.id}:${fingerprint(weights)}`));
    }
    return { id, read: () => weights ?? readWeights(heap, preset, inputs) };
  }

  private readonly fingerprints = new WeakMap<object, string>();

  /** A host copy of a constant tensor, made once. */
  constant(backend: WasmHeapBackend, info: tf.TensorInfo): Float32Array {
    let values = this.constants.get(info.dataId);
    if (!values) this.constants.set(info.dataId, (values = Float32Array.from(backend.typedArrayFromHeap(info))));
    return values;
  }
}

/** Copies a tensor from the wasm heap into the reused host buffer `role`. */
function hostCopy(state: NativeKernelState, backend: WasmHeapBackend, info: tf.TensorInfo, role: string): Float32Array {
  const view = backend.typedArrayFromHeap(info);
  const out = state.buffers.float(role, view.length);
  out.set(view);
  return out;
}

/** A new tensor on the wasm heap holding `values`. */
function heapTensor(backend: WasmHeapBackend, shape: number[], values: Float32Array): tf.TensorInfo {
  const info = backend.makeOutput(shape, 'float32');
  backend.typedArrayFromHeap(info).set(values);
  return info;
}

/** The VGG weights of a kernel's inputs (`<conv>/kernel` HWIO, `<conv>/bias`), read from the heap. */
function readWeights(backend: WasmHeapBackend, preset: FeatureExtractorPreset, inputs: tf.NamedTensorInfoMap): VggWeights {
  const out: Record<string, { kernel: Float32Array; bias: Float32Array }> = {};
  for (const layer of preset.layers) {
    if (layer.kind !== 'conv') continue;
    const read = (name: string) => Float32Array.from(backend.readSync(inputs[name]!.dataId));
    out[layer.name] = { kernel: read(`${layer.name}/kernel`), bias: read(`${layer.name}/bias`) };
  }
  return out;
}

/**
 * A fingerprint of weights (two 32-bit FNV-style hashes over every value's bits): equal weights in
 * two jobs share their sessions, so a process running many jobs builds and loads them once.
 */
function fingerprint(weights: VggWeights): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (const name of Object.keys(weights).sort()) {
    for (const values of [weights[name].kernel, weights[name].bias]) {
      const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
      for (let i = 0; i < bits.length; i++) {
        a = Math.imul(a ^ bits[i], 16777619);
        b = Math.imul(b ^ bits[i], 2246822519) ^ (b >>> 15);
      }
    }
  }
  return `${(a >>> 0).toString(16)}${(b >>> 0).toString(16)}`;
}

/** One set of locations to look up, with its mode. */
interface LookupSet {
  locations: Locations;
  mode: 'bilinear' | 'nearest';
}

/**
 * The corners of a lookup grouped by map position, for the backward's deterministic scatter-add:
 * `targets` `[U, 1]` (each position once, in order of first use) and `segments` `[U, K]` (the corners
 * at each position, in order, padded with `indices.length`: the zero row after the corners).
 */
export function cornerGroups(indices: BigInt64Array): { targets: BigInt64Array; segments: BigInt64Array; positions: number; depth: number } {
  const groups = new Map<bigint, number[]>();
  indices.forEach((position, corner) => {
    const group = groups.get(position);
    if (group) group.push(corner);
    else groups.set(position, [corner]);
  });
  const depth = Math.max(1, ...[...groups.values()].map((g) => g.length));
  const targets = new BigInt64Array(groups.size);
  const segments = new BigInt64Array(groups.size * depth).fill(BigInt(indices.length));
  let u = 0;
  for (const [position, corners] of groups) {
    targets[u] = position;
    corners.forEach((corner, k) => (segments[u * depth + k] = BigInt(corner)));
    u++;
  }
  return { targets, segments, positions: groups.size, depth };
}

/**
 * The lookup feeds of every tap for `sets` taken together: int64 flat positions `[4·n]` and weights
 * `[1, 4·n]`, corner-major over all n locations; a nearest lookup is four equal corners weighted 1, 0, 0, 0.
 * With `withGroups`, also each tap's {@link cornerGroups} (the backward's inputs).
 */
function lookupFeeds(
  state: NativeKernelState,
  preset: FeatureExtractorPreset,
  image: tf.TensorInfo,
  strides: readonly number[],
  sets: readonly LookupSet[],
  withGroups = false,
) {
  const [, height, width] = image.shape;
  const n = sets.reduce((k, s) => k + s.locations.rows.length, 0);
  const feeds: Record<string, OrtTensor> = {};
  tapNames(preset).forEach((tap, t) => {
    const stride = strides[t];
    const h = Math.floor(height / stride);
    const w = Math.floor(width / stride);
    const indices = state.buffers.int64(`lookup/${tap}/indices`, 4 * n);
    const weights = state.buffers.float(`lookup/${tap}/weights`, 4 * n);
    let offset = 0;
    for (const { locations, mode } of sets) {
      const count = locations.rows.length;
      if (mode === 'bilinear') {
        const b = bilinearNeighbours(locations, stride, h, w);
        for (let k = 0; k < 4; k++) {
          for (let i = 0; i < count; i++) {
            indices[k * n + offset + i] = BigInt(b.indices[k * count + i]);
            weights[k * n + offset + i] = b.weights[k * count + i];
          }
        }
      } else {
        const nearest = nearestIndices(locations, stride, h, w);
        for (let k = 0; k < 4; k++) {
          for (let i = 0; i < count; i++) {
            indices[k * n + offset + i] = BigInt(nearest[i]);
            weights[k * n + offset + i] = k === 0 ? 1 : 0;
          }
        }
      }
      offset += count;
    }
    const names = tapInputNames(tap);
    feeds[names.indices] = state.ort.tensor('int64', indices, [4 * n]);
    feeds[names.weights] = state.ort.tensor('float32', weights, [1, 4 * n]);
    if (withGroups) {
      const groups = cornerGroups(indices);
      feeds[names.targets] = state.ort.tensor('int64', groups.targets, [groups.positions, 1]);
      feeds[names.segments] = state.ort.tensor('int64', groups.segments, [groups.positions, groups.depth]);
    }
  });
  return { feeds, count: n };
}

/** Strides of the taps (raw RGB first), from the preset's pools. */
function tapStrides(preset: FeatureExtractorPreset): number[] {
  const strides = [1];
  let stride = 1;
  for (const layer of preset.layers) {
    if (layer.kind === 'pool') stride *= 2;
    else if (preset.taps.includes(layer.name)) strides.push(stride);
  }
  return strides;
}

/** Hypercolumn width of a preset: 3 + Σ tap channels. */
function hypercolumnWidth(preset: FeatureExtractorPreset): number {
  let d = 3;
  for (const layer of preset.layers) if (layer.kind === 'conv' && preset.taps.includes(layer.name)) d += layer.outChannels;
  return d;
}

/**
 * Above this many image pixels the lookup session is released after its run: it runs twice per
 * scale, and its arena (ONNX Runtime keeps what a run needed) would hold a whole VGG forward at the
 * largest size beside the iteration session's (≈1.5 GB at 1024 px).
 */
const RELEASE_LOOKUPS_ABOVE_PIXELS = 512 * 512;

/** StrotssHypercolumns: the VGG forward with every set's lookups, one session run; one `[n_k, d]` output per set. */
function hypercolumnsKernel(state: NativeKernelState): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeapBackend;
    const { preset, sets } = attrs as unknown as { preset: FeatureExtractorPreset; sets: LookupSet[] };
    const image = inputs.image as tf.TensorInfo;
    const { id, read } = state.weightsOf(heap, preset, inputs);
    const key = 'hypercolumns';
    const session = state.sessionFor(id, key, () => hypercolumnsModel(preset, read()));
    const { feeds, count } = lookupFeeds(state, preset, image, tapStrides(preset), sets);
    feeds.image = state.ort.tensor('float32', hostCopy(state, heap, image, 'image'), image.shape);
    const d = hypercolumnWidth(preset);
    const columns = state.buffers.float('columns', count * d);
    state.run(StrotssKernel.Hypercolumns, session, feeds, { columns: state.ort.tensor('float32', columns, [count, d]) });
    if (image.shape[1] * image.shape[2] > RELEASE_LOOKUPS_ABOVE_PIXELS) state.releaseSession(id, key);
    let offset = 0;
    return sets.map(({ locations }) => {
      const rows = locations.rows.length;
      const part = heapTensor(heap, [rows, d], columns.subarray(offset * d, (offset + rows) * d));
      offset += rows;
      return part;
    });
  };
}

/** α, max(α, 1), α + 2 rounded to float32 as TF.js rounds JS numbers. */
function alphaFeed(state: NativeKernelState, alpha: number): OrtTensor {
  return state.ort.tensor('float32', Float32Array.of(alpha, Math.max(alpha, 1), alpha + 2), [3]);
}

/** The style inputs of region `suffix` as feeds (host copies made once per tensor). */
function styleFeeds(state: NativeKernelState, heap: WasmHeapBackend, inputs: tf.NamedTensorInfoMap, suffix: string): Record<string, OrtTensor> {
  const feeds: Record<string, OrtTensor> = {};
  for (const name of STYLE_INPUTS) {
    const info = inputs[`${name}${suffix}`] as tf.TensorInfo;
    feeds[`${name}${suffix}`] = state.ort.tensor('float32', state.constant(heap, info), info.shape);
  }
  return feeds;
}

/** StrotssObjective: the terms of A and dLoss/dA, one session run. */
function objectiveKernel(state: NativeKernelState): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeapBackend;
    const { alpha, epsilon } = attrs as unknown as { alpha: number; epsilon: number };
    const A = inputs.A as tf.TensorInfo;
    const C = inputs.C as tf.TensorInfo;
    const feeds: Record<string, OrtTensor> = {
      A: state.ort.tensor('float32', hostCopy(state, heap, A, 'A'), A.shape),
      C: state.ort.tensor('float32', hostCopy(state, heap, C, 'C'), C.shape),
      alpha: alphaFeed(state, alpha),
      ...styleFeeds(state, heap, inputs, ''),
    };
    const terms = state.buffers.float('terms', 5);
    const gradA = state.buffers.float('gradA', A.shape[0] * A.shape[1]);
    state.run(StrotssKernel.Objective, state.objectiveSession(epsilon), feeds, {
      terms: state.ort.tensor('float32', terms, [5]),
      gradA: state.ort.tensor('float32', gradA, A.shape),
    });
    return [heapTensor(heap, [5], terms), heapTensor(heap, [...A.shape], gradA)];
  };
}

/** StrotssImageObjective: the VGG forward, lookups, every region's terms and the whole backward, one session run. */
function imageObjectiveKernel(state: NativeKernelState): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const heap = backend as unknown as WasmHeapBackend;
    const { preset, locations, alpha, epsilon } = attrs as unknown as {
      preset: FeatureExtractorPreset;
      locations: Locations[];
      alpha: number;
      epsilon: number;
    };
    const image = inputs.image as tf.TensorInfo;
    const regions = locations.length;
    const { id, read } = state.weightsOf(heap, preset, inputs);
    const session = state.sessionFor(id, `image-objective/${regions}/${epsilon}`, () => imageObjectiveModel(preset, read(), regions, epsilon));
    const sets = locations.map((l) => ({ locations: l, mode: 'bilinear' as const }));
    const { feeds } = lookupFeeds(state, preset, image, tapStrides(preset), sets, true);
    feeds.image = state.ort.tensor('float32', hostCopy(state, heap, image, 'image'), image.shape);
    feeds.regionSizes = state.ort.tensor('int64', BigInt64Array.from(locations, (l) => BigInt(l.rows.length)), [regions]);
    feeds.alpha = alphaFeed(state, alpha);
    for (let r = 0; r < regions; r++) {
      const C = inputs[`C${r}`] as tf.TensorInfo;
      feeds[`C${r}`] = state.ort.tensor('float32', hostCopy(state, heap, C, `C${r}`), C.shape);
      Object.assign(feeds, styleFeeds(state, heap, inputs, String(r)));
    }
    const terms = state.buffers.float('terms', 5);
    const gradImage = state.buffers.float('gradImage', image.shape.reduce((a, b) => a * b, 1));
    state.run(StrotssKernel.ImageObjective, session, feeds, {
      terms: state.ort.tensor('float32', terms, [5]),
      gradImage: state.ort.tensor('float32', gradImage, image.shape),
    });
    return [heapTensor(heap, [5], terms), heapTensor(heap, [...image.shape], gradImage)];
  };
}

/**
 * StrotssMatMulAtB / StrotssMatMulABt on MLAS (the style covariance, 2179²·5000 once per scale, took
 * ≈1 s on wasm's kernels): MLAS accumulates in blocks, as accurate as the cpu backend's products.
 */
function matMulKernel(state: NativeKernelState, transposeA: boolean): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const heap = backend as unknown as WasmHeapBackend;
    const a = inputs.a as tf.TensorInfo;
    const b = inputs.b as tf.TensorInfo;
    const shape = transposeA ? [a.shape[1], b.shape[1]] : [a.shape[0], b.shape[0]];
    const name = transposeA ? StrotssKernel.MatMulAtB : StrotssKernel.MatMulABt;
    const product = state.buffers.float('product', shape[0] * shape[1]);
    state.run(name, state.plainSession(name, () => matMulModel(transposeA)), {
      a: state.ort.tensor('float32', hostCopy(state, heap, a, 'a'), a.shape),
      b: state.ort.tensor('float32', hostCopy(state, heap, b, 'b'), b.shape),
    }, { product: state.ort.tensor('float32', product, shape) });
    return heapTensor(heap, shape, product);
  };
}

/** Registers the native kernels for TF.js backend `backendName`. */
export function registerNativeKernels(backendName: string, state: NativeKernelState): void {
  const kernels: Record<string, tf.KernelFunc> = {
    [StrotssKernel.Hypercolumns]: hypercolumnsKernel(state),
    [StrotssKernel.Objective]: objectiveKernel(state),
    [StrotssKernel.ImageObjective]: imageObjectiveKernel(state),
    [StrotssKernel.MatMulAtB]: matMulKernel(state, true),
    [StrotssKernel.MatMulABt]: matMulKernel(state, false),
  };
  for (const [kernelName, run] of Object.entries(kernels)) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    const kernelFunc: tf.KernelFunc = (args) => {
      const t0 = performance.now();
      try {
        return run(args);
      } finally {
        state.stats.kernelMs[kernelName] = (state.stats.kernelMs[kernelName] ?? 0) + performance.now() - t0;
      }
    };
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}
