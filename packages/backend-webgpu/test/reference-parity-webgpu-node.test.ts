import { describe, it } from 'vitest';
import { resolveBackend } from '@strotss/core';
import { describeReferenceParity } from '../../../test-support/reference-parity.js';
import { webgpuHeavySkipReason, webgpuSkipReason } from '../../../test-support/webgpu.js';

// The reference parity suite on WebGPU in Node (Dawn; the adapter STROTSS_WEBGPU_ADAPTER picks:
// by default a hardware GPU, else Mesa's OpenGL ES), at the fixtures' fp32 tolerances, unscaled.
// One comparison differs in kind, not size: WebGPU's argMin (a workgroup tree reduction) may return
// any index of an exact tie, so in the duplicate-row case the palette gradient lands on row 20
// instead of its copy row 3 (measured: per-row error 0.42 of the max, group sums equal to 2e-4
// relative); it is compared by duplicate-group sums, as remd's is (fixtures README, ties).
const skip = await webgpuSkipReason('reference parity on the webgpu backend');
const heavy = skip ? undefined : await webgpuHeavySkipReason();
if (skip) describe.skip(`reference parity on the webgpu backend (${skip})`, () => it('needs a WebGPU adapter', () => undefined));
else
  describeReferenceParity(
    'webgpu',
    async () => {
      await resolveBackend('webgpu');
    },
    {
      argMinTies: 'any',
      // The trajectory and the d = 2179 loss case are whole-VGG / 2179² covariance work.
      skipCase: (c) => (heavy && (c.stage === 'e2e' || c.id.startsWith('losses/large')) ? heavy : undefined),
    },
  );
