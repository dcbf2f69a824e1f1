// Multi-threaded TF.js WebAssembly in Node.
//
// @tensorflow/tfjs-backend-wasm ships a pthreads build (XNNPACK over a pthreadpool) but cannot
// start it in Node: it hands Emscripten `blob:` URLs for the worker script and for its own
// source, which Node's worker_threads cannot load. The Emscripten glue itself supports Node
// (its worker reads a plain file path with fs), so we start the same module with real files:
// the worker script written once to a cache folder, the module's own .js by path.
//
// Two more details of the prebuilt module: its thread count is capped at
// emscripten_num_logical_cores() / 2, read once while the module instantiates (Node's
// os.cpus().length), so a 2-core machine gets 1 thread; and it pre-spawns 8 workers, so at most
// 8 threads are usable. We report the wanted number of logical cores while it instantiates.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { tf } from '@strotss/core';

const require = createRequire(import.meta.url);

/** The most threads the prebuilt module can run (it pre-spawns eight workers). */
export const MAX_WASM_THREADS = 8;

/** The priority tfjs-backend-wasm registers 'wasm' with in TF.js' own registry. */
const WASM_TFJS_PRIORITY = 2;

/** The tfjs wasm module object, as BackendWasm expects it (Emscripten module + a `tfjs` bridge). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type WasmModule = any;

/** Threads to use by default: every core this process may use, capped at {@link MAX_WASM_THREADS}. */
export function defaultWasmThreads(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.STROTSS_WASM_THREADS;
  if (raw != null && raw !== '') return parseWasmThreads(raw, 'STROTSS_WASM_THREADS');
  return Math.min(MAX_WASM_THREADS, Math.max(1, availableParallelism()));
}

/** Validates a thread count (1…8); throws an error naming the value and the range. */
export function parseWasmThreads(value: string | number, label = 'threads'): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new Error(`${label} must be an integer from 1 to ${MAX_WASM_THREADS}, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** Writes `contents` to `path` unless an identical file is there (temp file + rename: concurrent processes never see a partial file). */
async function writeOnce(path: string, contents: string): Promise<void> {
  try {
    if ((await readFile(path, 'utf8')) === contents) return;
  } catch {
    // absent: write it
  }
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, contents);
  await rename(tmp, path);
}

/**
 * Instantiates the threaded SIMD module of @tensorflow/tfjs-backend-wasm in Node with
 * `threads` threads and returns it ready for `new BackendWasm(module)`.
 */
export async function instantiateThreadedWasm(threads: number): Promise<WasmModule> {
  parseWasmThreads(threads);
  const packageDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const version = (require('@tensorflow/tfjs-backend-wasm/package.json') as { version: string }).version;
  const modulePath = join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const factory = require(modulePath) as (config: object) => Promise<WasmModule>;
  const { wasmWorkerContents } = require(join(packageDir, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // The worker source is kept as a JS string literal whose "\n" escapes became real newlines
  // inside string literals; escape them back so the file parses.
  const workerPath = join(tmpdir(), `strotss-tfjs-wasm-${version}`, 'threaded-simd.worker.cjs');
  await writeOnce(workerPath, wasmWorkerContents.replace(/\n/g, '\\n'));

  const os = require('node:os') as typeof import('node:os');
  const realCpus = os.cpus;
  const cpu = realCpus()[0];
  os.cpus = () => new Array(2 * threads).fill(cpu);
  let module: WasmModule;
  try {
    module = await factory({
      locateFile: (path: string, prefix: string) => {
        if (path.endsWith('.worker.js')) return workerPath;
        if (path.endsWith('.wasm')) return join(packageDir, 'wasm-out', path);
        return prefix + path;
      },
      mainScriptUrlOrBlob: modulePath,
    });
  } finally {
    os.cpus = realCpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  return module;
}

/** The parts of @tensorflow/tfjs-backend-wasm this file uses. */
interface TfjsWasmPackage {
  BackendWasm: new (module: WasmModule) => tf.KernelBackend;
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

/**
 * Replaces TF.js' 'wasm' backend factory with one that runs the threaded module with `threads`
 * threads (the kernels registered for 'wasm' stay as they are), selects it, and returns the
 * number of threads XNNPACK actually runs.
 */
export async function activateThreadedWasm(wasmPackage: TfjsWasmPackage, threads: number): Promise<number> {
  const module = await instantiateThreadedWasm(threads);
  // removeBackend disposes an already-initialised single-threaded instance (and its tensors).
  const original = tf.findBackendFactory('wasm');
  if (original != null) tf.removeBackend('wasm');
  wasmPackage.setThreadsCount(threads);
  tf.registerBackend('wasm', () => new wasmPackage.BackendWasm(module), WASM_TFJS_PRIORITY);
  if (!(await tf.setBackend('wasm'))) {
    tf.removeBackend('wasm');
    if (original != null) tf.registerBackend('wasm', original, WASM_TFJS_PRIORITY);
    throw new Error('the threaded wasm backend failed to initialise');
  }
  // XNNPACK's pool threads are Node workers that Emscripten keeps referenced while they run
  // (they wait for work forever): unreferenced, they no longer keep the process alive after
  // the last job, and Node ends them at exit.
  const pthread = module.PThread as { runningWorkers: Array<{ unref?(): void }>; unusedWorkers: Array<{ unref?(): void }> };
  for (const worker of [...pthread.runningWorkers, ...pthread.unusedWorkers]) worker.unref?.();
  return wasmPackage.getThreadsCount();
}
