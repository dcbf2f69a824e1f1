// How weight bytes reach the core without the core touching `fs`, `fetch` or the DOM itself:
// callers inject a ByteSource (a file system in Node, fetch in browsers).

import { WeightsError, type Wording } from '../../errors.js';

/** Where weight bytes come from: a file system in Node, fetch in browsers. Paths are resolved relative to the manifest. */
export interface ByteSource {
  /** Whole resource as bytes. */
  read(location: string): Promise<Uint8Array>;
  /** Bytes [start, end) of a resource; optional (lets a safetensors reader fetch only the tensors it needs, e.g. HTTP Range). */
  readRange?(location: string, start: number, end: number): Promise<Uint8Array>;
  /** Resolves `relative` against the folder/URL of `base`. */
  resolve(base: string, relative: string): string;
}

/** The subset of `fetch` the weights readers use (so tests can pass a fake). */
export type FetchLike = (url: string, init?: { headers?: Record<string, string>; signal?: AbortSignal }) => Promise<Response>;

/** What to do without network: worded per front end (CLI flag or API option). */
export function offlineHint(w: Wording): string {
  return `To work offline, download the weights once and pass them with ${w.option('weights') ?? 'weights'} (a local path; or set STROTSS_WEIGHTS).`;
}

/** Returns a ByteSource over http(s) URLs using `fetchImpl` (default: the global fetch, looked up at call time). */
export function fetchByteSource(fetchImpl?: FetchLike): ByteSource {
  // Bodies of servers that ignored a Range header: later ranges are sliced from them instead of re-downloading.
  const wholeBodies = new Map<string, Promise<Uint8Array>>();

  const doFetch = async (url: string, headers?: Record<string, string>): Promise<Response> => {
    const impl = fetchImpl ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof impl !== 'function') {
      throw new WeightsError((w) => `Cannot download ${url}: no fetch() is available in this runtime. ${offlineHint(w)}`);
    }
    try {
      return await impl(url, headers ? { headers } : undefined);
    } catch (cause) {
      throw new WeightsError((w) => `Could not reach ${url} (${describe(cause)}). ${offlineHint(w)}`, { cause });
    }
  };

  const bodyOf = async (url: string, response: Response): Promise<Uint8Array> => {
    try {
      return new Uint8Array(await response.arrayBuffer());
    } catch (cause) {
      throw new WeightsError((w) => `Download of ${url} broke off (${describe(cause)}). ${offlineHint(w)}`, { cause });
    }
  };

  const read = async (url: string): Promise<Uint8Array> => {
    const response = await doFetch(url);
    if (!response.ok) throw httpError(url, response);
    return bodyOf(url, response);
  };

  return {
    read,
    async readRange(url: string, start: number, end: number): Promise<Uint8Array> {
      checkRange(url, start, end);
      if (end === start) return new Uint8Array(0);
      const cached = wholeBodies.get(url);
      if (cached) return sliceWhole(url, await cached, start, end);
      const response = await doFetch(url, { Range: `bytes=${start}-${end - 1}` });
      if (response.status === 206) {
        const bytes = await bodyOf(url, response);
        if (bytes.length !== end - start) {
          throw new WeightsError(
            `${url} answered the byte range ${start}-${end - 1} with ${bytes.length} bytes instead of ${end - start}: ` +
              'the file is shorter than its header says (truncated download?).',
          );
        }
        return bytes;
      }
      if (response.status === 200) {
        // The server ignores Range and sends everything: keep it so the next ranges cost nothing.
        const whole = bodyOf(url, response);
        wholeBodies.set(url, whole);
        whole.catch(() => wholeBodies.delete(url));
        return sliceWhole(url, await whole, start, end);
      }
      throw httpError(url, response);
    },
    resolve(base: string, relative: string): string {
      return new URL(relative, base).toString();
    },
  };
}

/** Returns a ByteSource over bytes held in memory under the name `label` (e.g. a cache entry). */
export function bytesByteSource(bytes: Uint8Array, label: string): ByteSource {
  const check = (location: string) => {
    if (location !== label) throw new WeightsError(`${location} is not in memory; only ${label} is.`);
  };
  return {
    async read(location) {
      check(location);
      return bytes;
    },
    async readRange(location, start, end) {
      check(location);
      checkRange(location, start, end);
      return bytes.subarray(start, Math.min(end, bytes.length));
    },
    resolve: (_base, relative) => relative,
  };
}

/** Returns bytes [start, end) of a whole body, or a WeightsError when the body is too short. */
function sliceWhole(url: string, whole: Uint8Array, start: number, end: number): Uint8Array {
  if (end > whole.length) {
    throw new WeightsError(
      `${url} is ${whole.length} bytes but bytes up to ${end} were needed: the file is truncated or not what its header describes.`,
    );
  }
  return whole.subarray(start, end);
}

/** Throws a WeightsError unless [start, end) is a valid non-negative integer range. */
export function checkRange(location: string, start: number, end: number): void {
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new WeightsError(`Invalid byte range [${start}, ${end}) requested from ${location}.`);
  }
}

/** Returns a WeightsError naming the URL and the HTTP status. */
export function httpError(url: string, response: Response): WeightsError {
  const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  const hint = (w: Wording) =>
    response.status === 404
      ? `Check the URL, or pass a local copy with ${w.option('weights') ?? 'weights'}.`
      : response.status === 416
        ? 'The server says the requested range lies outside the file: it is truncated or not a weights file.'
        : offlineHint(w);
  return new WeightsError((w) => `Downloading weights from ${url} failed with HTTP ${status}. ${hint(w)}`);
}

/** Returns a short description of a thrown value for error messages. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message}: ${cause.message}` : error.message;
  }
  return String(error);
}
