#!/usr/bin/env node
// The `strotss` command as npm links it. This file is committed (dist/ is built), so `npm ci` can link
// the command before the first build; it runs the built CLI, or says in one line how to build it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write(`strotss: the CLI is not built (${fileURLToPath(built)} is missing); run \`npm run build\` first.\n`);
  process.exit(1);
}
await import(built.href);
