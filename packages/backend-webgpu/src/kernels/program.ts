// Custom WGSL programs run through TF.js' WebGPU backend (`runWebGPUProgram`): the STROTSS image
// objective as a few dozen dispatches instead of hundreds (GPU speed issue). Each program is one
// thread per element of a thread range; sizes and constants are baked into the shader text (and
// its cache key), so a scale compiles its programs once.
import { tf } from '@strotss/core';

/** The part of tfjs-backend-webgpu's WebGPUProgram these programs fill in. */
interface RawProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  variableNames: string[];
  size: boolean;
  getUserCode: () => string;
}

/** The WebGPU backend's program runner (tfjs-backend-webgpu's WebGPUBackend). */
export interface ProgramBackend {
  runWebGPUProgram(program: RawProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
}

const WORKGROUP = 64;

/** One program: named inputs (buffers `array<f32>` / `array<i32>` by dtype), `threads` threads, an output shape. */
export interface ProgramSpec {
  /** Shader name; with `constants` it is the pipeline cache key. */
  name: string;
  inputs: Record<string, tf.Tensor>;
  outputShape: number[];
  /** Threads to run (default: one per output element); thread `t` runs `body` with `t: i32`. */
  threads?: number;
  /** WGSL constants, declared before `body` (integers as i32, others as f32 unless given as `['f32', v]`). */
  constants?: Record<string, number | readonly ['f32' | 'i32', number]>;
  /** WGSL helper functions used by `body`. */
  helpers?: string;
  /** WGSL statements; write the output as `result[k] = …`. */
  body: string;
}

/** A WGSL literal of `v` as type `type`. */
function literal(v: number, type: 'f32' | 'i32'): string {
  if (type === 'i32') return `${Math.trunc(v)}i`;
  if (!Number.isFinite(v)) throw new RangeError(`a WGSL constant must be finite, got ${v}`);
  const s = String(v);
  return `f32(${/[.e]/.test(s) ? s : `${s}.0`})`;
}

/** The WGSL `const` declarations of `constants`. */
function constantDecls(constants: NonNullable<ProgramSpec['constants']>): string {
  return Object.entries(constants)
    .map(([name, c]) => {
      const [type, v] = typeof c === 'number' ? [Number.isInteger(c) ? 'i32' : 'f32', c] : c;
      return `const ${name}: ${type} = ${literal(v, type as 'f32' | 'i32')};`;
    })
    .join('\n');
}

/** Helpers every program may use: NaN test by bits (WGSL may fold `x != x`). */
const COMMON = `
fn isNanF(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
`;

/** Runs `spec` on the active WebGPU backend and returns its float32 output as a tensor. */
export function runProgram(backend: ProgramBackend, spec: ProgramSpec): tf.Tensor {
  const names = Object.keys(spec.inputs);
  const threads = spec.threads ?? spec.outputShape.reduce((a, b) => a * b, 1);
  const decls = `${constantDecls(spec.constants ?? {})}\nconst THREADS: i32 = ${threads}i;`;
  const program: RawProgram = {
    outputShape: spec.outputShape,
    shaderKey: `strotss_${spec.name}|${decls}`,
    dispatchLayout: { x: spec.outputShape.map((_, i) => i) },
    dispatch: [Math.max(1, Math.ceil(threads / WORKGROUP)), 1, 1],
    workgroupSize: [WORKGROUP, 1, 1],
    variableNames: names,
    size: false,
    // Every binding is used (phony reads): the pipeline's 'auto' layout drops unused ones, and the
    // backend binds all inputs and its uniforms.
    getUserCode: () =>
      `${decls}\n${COMMON}\n${spec.helpers ?? ''}\nfn main(t: i32) {\n  _ = uniforms.NAN;\n${names.map((n) => `  _ = ${n}[0];`).join('\n')}\n  if (t >= THREADS) { return; }\n${spec.body}\n}\n`,
  };
  const inputs = names.map((n) => spec.inputs[n] as unknown as tf.TensorInfo);
  const info = backend.runWebGPUProgram(program, inputs, 'float32');
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** Kernel outputs made as tensors handed to the engine as TensorInfos: one more reference each, then ours released. */
export function handOver(backend: unknown, outputs: tf.Tensor[]): tf.TensorInfo[] {
  const b = backend as { incRef(dataId: object): void };
  return outputs.map((t) => {
    b.incRef(t.dataId);
    const info = { dataId: t.dataId, shape: t.shape, dtype: t.dtype };
    t.dispose();
    return info;
  });
}
