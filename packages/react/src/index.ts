/**
 * @strotss/react — useStyleTransfer, the React hook over a STROTSS job (in a Web Worker by default in browsers).
 *
 * @module @strotss/react
 */
export { useStyleTransfer, type UseStyleTransfer, type UseStyleTransferOptions } from './use-style-transfer.js';
export { toRgbaImage, describeImageInput, type ImageInput } from './image-input.js';
export { createStyleTransferWorker, type StyleTransferWorker } from './default-worker.js';
export { chooseRunPlace, type WorkerOption } from './run-place.js';
export type { RunPlace } from './job-store.js';
