// What the page's URL configures: where the weights come from (`?weights=<model.json or .safetensors URL>&model=vgg19-caffe`;
// default: the VGG16 download the core knows) and whether jobs run in the worker (`?worker=0` for the main thread).
import type { UseStyleTransferOptions } from '@strotss/react';

/** The app's start-up settings. */
export interface AppSettings {
  weights: UseStyleTransferOptions['weights'];
  model: 'vgg16' | 'vgg19-caffe';
  weightsLabel: string;
  worker: boolean;
}

/** Returns the settings a page URL's query asks for. */
export function readSettings(query: URLSearchParams): AppSettings {
  const url = query.get('weights');
  const model = query.get('model') === 'vgg19-caffe' ? 'vgg19-caffe' : 'vgg16';
  const worker = query.get('worker') !== '0';
  if (url) return { weights: { url: new URL(url, location.href).toString() }, model, weightsLabel: url, worker };
  return { weights: { download: {} }, model: 'vgg16', weightsLabel: 'VGG16 (timm/vgg16.tv_in1k, conv tensors only, cached)', worker };
}
