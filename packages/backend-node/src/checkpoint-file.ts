import { readFile } from 'node:fs/promises';
import { decodeCheckpoint, encodeCheckpoint, InvalidOptionError, StrotssError, type StrotssCheckpoint } from '@strotss/core';
import { writeFileAtomic } from './atomic-write.js';

/** Writes `checkpoint` to `path` atomically (a reader sees the previous checkpoint or this one, never a mix); resolves when on disk. */
export async function writeCheckpointFile(path: string, checkpoint: StrotssCheckpoint): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

/** Returns the checkpoint stored at `path`; throws InvalidOptionError naming the file when it is missing or not a checkpoint. */
export async function readCheckpointFile(path: string): Promise<StrotssCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidOptionError(`Cannot read the checkpoint ${path}${code === 'ENOENT' ? ': no such file' : ` (${code})`}; pass a file a job wrote.`, {
      cause: e,
      details: { option: 'resume', file: path },
    });
  }
  try {
    return decodeCheckpoint(bytes);
  } catch (e) {
    if (!(e instanceof StrotssError)) throw e;
    throw new InvalidOptionError(`${path}: ${e.message}`, { cause: e, details: { option: 'resume', file: path } });
  }
}
