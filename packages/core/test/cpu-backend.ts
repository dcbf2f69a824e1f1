import { tf } from '../src/tfjs.js';
import type { StrotssBackend } from '../src/backend.js';

/** The TF.js cpu backend as the core's only backend (what a page gets with no backend package but cpu). */
export const cpuBackend: StrotssBackend = {
  id: 'cpu',
  priority: 1,
  precision: 'fp32',
  isSupported: async () => true,
  init: async () => {
    await tf.setBackend('cpu');
  },
};
