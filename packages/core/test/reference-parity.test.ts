import '@tensorflow/tfjs-backend-cpu';
import { tf } from '@strotss/core';
import { describeReferenceParity } from '../../../test-support/reference-parity.js';

// The core's own run of the reference parity suite on TF.js' plain cpu backend; the backend
// packages run the same suite on theirs.
describeReferenceParity('cpu', async () => {
  await tf.setBackend('cpu');
});
