import { resolveBackend } from '@strotss/core';
import '@strotss/backend-node';
import { describeOnnxReferee } from '../../../test-support/onnx-referee.js';

// onnxruntime-web (wasm) as an independent referee for the VGG19 taps computed by the wasm
// backend, selected through the package's own registration as users get it.
describeOnnxReferee('wasm', async () => {
  await resolveBackend('wasm');
});
