import { resolveBackend } from '@strotss/core';
import '@strotss/backend-node';
import { describeReferenceParity } from '../../../test-support/reference-parity.js';
import { describeStylizeRunParity } from '../../../test-support/stylize-run-parity.js';

// The reference parity suite on the native backend (ONNX Runtime for the fused stages, the wasm
// kernels for the rest), selected through the package's own registration, as users get it.
describeReferenceParity('native', async () => {
  await resolveBackend('native');
});

// The 2-scale 64 px stylize() run (real VGG19-Caffe weights, seed 0): final loss of each scale within 2 % of wasm's.
describeStylizeRunParity('native', { reference: 'wasm' });
