#!/usr/bin/env node
// Runs a TypeScript benchmark of bench/ against the packages' sources: bundles it with esbuild
// (the @strotss/* imports mapped to packages/*/src, as vitest.config.ts does; node_modules stay
// external so TF.js is one instance), then runs it with the remaining arguments.
// Usage: node bench/run.mjs bench/iteration.ts [args…]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node bench/run.mjs bench/<name>.ts [args…]');
  process.exit(2);
}
const src = (p) => join(root, 'packages', p);
const outDir = join(root, 'bench', '.out');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [join(root, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  alias: {
    '@strotss/core/ops': src('core/src/ops/index.ts'),
    '@strotss/core/testing': src('core/src/testing/index.ts'),
    '@strotss/core': src('core/src/index.ts'),
    '@strotss/backend-node': src('backend-node/src/index.ts'),
    '@strotss/backend-webgpu': src('backend-webgpu/src/index.ts'),
  },
  logLevel: 'warning',
});
const run = spawnSync(process.execPath, ['--expose-gc', outfile, ...args], { stdio: 'inherit', cwd: root });
process.exit(run.status ?? 1);
