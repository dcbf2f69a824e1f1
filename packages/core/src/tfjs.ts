// The one place the core imports TensorFlow.js. Importing it also registers tfjs-core's
// gradients, bundled at install time by scripts/bundle-tfjs-gradients.mjs because neither
// tfjs-core build registers them in a form Node can load.
import * as tf from '@tensorflow/tfjs-core';
import '../vendor/tfjs-gradients.js';

export { tf };
