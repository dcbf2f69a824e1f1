// Point 5: the committed launcher bin/strotss.js, which npm links at install time (before dist/ exists).

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import manifest from '../package.json' with { type: 'json' };

const PACKAGE = fileURLToPath(new URL('../', import.meta.url));
const LAUNCHER = join(PACKAGE, 'bin', 'strotss.js');
const haveDist = existsSync(join(PACKAGE, 'dist', 'bin.js'));
if (!haveDist) console.warn('Skipping the launcher run: packages/cli/dist is missing; build it with `npm run build`.');

describe('bin/strotss.js', () => {
  it('is the package bin, is published, and is an executable node script', () => {
    expect(manifest.bin).toEqual({ strotss: './bin/strotss.js' });
    expect(manifest.files).toContain('bin');
    expect(readFileSync(LAUNCHER, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    if (process.platform !== 'win32') expect(statSync(LAUNCHER).mode & 0o111).toBe(0o111);
  });

  it('git records it as executable (mode 100755) once it is added', () => {
    let staged = '';
    try {
      staged = execFileSync('git', ['ls-files', '--stage', '--', 'bin/strotss.js'], { cwd: PACKAGE, encoding: 'utf8' });
    } catch {
      return; // no git here (e.g. an unpacked tarball)
    }
    if (staged) expect(staged.split(' ')[0]).toBe('100755');
  });

  it.skipIf(!haveDist || process.platform === 'win32')('runs the built CLI: --version prints the version', () => {
    const run = spawnSync(LAUNCHER, ['--version'], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${manifest.version}\n`);
  });

  it('without dist/: one line saying the CLI is not built and to run `npm run build`, exit 1', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strotss-launcher-'));
    try {
      await mkdir(join(dir, 'bin'));
      await copyFile(LAUNCHER, join(dir, 'bin', 'strotss.js'));
      const run = spawnSync(process.execPath, [join(dir, 'bin', 'strotss.js'), '--version'], { encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`strotss: the CLI is not built (${join(dir, 'dist', 'bin.js')} is missing); run \`npm run build\` first.\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
