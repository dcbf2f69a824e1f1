// The module Web Worker that runs STROTSS jobs for useStyleTransfer (started by createStyleTransferWorker):
// it registers the browser backends with the page's setup and serves the jobs the page posts.
import { messageTargetChannel, serveStyleTransferJobs, type MessageTargetLike } from '@strotss/core';
import { browserWeightsCache, registerBrowserBackends, type BrowserSetup } from './browser-backends.js';

serveStyleTransferJobs(messageTargetChannel(self as unknown as MessageTargetLike), {
  prepare: (setup) => registerBrowserBackends((setup ?? {}) as BrowserSetup),
  weights: { cache: browserWeightsCache() },
});
