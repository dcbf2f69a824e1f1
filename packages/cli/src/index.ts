export { main, type CliIO } from './main.js';
export { parseCliArgs, UsageError, USAGE, type CliArgs, type RunArgs } from './args.js';
