export { main, type CliIO } from './main.js';
export { parseCliArgs, UsageError, type CliArgs, type RunArgs, type WeightsArgs, type BackendsArgs } from './args.js';
export { usageText, USAGE_HINT } from './usage.js';
export { cliWording, cliWordingFor, type InputPaths } from './wording.js';
export { cliVersion } from './version.js';
