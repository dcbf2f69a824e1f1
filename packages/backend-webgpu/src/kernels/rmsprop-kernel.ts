// The webgpu StrotssRmspropStep: PyTorch's RMSprop update (spec §10) as two programs per
// parameter (the running average, then the parameter from it) instead of ten elementwise kernels.
import { tf } from '@strotss/core';
import { handOver, runProgram, type ProgramBackend } from './program.js';

/** StrotssRmspropStep: `[p', v']` for inputs p, g, v and attrs learningRate, decay, epsilon. */
export const rmspropStepKernel: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { p, g, v } = inputs as unknown as Record<string, tf.Tensor>;
  const { learningRate, decay, epsilon } = attrs as unknown as { learningRate: number; decay: number; epsilon: number };
  const gpu = backend as unknown as ProgramBackend;
  const avg = runProgram(gpu, {
    name: 'rmsprop_average',
    inputs: { V: v, G: g },
    outputShape: p.shape,
    constants: { RHO: ['f32', decay], ONE_MINUS_RHO: ['f32', 1 - decay] },
    body: '  result[t] = V[t] * RHO + (G[t] * G[t]) * ONE_MINUS_RHO;',
  });
  const next = runProgram(gpu, {
    name: 'rmsprop_parameter',
    inputs: { P: p, G: g, V: avg },
    outputShape: p.shape,
    constants: { NEG_LR: ['f32', -learningRate], EPS: ['f32', epsilon] },
    body: '  result[t] = P[t] + (G[t] / (sqrt(V[t]) + EPS)) * NEG_LR;',
  });
  return handOver(backend, [next, avg]);
};
