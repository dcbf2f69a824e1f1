#!/usr/bin/env node
import { main } from './main.js';

const code = await main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(line + '\n'),
  stderr: (text) => process.stderr.write(text),
  isTTY: Boolean(process.stderr.isTTY),
  env: process.env,
  onInterrupt: (handler) => {
    let interrupts = 0;
    // The first Ctrl-C stops at the next iteration boundary (an iteration can take seconds on a CPU);
    // a second one exits at once. Writes are atomic, so the output file is never half-written either way.
    const onSignal = () => {
      if (++interrupts > 1) {
        process.stderr.write('\nstrotss: interrupted again; exiting now.\n');
        process.exit(130);
      }
      process.stderr.write('\nstrotss: stopping after the current iteration (Ctrl-C again to quit now)…\n');
      handler();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  },
});
process.exitCode = code;
