export * from './fixtures.js';
export * from './compare.js';
export * from './parity.js';
export * from './stylize-run.js';
export * from './dispatch-counter.js';
