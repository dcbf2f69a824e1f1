import { describe, it } from 'vitest';
import '@strotss/backend-node';
import { describeStylizeRunParity } from '../../../test-support/stylize-run-parity.js';
import { webgpuHeavySkipReason, webgpuSkipReason } from '../../../test-support/webgpu.js';

// The parity suite's end-to-end case on WebGPU in Node: 2 scales at 64 px through stylize(), final
// losses within 2 % of the wasm backend's for the same seed (fp32 on both).
const skip = (await webgpuSkipReason('2-scale end-to-end run on the webgpu backend')) ?? (await webgpuHeavySkipReason());
if (skip) {
  console.warn(`[webgpu] 2-scale end-to-end run skipped: ${skip}`);
  describe.skip(`2-scale 64 px stylize() run on webgpu (${skip})`, () => it('needs a fast WebGPU adapter', () => undefined));
} else describeStylizeRunParity('webgpu', { reference: 'wasm', spec: { iterations: 2 } });
