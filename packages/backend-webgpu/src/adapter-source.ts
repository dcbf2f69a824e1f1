import type { Gpu, GpuAdapter } from './gpu-types.js';

/** An adapter found by an {@link AdapterSource}, with what the tfjs backend needs around it. */
export interface AdapterChoice {
  adapter: GpuAdapter;
  /** Where it came from, for messages and `strotss backends`, e.g. "Dawn OpenGL ES (compatibility): llvmpipe". */
  label: string;
  /**
   * Makes the WebGPU globals the tfjs backend reads (`navigator.gpu`, `GPUBufferUsage`, `GPUBuffer`, …)
   * visible; a no-op in browsers, where they exist already.
   */
  installGlobals(): void;
}

/** Finds a WebGPU adapter; `find()` rejects with an Error whose message says why none is usable. */
export interface AdapterSource {
  /** e.g. "navigator.gpu" or "Dawn (webgpu package)". */
  name: string;
  find(): Promise<AdapterChoice>;
}

/** Why an adapter is software-rendered (CPU), or undefined for what looks like a real GPU. */
export function softwareAdapterName(adapter: GpuAdapter): string | undefined {
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter || adapter.isFallbackAdapter) return info.description || info.device || 'fallback adapter';
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ');
  return /swiftshader|llvmpipe|lavapipe|softpipe|software/i.test(text) ? text : undefined;
}

/** A one-line name of an adapter from its info, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)". */
export function describeAdapter(adapter: GpuAdapter): string {
  const info = adapter.info ?? {};
  return [info.vendor, info.device || info.architecture, info.description].filter((s) => s && s.length > 0).join(' ').trim() || 'unnamed adapter';
}

/** `navigator.gpu` of a browser (or of any runtime that installs one): the high-performance adapter. */
export function navigatorAdapterSource(gpu?: Gpu): AdapterSource {
  return {
    name: 'navigator.gpu',
    find: async () => {
      const nav = gpu ?? (globalThis as { navigator?: { gpu?: Gpu } }).navigator?.gpu;
      if (!nav) throw new Error('navigator.gpu is not available (this browser or runtime has no WebGPU; Chrome/Edge 113+ or Safari 26+ have it)');
      let adapter: GpuAdapter | null;
      try {
        adapter = await nav.requestAdapter({ powerPreference: 'high-performance' });
      } catch (e) {
        throw new Error(`navigator.gpu.requestAdapter() failed: ${(e as Error).message}`);
      }
      if (!adapter) throw new Error('navigator.gpu.requestAdapter() returned no adapter (WebGPU is disabled or no GPU is usable here)');
      return { adapter, label: `navigator.gpu: ${describeAdapter(adapter)}`, installGlobals: () => undefined };
    },
  };
}
