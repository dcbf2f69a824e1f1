// Entry of a Node worker thread serving STROTSS jobs (started by startJobWorkerThread): registers this
// package's backends, then runs the jobs its parent sends.
import { parentPort } from 'node:worker_threads';
import { serveStyleTransferJobs } from '@strotss/core';
import { FileSystemWeightsCache } from './fs-weights-cache.js';
import { messageEmitterChannel, type MessageEmitterLike } from './worker-thread.js';
import './index.js';

if (!parentPort) throw new Error('job-worker-entry.js runs inside a worker thread (startJobWorkerThread), not as a script.');
serveStyleTransferJobs(messageEmitterChannel(parentPort as unknown as MessageEmitterLike), { weights: { cache: new FileSystemWeightsCache() } });
