// Test-only: whether the webgpu backend can run here, so WebGPU test files skip with a printed
// reason (never silently) where there is no adapter or no `webgpu` package.
import { listBackends } from '@strotss/core';
import { softwareAdapterName, type WebGpuStrotssBackend } from '@strotss/backend-webgpu';

// Tests run WebGPU wherever an adapter exists, software ones included (the backend's default takes
// hardware GPUs only); read when the backend first probes, i.e. after this module ran.
process.env.STROTSS_WEBGPU_ADAPTER ??= 'any';

/** The registered 'webgpu' backend, if any. */
export function webgpuBackend(): WebGpuStrotssBackend | undefined {
  return listBackends().find((b) => b.id === 'webgpu') as WebGpuStrotssBackend | undefined;
}

/** Why the registered 'webgpu' backend cannot run here (printed once with `what`), or undefined when it can. */
export async function webgpuSkipReason(what: string): Promise<string | undefined> {
  const webgpu = webgpuBackend();
  const reason = !webgpu
    ? 'no webgpu backend is registered'
    : (await webgpu.isSupported())
      ? undefined
      : ((await webgpu.unsupportedReason?.()) ?? 'not supported here');
  if (reason) console.warn(`[webgpu] ${what} skipped: ${reason}`);
  return reason;
}

/**
 * Why whole-VGG-gradient work (the 5-iteration trajectory, stylize runs, the d = 2179 losses) is not
 * run on this adapter, or undefined to run it: on a software adapter (Mesa llvmpipe, SwiftShader)
 * one 2179×1000×2179 matMul takes minutes (measured 115 s on llvmpipe, 2 shared cores), which no CI
 * budget holds. STROTSS_WEBGPU_FULL_PARITY=1 runs it anyway.
 */
export async function webgpuHeavySkipReason(): Promise<string | undefined> {
  if (process.env.STROTSS_WEBGPU_FULL_PARITY === '1') return undefined;
  const choice = await webgpuBackend()?.adapterChoice();
  const software = choice && softwareAdapterName(choice.adapter);
  return software
    ? `software WebGPU adapter (${choice.label}): VGG-gradient work takes minutes per iteration there; set STROTSS_WEBGPU_FULL_PARITY=1 to run it`
    : undefined;
}
