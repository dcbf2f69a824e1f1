// The -o path: refused when it is an input file, checked before any work, its folder created when written.

import { accessSync, constants, realpathSync, statSync, lstatSync, type BigIntStats } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { InvalidOptionError } from '@strotss/core';
import { imageFormatFromPath, writeImageFile } from '@strotss/backend-node';
import type { RgbaImage } from '@strotss/core';
import { UsageError } from './usage.js';

/** Returns `stat(path)`, or undefined when nothing is there (also when a part of the path is a file). */
function statIfAny<T>(stat: (path: string) => T | undefined, path: string): T | undefined {
  try {
    return stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR' || (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The nearest folder of `path` (absolute) that exists, or its nearest ancestor that exists but is not a folder. */
function nearestExisting(path: string): { path: string; isFolder: boolean } {
  let at = path;
  for (;;) {
    const info = statIfAny((p) => statSync(p, { throwIfNoEntry: false }), at);
    if (info) return { path: at, isFolder: info.isDirectory() };
    const up = dirname(at);
    if (up === at) return { path: at, isFolder: false };
    at = up;
  }
}

/** Returns `path` as the OS resolves it: the real path of its folder (or of the part that exists) and its base name. */
function canonicalOutput(path: string): string {
  const absolute = resolve(path);
  const folder = dirname(absolute);
  const { path: existing, isFolder } = nearestExisting(folder);
  if (!isFolder) return absolute;
  return resolve(realpathSync.native(existing), folder.slice(existing.length).replace(/^[\\/]+/, ''), basename(absolute));
}

/** Returns the real path of an existing file and its identity, or undefined when it cannot be read (reported later). */
function existingFile(path: string): { real: string; stats: BigIntStats } | undefined {
  try {
    return { real: realpathSync.native(path), stats: statSync(path, { bigint: true }) };
  } catch {
    return undefined;
  }
}

/** True when writing `output` would replace the file `input` (the same path once resolved, or the same inode: case, hard links). */
export function isSameFile(output: string, input: string): boolean {
  const file = existingFile(input);
  if (!file) return false;
  if (canonicalOutput(output) === file.real) return true;
  // The output itself is not followed: an atomic write replaces a symlink, not what it points to.
  const out = statIfAny((p) => lstatSync(p, { bigint: true, throwIfNoEntry: false }), output);
  return out !== undefined && out.dev === file.stats.dev && out.ino === file.stats.ino;
}

/** Throws UsageError when `output` is one of `inputs` ([what, path], e.g. ['content image', 'a.png']), naming both. */
export function refuseOutputOverInput(output: string, inputs: ReadonlyArray<readonly [string, string]>): void {
  for (const [what, path] of inputs) {
    if (!isSameFile(output, path)) continue;
    throw new UsageError(
      `-o ${output} is the ${what} ${path}: writing the result there would replace it. Choose another -o path, or pass --force to overwrite it.`,
      { option: 'output', file: output },
    );
  }
}

/**
 * Checks, before any work, that `output` can be written: a known extension, not a folder, and its folder
 * either exists and is writable or can be created in a writable folder. Throws InvalidOptionError naming the path.
 */
export function checkOutput(output: string): void {
  imageFormatFromPath(output);
  const path = resolve(output);
  const details = { option: 'output', file: output };
  if (statIfAny((p) => statSync(p, { throwIfNoEntry: false }), path)?.isDirectory()) {
    throw new InvalidOptionError(`Cannot write ${output}: it is a folder; pass a file path such as ${output.replace(/[\\/]+$/, '')}/out.png.`, { details });
  }
  const existing = nearestExisting(dirname(path));
  if (!existing.isFolder) {
    throw new InvalidOptionError(`Cannot write ${output}: ${existing.path} is not a folder; choose another -o path.`, { details });
  }
  try {
    accessSync(existing.path, constants.W_OK);
  } catch (cause) {
    throw new InvalidOptionError(`Cannot write ${output}: the folder ${existing.path} is not writable; choose another -o path.`, { cause, details });
  }
}

/** Writes `image` to `output` atomically, creating its folder (and the folders above it) first when missing. */
export async function writeOutput(output: string, image: RgbaImage): Promise<void> {
  const folder = dirname(resolve(output));
  try {
    await mkdir(folder, { recursive: true });
  } catch (cause) {
    throw new InvalidOptionError(`Cannot write ${output}: the folder ${folder} cannot be created (${(cause as Error).message}); choose another -o path.`, {
      cause,
      details: { option: 'output', file: output },
    });
  }
  await writeImageFile(output, image);
}
