import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { WorkloadTooLargeError, listBackends, resolveBackend, stylize, tf, VGG16, type BackendWorkload } from '@strotss/core';
import { readImageFile } from '@strotss/backend-node';
import { checkActivationFits, createWebGpuBackend, largestActivation, softwareAdapterName } from '@strotss/backend-webgpu';
import { dawnAdapterSource, parseDawnAdapterKind } from '../src/dawn-adapter-source.js';
import { sharedDir } from '../../../test-support/reference-parity.js';
import { webgpuSkipReason } from '../../../test-support/webgpu.js';

/** A workload of one `w × h` image (scaled like the core does), 64 float32 channels. */
function workload(size: number, w: number, h: number): BackendWorkload {
  return {
    size,
    channels: 64,
    bytesPerElement: 4,
    model: VGG16,
    imagesAt: (long) => {
      const f = long / Math.max(w, h);
      return [{ label: 'content', width: Math.trunc(w * f), height: Math.trunc(h * f) }];
    },
  };
}

describe('activation limits', () => {
  const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 2 ** 31 };

  it('accepts what fits and returns its bytes', () => {
    expect(checkActivationFits(workload(512, 1024, 768), limits, 'test adapter')).toBe(64 * 384 * 512 * 4);
  });

  it('refuses a 1024×768 64-channel activation over 128 MiB, naming the largest size that fits', () => {
    let error: unknown;
    try {
      checkActivationFits(workload(1024, 1024, 768), limits, 'test adapter');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WorkloadTooLargeError);
    const message = (error as Error).message;
    expect(message).toMatch(/size is 1024: the content image becomes 1024×768 .* needs 192\.0 MiB .* maxStorageBufferBindingSize of 128\.0 MiB \(test adapter\)/);
    const fits = Number(/Lower size to (\d+) or less/.exec(message)?.[1]);
    expect((error as WorkloadTooLargeError).details).toMatchObject({ option: 'size', value: 1024, fits });
    // Worded for the CLI, the same error names the flags.
    const cli = (error as WorkloadTooLargeError).describe({ option: (n) => `--${n}`, input: (_n, d) => d });
    expect(cli).toContain(`Lower --size to ${fits} or less`);
    expect(largestActivation(workload(fits, 1024, 768), fits).bytes).toBeLessThanOrEqual(limits.maxStorageBufferBindingSize);
    expect(largestActivation(workload(fits + 1, 1024, 768), fits + 1).bytes).toBeGreaterThan(limits.maxStorageBufferBindingSize);
  });

  it('uses maxBufferSize when that is the smaller limit', () => {
    expect(() => checkActivationFits(workload(1024, 1024, 768), { maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 64 * 2 ** 20 }, 'x')).toThrow(
      /maxBufferSize of 64\.0 MiB/,
    );
  });
});

describe('adapter selection', () => {
  it('rejects an unknown STROTSS_WEBGPU_ADAPTER, naming the choices', () => {
    expect(() => parseDawnAdapterKind('metal')).toThrow("STROTSS_WEBGPU_ADAPTER is 'metal'; use one of auto, any, gpu, opengles, swiftshader.");
    expect(parseDawnAdapterKind(undefined)).toBe('auto');
    expect(parseDawnAdapterKind(' OpenGLES ')).toBe('opengles');
  });

  it('says the webgpu package is not installed when it cannot be imported', async () => {
    const absent = Object.assign(new Error("Cannot find package 'webgpu' imported from /x.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    const backend = createWebGpuBackend({
      adapterSource: dawnAdapterSource({ importModule: async (s) => (s === 'webgpu' ? Promise.reject(absent) : import(s)) }),
    });
    expect(await backend.isSupported()).toBe(false);
    expect(await backend.unsupportedReason?.()).toBe('webgpu is not installed (npm install webgpu)');
    await expect(backend.init()).rejects.toThrow('webgpu is not installed');
  });

  it('is registered as webgpu, priority 25: after tensorflow, before native and wasm', async () => {
    await import('@strotss/backend-node');
    expect(listBackends().map((b) => `${b.id}:${b.priority}`)).toEqual(['tensorflow:30', 'webgpu:25', 'native:22', 'wasm:20', 'cpu:10']);
  });
});

/** The limits of the device under the active tfjs 'webgpu' backend. */
const deviceLimits = () => (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device.limits;

const skip = await webgpuSkipReason('WebGPU device tests');
describe.skipIf(skip != null)('on a Dawn adapter', () => {
  it('opens the device with the adapter maximum buffer limits', async () => {
    const choice = await dawnAdapterSource({ kind: 'any' }).find();
    await resolveBackend('webgpu');
    for (const name of ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage']) {
      expect(deviceLimits()[name], name).toBe(choice.adapter.limits[name]);
    }
  });

  it('finds SwiftShader when asked for it (STROTSS_WEBGPU_ADAPTER=swiftshader)', async () => {
    const icd = '/usr/lib/chromium/vk_swiftshader_icd.json';
    if (!existsSync(icd)) {
      console.warn(`[webgpu] SwiftShader selection not tested: ${icd} is absent (chromium not installed)`);
      return;
    }
    const choice = await dawnAdapterSource({ env: { STROTSS_WEBGPU_ADAPTER: 'swiftshader' } }).find();
    expect(choice.label).toMatch(/^Dawn SwiftShader \(Vulkan\): .*swiftshader/i);
  });

  it('by default (auto) takes a hardware GPU only, and says how to use a software one', async () => {
    const source = dawnAdapterSource({ env: {} });
    const found = await source.find().then(
      (choice) => ({ choice, error: undefined }),
      (error: Error) => ({ choice: undefined, error }),
    );
    if (found.choice) expect(softwareAdapterName(found.choice.adapter)).toBeUndefined();
    else expect(found.error?.message).toMatch(/STROTSS_WEBGPU_ADAPTER=auto\): hardware GPU: .*; STROTSS_WEBGPU_ADAPTER=any \(or opengles, swiftshader\) uses a software adapter/);
  });

  const raccoon = `${sharedDir}images/content/raccoon_face.jpg`;
  it.skipIf(!existsSync(raccoon))('a job whose first activation exceeds the binding limit fails before running, naming --size', async () => {
    await resolveBackend('webgpu');
    const limit = Math.min(deviceLimits().maxStorageBufferBindingSize, deviceLimits().maxBufferSize);
    const image = await readImageFile(raccoon); // 1024×768
    // The smallest size whose 64-channel activation of this image exceeds the device's limit.
    let size = 1024;
    while (64 * size * Math.trunc((size * 768) / 1024) * 4 <= limit) size *= 2;
    let weightsRequested = false;
    const job = stylize({
      content: image,
      style: image,
      weights: async () => {
        weightsRequested = true;
        throw new Error('weights must not be loaded for a job that cannot run');
      },
      backend: 'webgpu',
      size,
      iterations: 1,
    });
    await expect(job.result).rejects.toThrow(new RegExp(`size is ${size}: .* Lower size to \\d+ or less`));
    expect(weightsRequested).toBe(false);
  });
});
