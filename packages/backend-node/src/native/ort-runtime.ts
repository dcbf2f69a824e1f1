// onnxruntime-node, loaded lazily (an optional dependency) and driven synchronously: TF.js kernels
// are synchronous, and onnxruntime-node's session API only wraps synchronous native calls in
// promises. We call the same native session object that its InferenceSession uses.
import { createRequire } from 'node:module';
import { importFailureReason } from '@strotss/core';

const require = createRequire(import.meta.url);

/** The onnxruntime-node version the native backend is written and tested against. */
export const ORT_VERSION = '1.30.0';

/** A tensor as onnxruntime-node passes it: element type, dims and a (non-shared) typed array. */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Float32Array | BigInt64Array | Uint8Array;
}

/** onnxruntime-node's native session: what InferenceSession.create and run call underneath. */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>, options: object): Record<string, OrtTensor>;
  dispose?(): void;
  readonly inputMetadata: ReadonlyArray<{ name: string }>;
  readonly outputMetadata: ReadonlyArray<{ name: string }>;
}

/** The loaded runtime: a session factory and the Tensor class. */
export interface OrtRuntime {
  version: string;
  createSession(model: Uint8Array, options: OrtSessionOptions): OrtSession;
  tensor(type: 'float32' | 'int64' | 'bool', data: Float32Array | BigInt64Array | Uint8Array, dims: readonly number[]): OrtTensor;
}

/** Settings of every session (onnxruntime's SessionOptions, CPU execution provider). */
export interface OrtSessionOptions {
  /** Intra-op threads (MLAS). */
  threads: number;
  /** Let idle pool threads spin between parallel sections (faster, but takes CPU from other work). */
  spinning: boolean;
}

/** One loaded graph: run it with inputs and (preallocated) outputs. */
export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph; outputs given as tensors are written in place, `null` ones are returned fresh. */
  run(feeds: Record<string, OrtTensor>, fetches: Record<string, OrtTensor | null>): Record<string, OrtTensor>;
  dispose(): void;
}

let loading: { runtime?: OrtRuntime; reason?: string } | undefined;

/** Loads onnxruntime-node once; returns the runtime or why it cannot be used here. */
export function loadOrtRuntime(): { runtime?: OrtRuntime; reason?: string } {
  return (loading ??= tryLoad());
}

function tryLoad(): { runtime?: OrtRuntime; reason?: string } {
  let version: string;
  let binding: { InferenceSession: new () => NativeSession };
  let initOrt: () => void;
  let Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  try {
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
    ({ Tensor } = require('onnxruntime-node') as { Tensor: typeof Tensor });
    ({ binding, initOrt } = require('onnxruntime-node/dist/binding.js') as { binding: typeof binding; initOrt: () => void });
  } catch (error) {
    return { reason: importFailureReason('onnxruntime-node', error) };
  }
  if (typeof binding?.InferenceSession !== 'function' || typeof initOrt !== 'function') {
    return { reason: `onnxruntime-node ${version} has an unexpected native binding; install onnxruntime-node@${ORT_VERSION}` };
  }
  try {
    initOrt();
  } catch (error) {
    return { reason: `onnxruntime-node ${version} is installed but its native library failed to load: ${String((error as Error)?.message ?? error).split('\n')[0]}` };
  }
  return {
    runtime: {
      version,
      tensor: (type, data, dims) => new Tensor(type, data, dims),
      createSession: (model, options) => openSession(binding, model, options),
    },
  };
}

function openSession(binding: { InferenceSession: new () => NativeSession }, model: Uint8Array, options: OrtSessionOptions): OrtSession {
  const session = new binding.InferenceSession();
  session.loadModel(model.buffer, model.byteOffset, model.byteLength, {
    executionProviders: [{ name: 'cpu' }],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    enableCpuMemArena: true,
    // Lookup groups change shape every iteration: a memory pattern (planned per input shape) never repeats.
    enableMemPattern: false,
    extra: { session: { intra_op: { allow_spinning: options.spinning ? '1' : '0' } } },
  });
  return {
    inputNames: session.inputMetadata.map((m) => m.name),
    outputNames: session.outputMetadata.map((m) => m.name),
    run: (feeds, fetches) => session.run(feeds, fetches, {}),
    dispose: () => session.dispose?.(),
  };
}
