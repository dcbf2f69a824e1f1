// Kernel overrides for TF.js' wasm backend.
import { tf } from '@strotss/core';

/**
 * Makes the wasm backend's `Identity` share its input's buffer instead of copying it, as the cpu
 * backend's does. TF.js saves every tensor a gradient needs through `clone()` (Identity), so
 * with the copying kernel each saved activation existed twice until the backward: at 512×384
 * about 0.2 GB more and 0.6 s per iteration of copies. Tensors are immutable and the wasm
 * backend counts references per buffer (its Reshape shares the same way), so sharing changes
 * no value. Idempotent.
 */
export function shareWasmIdentityBuffers(): void {
  const existing = tf.getKernel('Identity', 'wasm');
  if (existing?.kernelFunc === shareBuffer) return;
  if (existing) tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc: shareBuffer });
}

interface RefCountingBackend {
  incRef(dataId: object): void;
}

function shareBuffer({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  (backend as RefCountingBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
