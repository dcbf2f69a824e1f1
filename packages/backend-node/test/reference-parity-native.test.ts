import { resolveBackend } from '@strotss/core';
import '@strotss/backend-node';
import { describeReferenceParity } from '../../../test-support/reference-parity.js';

// The reference parity suite on the native backend (ONNX Runtime for the fused stages, the wasm
// kernels for the rest), selected through the package's own registration, as users get it.
describeReferenceParity('native', async () => {
  await resolveBackend('native');
});
