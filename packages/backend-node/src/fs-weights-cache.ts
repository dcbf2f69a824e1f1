// The weights cache on the file system: <root>/<model>/<sha256>.safetensors plus a <sha256>.json sidecar.
// Content-addressed, so concurrent writers of one entry write identical bytes: each writes a temp file,
// fsyncs and renames it over the target (atomic), and whichever rename lands last leaves the same file.

import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkCacheKey, WeightsError, type WeightsCache, type WeightsCacheEntry, type WeightsCacheKey } from '@strotss/core';
import { writeFileAtomic } from './atomic-write.js';

/** Returns the weights cache folder: `$STROTSS_CACHE`, else the platform's user cache folder + `/strotss`. */
export function defaultWeightsCacheDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = homedir(),
): string {
  const explicit = env.STROTSS_CACHE?.trim();
  if (explicit) return resolve(explicit);
  if (platform === 'win32') return join(env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'strotss', 'Cache');
  if (platform === 'darwin') return join(home, 'Library', 'Caches', 'strotss');
  return join(env.XDG_CACHE_HOME?.trim() || join(home, '.cache'), 'strotss');
}

/** Returns the SHA-256 of `bytes` as lowercase hex. */
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A WeightsCache in a folder; every read re-hashes the entry, so corruption and truncation are caught. */
export class FileSystemWeightsCache implements WeightsCache {
  readonly root: string;
  readonly location: string;

  constructor(root: string = defaultWeightsCacheDir()) {
    this.root = resolve(root);
    this.location = this.root;
  }

  /** Returns the path of an entry's bytes (whether or not it exists). */
  pathOf(key: WeightsCacheKey): string {
    checkCacheKey(key);
    return join(this.root, key.model, `${key.sha256}.safetensors`);
  }

  /** Returns the entry's bytes after checking their SHA-256; a corrupted entry is deleted and undefined returned. */
  async get(key: WeightsCacheKey): Promise<Uint8Array | undefined> {
    const path = this.pathOf(key);
    let before;
    let bytes: Uint8Array;
    try {
      before = await stat(path);
      bytes = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.ioError('read', path, error);
    }
    if (sha256(bytes) === key.sha256) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    // Only delete the file we read: a concurrent writer may have renamed a good copy in meanwhile.
    const now = await stat(path).catch(() => undefined);
    if (now && now.ino === before.ino && now.mtimeMs === before.mtimeMs) await this.delete(key);
    return undefined;
  }

  /** Stores `bytes` (after checking their SHA-256) and the entry's sidecar, each written atomically. */
  async put(entry: WeightsCacheEntry, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(entry);
    const actual = sha256(bytes);
    if (actual !== entry.sha256) {
      throw new WeightsError(`Refusing to cache ${entry.model} weights: their SHA-256 is ${actual}, not ${entry.sha256} as the entry says.`);
    }
    const dir = join(this.root, entry.model);
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw this.ioError('create', dir, error);
    }
    const info: WeightsCacheEntry = { ...entry, size: bytes.length };
    try {
      // Bytes first: a sidecar is only ever visible next to complete bytes.
      await writeFileAtomic(path, bytes);
      await writeFileAtomic(this.sidecarOf(entry), new TextEncoder().encode(JSON.stringify(info, null, 2) + '\n'));
    } catch (error) {
      throw this.ioError('write', path, error);
    }
  }

  /** Removes an entry's bytes and sidecar; resolves true when the bytes were there. */
  async delete(key: WeightsCacheKey): Promise<boolean> {
    const path = this.pathOf(key);
    const removed = await unlink(path).then(
      () => true,
      () => false,
    );
    await unlink(this.sidecarOf(key)).catch(() => undefined);
    return removed;
  }

  /** Lists the entries whose bytes and sidecar both exist, newest first (the bytes are not verified here). */
  async keys(): Promise<WeightsCacheEntry[]> {
    const models = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    const entries: WeightsCacheEntry[] = [];
    for (const model of models) {
      if (!model.isDirectory()) continue;
      const files = await readdir(join(this.root, model.name)).catch(() => [] as string[]);
      for (const file of files) {
        const match = /^([0-9a-f]{64})\.json$/.exec(file);
        if (!match || !files.includes(`${match[1]}.safetensors`)) continue;
        const entry = await this.readSidecar(join(this.root, model.name, file));
        if (entry && entry.model === model.name && entry.sha256 === match[1]) entries.push(entry);
      }
    }
    return entries.sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** Returns a parsed sidecar, or undefined when it is unreadable (a crash mid-write cannot cause that; editing can). */
  private async readSidecar(path: string): Promise<WeightsCacheEntry | undefined> {
    try {
      const value = JSON.parse(await readFile(path, 'utf8')) as WeightsCacheEntry;
      return typeof value.source === 'string' && typeof value.size === 'number' && typeof value.createdAt === 'string' ? value : undefined;
    } catch {
      return undefined;
    }
  }

  private sidecarOf(key: WeightsCacheKey): string {
    return join(this.root, key.model, `${key.sha256}.json`);
  }

  private ioError(what: string, path: string, cause: unknown): WeightsError {
    return new WeightsError(
      `Could not ${what} the weights cache at ${path} (${(cause as Error)?.message ?? cause}). ` +
        'Set STROTSS_CACHE to a writable folder, or pass --weights PATH to skip the cache.',
      { cause },
    );
  }
}
