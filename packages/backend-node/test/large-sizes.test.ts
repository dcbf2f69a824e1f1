// Large outputs (docs/guide/large-images.md): every Node backend checks a job's size before it runs, and
// a size it cannot hold is refused naming the largest size that fits (which it then takes). Pure
// arithmetic over the measured memory models: nothing is allocated.
import { describe, expect, it } from 'vitest';
import { FEATURE_EXTRACTORS, listBackends, scaleSchedule, WorkloadTooLargeError, type BackendWorkload } from '@strotss/core';
import { checkMachineWorkload, JS_MEMORY, NATIVE_MEMORY, WASM_HEAP_LIMIT } from '../src/index.js';

/** A 4:3 VGG16 job at long side `size` (the images of the benchmarks: 1024×768 at 1024 px). */
function workload(size: number): BackendWorkload {
  return {
    size,
    channels: 64,
    bytesPerElement: 4,
    model: FEATURE_EXTRACTORS.vgg16,
    imagesAt: (long) => [{ label: 'content', width: long, height: Math.trunc((long * 3) / 4) }],
  };
}

/** The error `check` throws for `size`, or undefined when it takes the job. */
function refusal(check: (w: BackendWorkload) => void, size: number): WorkloadTooLargeError | undefined {
  try {
    check(workload(size));
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(WorkloadTooLargeError);
    return e as WorkloadTooLargeError;
  }
}

const GiB = 2 ** 30;

describe('sizes up to 2048 px and beyond', () => {
  it('the default schedule of 1024 and 2048 px has 5 and 6 scales, halving down to 64 px', () => {
    const sides = (size: number) => scaleSchedule({ size, contentWeight: 1, iterations: 1 }).map((s) => s.longSide);
    expect(sides(1024)).toEqual([64, 128, 256, 512, 1024]);
    expect(sides(2048)).toEqual([64, 128, 256, 512, 1024, 2048]);
  });

  const backends = listBackends().filter((b) => b.checkWorkload);
  it('every Node backend has a size check (tensorflow, native, wasm, cpu)', () => {
    expect(backends.map((b) => b.id).sort()).toEqual(['cpu', 'native', 'tensorflow', 'wasm']);
  });

  for (const backend of backends) {
    it(`${backend.id}: a size it cannot hold is refused naming the largest size that fits, and that size is taken`, () => {
      const error = refusal((w) => backend.checkWorkload!(w), 100_000)!;
      expect(error).toBeDefined();
      const fits = error.details.fits!;
      expect(fits).toBeGreaterThan(64);
      expect(refusal((w) => backend.checkWorkload!(w), fits)).toBeUndefined();
      expect(refusal((w) => backend.checkWorkload!(w), fits + 1)).toBeDefined();
      expect(error.message).toContain(`size 100000 is too large here: the content image becomes 100000×75000 at the last scale`);
      expect(error.message).toContain(`Use size ${fits} or less`);
      expect(error.describe({ option: (n) => `--${n}`, input: (_n, d) => d })).toContain(`Use --size ${fits} or less`);
    });
  }

  it('wasm holds 1024 px (4:3) but not 2048, and names a size between them', () => {
    const wasm = backends.find((b) => b.id === 'wasm')!;
    expect(refusal((w) => wasm.checkWorkload!(w), 1024)).toBeUndefined();
    const fits = refusal((w) => wasm.checkWorkload!(w), 2048)!.details.fits!;
    expect(fits).toBeGreaterThan(1024);
    expect(fits).toBeLessThan(2048);
    expect(WASM_HEAP_LIMIT).toBe(3.75 * GiB);
  });

  it('native takes 2048 px on an 11 GiB machine (measured 9.7 GiB peak), cpu does not; on an 8 GiB one native names the size that fits', () => {
    expect(refusal((w) => checkMachineWorkload(w, NATIVE_MEMORY, 'native', 11 * GiB), 2048)).toBeUndefined();
    const small = refusal((w) => checkMachineWorkload(w, NATIVE_MEMORY, 'native', 8 * GiB), 2048)!;
    expect(small.message).toMatch(/the job needs about 9\.\d GiB, over 90 % of this machine's memory for the native backend \(7\.2 GiB\)\. Use size 1\d{3} or less\./);
    const cpu = refusal((w) => checkMachineWorkload(w, JS_MEMORY, 'cpu', 11 * GiB), 2048)!;
    expect(cpu.details.fits).toBeLessThan(2048);
  });
});
