// The slice of the WebGPU API this package touches, typed structurally so the package builds
// without DOM or @webgpu/types in scope (browsers' navigator.gpu and Dawn's both fit).

/** `GPUSupportedLimits`: numeric limits by name. */
export type GpuLimits = Readonly<Record<string, number | undefined>> & {
  readonly maxStorageBufferBindingSize: number;
  readonly maxBufferSize: number;
};

/** `GPUAdapterInfo` (fields absent on older implementations). */
export interface GpuAdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** `GPUDevice`, as far as this package uses it (the tfjs backend uses the rest). */
export interface GpuDevice {
  readonly limits: GpuLimits;
  readonly lost: Promise<{ reason?: string; message: string }>;
  destroy(): void;
  addEventListener?(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
}

/** `GPUAdapter`. */
export interface GpuAdapter {
  readonly limits: GpuLimits;
  readonly features: ReadonlySet<string>;
  readonly info?: GpuAdapterInfo;
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: {
    requiredFeatures?: string[];
    requiredLimits?: Record<string, number>;
    label?: string;
  }): Promise<GpuDevice>;
}

/** `GPURequestAdapterOptions`. */
export interface GpuRequestAdapterOptions {
  powerPreference?: 'low-power' | 'high-performance';
  featureLevel?: 'core' | 'compatibility';
  forceFallbackAdapter?: boolean;
}

/** `GPU` (`navigator.gpu`). */
export interface Gpu {
  requestAdapter(options?: GpuRequestAdapterOptions): Promise<GpuAdapter | null>;
}
