// How much memory each Node backend needs for a job, and what it may use: the checks a backend runs
// before a job starts (StrotssBackend.checkWorkload), so that a job too large fails at once with
// the size that fits instead of minutes later (bench/RESULTS.md, "Memory model": the measurements).
import { totalmem } from 'node:os';
import { checkWorkloadMemory, type BackendWorkload, type MemoryModel } from '@strotss/core';

const GiB = 2 ** 30;

/**
 * wasm: peak heap of one-scale runs measured at 128…768 px (4:3, VGG16) and 512 px (square,
 * VGG19): ≈1.1 GiB fixed (weights, style samples, content table, TF.js) plus up to 2.4 copies of the
 * VGG activations (the forward's saved tensors and the backward's gradients).
 */
export const WASM_MEMORY: MemoryModel = { fixedBytes: 1.1 * GiB, activationCopies: 2.4 };

/** What of wasm32's 4 GiB address space a job may use (the heap also holds the module and fragments). */
export const WASM_HEAP_LIMIT = 3.75 * GiB;

/**
 * native: peak RSS of one-scale runs measured at 256…2048 px (4:3, VGG16): ≈3 GiB fixed (ONNX
 * Runtime sessions with their packed weights, the loss side's N×M matrices, the wasm heap of the
 * small operations) plus ≈2 copies of the VGG activations (forward with 1-byte ReLU masks, backward).
 */
export const NATIVE_MEMORY: MemoryModel = { fixedBytes: 3 * GiB, activationCopies: 2 };

/** cpu (and tensorflow, unmeasured): TF.js keeps every saved tensor as a JS typed array; taken as wasm's plus a margin. */
export const JS_MEMORY: MemoryModel = { fixedBytes: 1.2 * GiB, activationCopies: 3 };

/** The share of the machine's memory a job may take on backends without a memory cap of their own. */
const MACHINE_SHARE = 0.9;

/** Throws, before a job runs, when it would not fit the wasm backend's heap. */
export function checkWasmWorkload(workload: BackendWorkload): void {
  checkWorkloadMemory(workload, {
    model: WASM_MEMORY,
    limitBytes: WASM_HEAP_LIMIT,
    limitName: "the wasm backend's memory (WebAssembly addresses at most 4 GiB)",
    alternative: (w) => `or use the native backend (${w.option('backend') ?? 'backend'} native), whose memory is not capped`,
  });
}

/** Throws, before a job runs, when it would need more than 90 % of this machine's memory under `model`. */
export function checkMachineWorkload(workload: BackendWorkload, model: MemoryModel, backend: string, machineBytes = totalmem()): void {
  checkWorkloadMemory(workload, {
    model,
    limitBytes: MACHINE_SHARE * machineBytes,
    limitName: `90 % of this machine's memory for the ${backend} backend`,
  });
}
