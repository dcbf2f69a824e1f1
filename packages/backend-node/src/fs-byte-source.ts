// Node ByteSources for the core's weights readers: local files (paths or file: URLs) and http(s) via fetch.

import type { Stats } from 'node:fs';
import { open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WeightsError, type ByteSource, fetchByteSource } from '@strotss/core';

const HTTP_URL = /^https?:\/\//i;
const SETUP_HINT =
  'Pass --weights PATH (or set STROTSS_WEIGHTS) to a TF.js model.json, a folder holding one, or a .safetensors file.';

/** Returns a local path for a path or `file:` URL. */
function toPath(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location;
}

/** Returns a WeightsError explaining a file-system failure on `path`. */
function fsError(path: string, cause: unknown): WeightsError {
  const code = (cause as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return new WeightsError(`Weights file not found: ${path}. ${SETUP_HINT}`, { cause });
  if (code === 'EISDIR') {
    return new WeightsError(`${path} is a folder; expected a model.json or .safetensors file inside it. ${SETUP_HINT}`, { cause });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new WeightsError(`No permission to read weights file ${path}; fix its permissions or copy it elsewhere.`, { cause });
  }
  return new WeightsError(`Could not read weights file ${path} (${(cause as Error)?.message ?? String(cause)}).`, { cause });
}

/** Returns a plain Uint8Array view of a Buffer (Buffer's own `slice` shares memory, which callers would not expect). */
function plain(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Returns a ByteSource over local files: whole reads, ranged reads via a file handle, paths resolved beside the manifest. */
export function fileByteSource(): ByteSource {
  return {
    async read(location: string): Promise<Uint8Array> {
      const path = toPath(location);
      try {
        return plain(await readFile(path));
      } catch (cause) {
        throw fsError(path, cause);
      }
    },
    async readRange(location: string, start: number, end: number): Promise<Uint8Array> {
      const path = toPath(location);
      if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
        throw new WeightsError(`Invalid byte range [${start}, ${end}) requested from ${path}.`);
      }
      let handle: FileHandle;
      try {
        handle = await open(path, 'r');
      } catch (cause) {
        throw fsError(path, cause);
      }
      try {
        const out = new Uint8Array(end - start);
        let filled = 0;
        // read() may return fewer bytes than asked; stop early only at end of file (callers check the length).
        while (filled < out.length) {
          const { bytesRead } = await handle.read(out, filled, out.length - filled, start + filled);
          if (bytesRead === 0) break;
          filled += bytesRead;
        }
        return filled === out.length ? out : out.subarray(0, filled);
      } catch (cause) {
        throw fsError(path, cause);
      } finally {
        await handle.close();
      }
    },
    resolve(base: string, relative: string): string {
      if (HTTP_URL.test(relative) || relative.startsWith('file:')) return relative;
      return resolvePath(dirname(toPath(base)), relative);
    },
  };
}

/** Returns a ByteSource that sends http(s) URLs to fetch and everything else (paths, file: URLs) to the file system. */
export function nodeByteSource(): ByteSource {
  const files = fileByteSource();
  const web = fetchByteSource();
  const pick = (location: string) => (HTTP_URL.test(location) ? web : files);
  return {
    read: (location) => pick(location).read(location),
    readRange: (location, start, end) => pick(location).readRange!(location, start, end),
    resolve: (base, relative) => pick(base).resolve(base, relative),
  };
}

/** Returns the weights file to load for a path or URL: a file as is, or a folder's model.json, else its single *.safetensors. */
export async function resolveWeightsLocation(pathOrUrl: string): Promise<string> {
  if (HTTP_URL.test(pathOrUrl)) return pathOrUrl;
  const path = resolvePath(toPath(pathOrUrl));
  let info: Stats;
  try {
    info = await stat(path);
  } catch (cause) {
    throw fsError(path, cause);
  }
  if (!info.isDirectory()) return path;
  let names: string[];
  try {
    names = await readdir(path);
  } catch (cause) {
    throw fsError(path, cause);
  }
  if (names.includes('model.json')) return join(path, 'model.json');
  const safetensors = names.filter((n) => n.toLowerCase().endsWith('.safetensors')).sort();
  if (safetensors.length === 1) return join(path, safetensors[0]);
  if (safetensors.length > 1) {
    throw new WeightsError(
      `${path} holds ${safetensors.length} .safetensors files (${safetensors.join(', ')}) and no model.json; ` +
        'pass the one to use with --weights PATH.',
    );
  }
  throw new WeightsError(
    `No weights in folder ${path}: looked for model.json, then a single *.safetensors file` +
      (names.length ? `, but it holds only ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}. ` : ', but it is empty. ') +
      SETUP_HINT,
  );
}
