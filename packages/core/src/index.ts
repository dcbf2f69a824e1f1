/**
 * @strotss/core — backend-neutral STROTSS: options and presets, jobs (in this thread or a worker), weights loaders, errors, the algorithm's stages.
 *
 * @module @strotss/core
 */
export { tf } from './tfjs.js';
export * from './errors.js';
export * from './image.js';
export * from './backend.js';
export * from './import-failure.js';
export * from './job.js';
export * from './frames.js';
export * from './workload.js';
export * from './model/presets.js';
export * from './model/vgg.js';
export * from './model/weights/index.js';
export * from './model/onnx/index.js';
export * from './strotss/options.js';
export * from './strotss/schedule.js';
export * from './strotss/sampling.js';
export * from './strotss/random.js';
export * from './strotss/guidance.js';
export * from './strotss/point-guidance.js';
export * from './strotss/styles.js';
export * from './strotss/run-scale.js';
export * from './strotss/checkpoint.js';
export * from './strotss/run-fingerprint.js';
export { hashBytes } from './strotss/content-hash.js';
export * from './strotss/stylize.js';
export * from './strotss/image-objective.js';
export { StrotssKernel, hasBackendKernel, runNamedKernel, type StrotssKernelName } from './ops/kernels.js';
export { engineQueueLength } from './engine-lock.js';
export * from './worker/index.js';
export { JobProgress } from './job-progress.js';
