import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { InvalidOptionError } from '@strotss/core';

/**
 * Writes `bytes` to `path` atomically and resolves when they are on disk: readers see either the
 * old file or the whole new one, never a partial write.
 *
 * The bytes go to a temp file `.<name>.<pid>.<random>.tmp` in the same directory (a rename is only
 * atomic within one file system), which is fsynced and then renamed over `path`. On any failure the
 * temp file is removed and an existing file at `path` is left untouched. The parent directory is not
 * created: a missing one throws InvalidOptionError. Path mistakes (target is a directory, no
 * permission, read-only file system) throw InvalidOptionError with the Node error as `cause`; other
 * I/O errors (disk full, EIO) are rethrown as they are.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  if (typeof path !== 'string' || path === '') {
    throw new InvalidOptionError(`The output path is ${JSON.stringify(path)}; pass a non-empty file path.`);
  }
  const target = resolve(path);
  await assertParentDirectory(target);
  const temp = tempPathFor(target);
  try {
    await writeAndSync(temp, bytes, await existingMode(target));
    await rename(temp, target);
  } catch (error) {
    await removeQuietly(temp);
    throw describeWriteError(error, target);
  }
  await syncDirectory(dirname(target));
}

/** Returns the temp file path used for `target`: hidden, unique per process and call. */
function tempPathFor(target: string): string {
  const name = `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  return join(dirname(target), name);
}

/** Resolves if the directory that will hold `target` exists; throws InvalidOptionError naming it otherwise. */
async function assertParentDirectory(target: string): Promise<void> {
  const dir = dirname(target);
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
    throw describeWriteError(error, target);
  });
  if (info === null) {
    throw new InvalidOptionError(
      `Cannot write ${target}: the directory ${dir} does not exist; create it first or choose another output path.`,
    );
  }
  if (!info.isDirectory()) {
    throw new InvalidOptionError(
      `Cannot write ${target}: ${dir} is not a directory; choose an output path inside a directory.`,
    );
  }
}

/** Returns the permission bits of an existing regular file at `target`, so a replacement keeps them; undefined if none. */
async function existingMode(target: string): Promise<number | undefined> {
  const info = await stat(target).catch(() => null);
  return info?.isFile() ? info.mode & 0o7777 : undefined;
}

/** Creates `temp` exclusively, writes `bytes`, applies `mode` if given, and fsyncs before closing. */
async function writeAndSync(temp: string, bytes: Uint8Array, mode: number | undefined): Promise<void> {
  // 'wx' fails rather than truncating a file that somehow already has this random name.
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(bytes);
    if (mode !== undefined) await handle.chmod(mode);
    // Without fsync a crash after the rename could leave an empty or partial file under the final name.
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Fsyncs a directory so the rename itself survives a crash; best effort (not possible on every platform). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open directories; the file's own data is already synced.
  }
}

/** Deletes `file` if it exists; never throws, because it runs while another error is being reported. */
async function removeQuietly(file: string): Promise<void> {
  await unlink(file).catch(() => undefined);
}

/** Returns the error to throw for a failed write: InvalidOptionError for path mistakes, the original otherwise. */
function describeWriteError(error: unknown, target: string): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  switch (code) {
    case 'EISDIR':
      return new InvalidOptionError(`Cannot write ${target}: it is a directory; pass a file path.`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new InvalidOptionError(
        `Cannot write ${target}: permission denied; choose a writable location or fix the permissions.`,
        { cause: error },
      );
    case 'EROFS':
      return new InvalidOptionError(
        `Cannot write ${target}: the file system is read-only; choose another output path.`,
        { cause: error },
      );
    case 'ENOTDIR':
    case 'ENOENT':
      return new InvalidOptionError(
        `Cannot write ${target}: ${dirname(target)} is not an existing directory; create it or choose another output path.`,
        { cause: error },
      );
    default:
      return error;
  }
}
