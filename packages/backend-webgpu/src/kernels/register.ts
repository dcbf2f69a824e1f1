// Registers the webgpu variants of the core's named kernels through TF.js' kernel registry
// (DESIGN: per-backend kernels): the fused objective kernels, the pyramid's synthesis and its
// adjoint, and the RMSprop step.
import { tf, StrotssKernel } from '@strotss/core';
import { imageObjectiveKernel, objectiveKernel } from './image-objective-kernel.js';
import { pyramidAdjointKernel, synthesizePyramidKernel } from './pyramid-kernel.js';
import { rmspropStepKernel } from './rmsprop-kernel.js';

/** Registers this package's kernels for the `webgpu` backend (idempotent; call once the backend exists). */
export function registerWebGpuKernels(backendName = 'webgpu'): void {
  const kernels: Record<string, tf.KernelFunc> = {
    [StrotssKernel.Objective]: objectiveKernel,
    [StrotssKernel.ImageObjective]: imageObjectiveKernel,
    [StrotssKernel.RmspropStep]: rmspropStepKernel,
    [StrotssKernel.SynthesizePyramid]: synthesizePyramidKernel,
    [StrotssKernel.PyramidAdjoint]: pyramidAdjointKernel,
  };
  for (const [kernelName, kernelFunc] of Object.entries(kernels)) {
    if (!tf.getKernel(kernelName, backendName)) tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}
