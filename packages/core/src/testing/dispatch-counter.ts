// Counts what a backend is asked to do, without a GPU and without TF.js' profiler (whose timing
// queries and checks would add reads of their own): kernels dispatched through TF.js' kernel
// registry, GPU programs where the backend has them, and reads of tensor data back to the host.
// Used by bench/kernel-count.ts (GPU speed issue: kernels and blocking reads per iteration).
import { tf } from '../tfjs.js';

/** Counts since the counter was installed (or last reset). */
export interface DispatchCounts {
  /** Kernel calls that ran no other kernel: what the backend itself executes. */
  kernels: number;
  /** Kernel calls made of other kernels (TF.js composites, the core's named kernels' plain defaults). */
  composites: number;
  /** Compute programs the backend dispatched (webgpu's runWebGPUProgram); undefined where it has none. */
  programs?: number;
  /** Synchronous reads to the host (`dataSync`, `readSync`): each one waits for the device. */
  syncReads: number;
  /** Asynchronous reads (`data()`); blocking only when the caller awaits them at once. */
  asyncReads: number;
  /** Leaf kernel calls by kernel name. */
  byKernel: Record<string, number>;
}

interface CountedBackend {
  readSync?: (dataId: object) => unknown;
  read?: (dataId: object) => Promise<unknown>;
  runWebGPUProgram?: (...args: unknown[]) => unknown;
}

/**
 * Wraps every kernel registered for `backendName` and the backend's read methods with counters.
 * Kernels registered after `install` are not counted: install after a warm-up run, once the
 * lazily registered kernels exist. `uninstall()` puts everything back.
 */
export class DispatchCounter {
  private counts: DispatchCounts = emptyCounts();
  private readonly restore: Array<() => void> = [];
  /** Kernels below the current one, per nesting level: a call with none is a leaf. */
  private readonly stack: number[] = [];
  /** Inside a counted read or program: nested calls are parts of it. */
  private reading = false;

  private constructor(readonly backendName: string) {}

  static install(backendName: string): DispatchCounter {
    const backend = tf.findBackend(backendName) as unknown as CountedBackend | null;
    if (!backend) throw new Error(`DispatchCounter: backend "${backendName}" is not initialised (call tf.setBackend or resolveBackend first)`);
    const counter = new DispatchCounter(backendName);
    for (const config of tf.getKernelsForBackend(backendName)) counter.wrapKernel(config);
    counter.wrapMethod(backend, 'readSync', () => counter.counts.syncReads++);
    counter.wrapMethod(backend, 'read', () => counter.counts.asyncReads++);
    if (typeof backend.runWebGPUProgram === 'function') {
      counter.counts.programs = 0;
      counter.wrapMethod(backend, 'runWebGPUProgram', () => (counter.counts.programs = (counter.counts.programs ?? 0) + 1));
    }
    return counter;
  }

  /** The counts so far (a copy). */
  snapshot(): DispatchCounts {
    return { ...this.counts, byKernel: { ...this.counts.byKernel } };
  }

  reset(): void {
    const programs = this.counts.programs === undefined ? undefined : 0;
    this.counts = { ...emptyCounts(), programs };
  }

  uninstall(): void {
    for (const undo of this.restore.splice(0).reverse()) undo();
  }

  private wrapKernel(config: tf.KernelConfig): void {
    const { kernelName, backendName, kernelFunc } = config;
    const counted: tf.KernelFunc = (params) => {
      if (this.stack.length > 0) this.stack[this.stack.length - 1]++;
      this.stack.push(0);
      try {
        return kernelFunc(params);
      } finally {
        const inner = this.stack.pop()!;
        if (inner > 0) this.counts.composites++;
        else {
          this.counts.kernels++;
          this.counts.byKernel[kernelName] = (this.counts.byKernel[kernelName] ?? 0) + 1;
        }
      }
    };
    tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc: counted });
    this.restore.push(() => {
      tf.unregisterKernel(kernelName, backendName);
      tf.registerKernel(config);
    });
  }

  private wrapMethod(target: CountedBackend, name: keyof CountedBackend, count: () => void): void {
    const original = target[name] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof original !== 'function') return;
    const own = Object.prototype.hasOwnProperty.call(target, name);
    // The wrapper keeps the backend as `this`; the counter is reached through this name.
    const counter = this;
    (target as Record<string, unknown>)[name] = function (this: unknown, ...args: unknown[]) {
      // wasm's and cpu's read() call readSync(): one read, counted once, as what the caller asked for.
      if (counter.reading) return original.apply(this, args);
      count();
      counter.reading = true;
      try {
        return original.apply(this, args);
      } finally {
        counter.reading = false;
      }
    };
    this.restore.push(() => {
      if (own) (target as Record<string, unknown>)[name] = original;
      else delete (target as Record<string, unknown>)[name];
    });
  }
}

function emptyCounts(): DispatchCounts {
  return { kernels: 0, composites: 0, syncReads: 0, asyncReads: 0, byKernel: {} };
}
