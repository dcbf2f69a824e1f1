// Running jobs in a Web Worker or a Node worker thread with the same job API.
export { messageTargetChannel, type FromWorkerMessage, type JobChannel, type MessageTargetLike, type SerializedError, type ToWorkerMessage, type WorkerJobOptions, type WorkerStatusFields } from './protocol.js';
export { serializeError, deserializeError } from './errors-across.js';
export { weightsFromSpec, isLoadedWeights, type WeightsDownload, type WeightsEnvironment, type WeightsSpec } from './weights-spec.js';
export { serveStyleTransferJobs, type WorkerHost } from './serve-jobs.js';
export { stylizeInWorker, WorkerStyleTransferJob, type StyleTransferHandle, type WorkerJobSettings } from './worker-job.js';
