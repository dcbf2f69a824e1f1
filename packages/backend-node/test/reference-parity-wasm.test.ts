import { resolveBackend } from '@strotss/core';
import '@strotss/backend-node';
import { describeReferenceParity } from '../../../test-support/reference-parity.js';

// The reference parity suite on the wasm backend, selected through the package's own
// registration (resolveBackend), as users get it.
describeReferenceParity('wasm', async () => {
  await resolveBackend('wasm');
});
