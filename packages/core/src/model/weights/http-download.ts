// Downloads parts of one remote file over HTTP: a probe for the first bytes, then byte ranges, each
// streamed (progress as bytes arrive) and resumed from where it broke off when the connection drops.
// A server that ignores Range answers the probe with the whole file: that is the full-download fallback.

import { StyleTransferAbortError, WeightsError } from '../../errors.js';
import { checkRange, describe, httpError, offlineHint, type FetchLike } from './byte-source.js';

/** Options of a RemoteFile. */
export interface RemoteFileOptions {
  /** fetch implementation (default: the global fetch, looked up at call time). */
  fetch?: FetchLike;
  /** Aborts every request; the pending call rejects with StyleTransferAbortError. */
  signal?: AbortSignal;
  /** How many times a transfer that broke off is resumed (or restarted) before giving up (default 3). */
  retries?: number;
  /** Called with the size in bytes of every chunk of a range or whole-file body as it arrives. */
  onBytes?: (count: number) => void;
  /** Called once when the server ignored Range and sends the whole file, with its Content-Length when stated. */
  onWholeFile?: (size: number | undefined) => void;
  /** Called when a broken transfer starts again; `kept` bytes were kept (a resume), the rest are fetched anew. */
  onResume?: (info: { start: number; end: number; kept: number }) => void;
}

/** What the first request learnt about the file. */
export type ProbeResult =
  | { kind: 'ranges'; head: Uint8Array; size: number; etag?: string; sha256?: string }
  | { kind: 'whole'; body: Uint8Array; etag?: string; sha256?: string };

/** A quoted or bare 64-hex-digit value. */
const SHA256_VALUE = /^"?([0-9a-f]{64})"?$/i;

/** One remote file read through Range requests; every response is checked against the first (size, ETag). */
export class RemoteFile {
  readonly url: string;
  private readonly options: RemoteFileOptions;
  private size?: number;
  private etag?: string;

  constructor(url: string, options: RemoteFileOptions = {}) {
    this.url = url;
    this.options = options;
  }

  /**
   * Returns the first `length` bytes and the file size when the server honours Range, or the whole
   * file (downloaded with progress, restarted if it breaks off) when it does not.
   */
  async probe(length: number): Promise<ProbeResult> {
    const response = await this.request(`bytes=0-${length - 1}`);
    if (response.status === 206) {
      const range = this.contentRange(response);
      this.size = range.size;
      this.etag = response.headers.get('etag') ?? undefined;
      const want = Math.min(length, range.size);
      if (range.start !== 0 || range.end + 1 !== want) {
        throw new WeightsError(`${this.url} answered bytes 0-${length - 1} with bytes ${range.start}-${range.end}; the server's Range support is broken.`);
      }
      const head = await this.readBody(response, want, false);
      if (head.length !== want) throw this.truncated(0, want, head.length);
      return { kind: 'ranges', head, size: range.size, etag: this.etag, sha256: this.sha256FromHeaders(response) };
    }
    if (response.status === 200) {
      this.etag = response.headers.get('etag') ?? undefined;
      const sha256 = this.sha256FromHeaders(response);
      const declared = Number(response.headers.get('content-length') ?? NaN);
      this.options.onWholeFile?.(Number.isSafeInteger(declared) ? declared : undefined);
      const body = await this.wholeBody(response);
      return { kind: 'whole', body, etag: this.etag, sha256 };
    }
    throw httpError(this.url, response);
  }

  /** Returns bytes [start, end) of the file, streamed with progress and resumed after a broken connection. */
  async range(start: number, end: number): Promise<Uint8Array> {
    checkRange(this.url, start, end);
    if (this.size !== undefined && end > this.size) {
      throw new WeightsError(`${this.url} is ${this.size} bytes but bytes up to ${end} are needed: the file is truncated or not what its header describes.`);
    }
    const out = new Uint8Array(end - start);
    let filled = 0;
    let failures = 0;
    while (filled < out.length) {
      if (filled > 0 || failures > 0) this.options.onResume?.({ start, end, kept: filled });
      const response = await this.request(`bytes=${start + filled}-${end - 1}`);
      if (response.status === 200) {
        // The server stopped honouring Range: take the slice from the whole body.
        const whole = await this.wholeBody(response);
        if (whole.length < end) throw this.truncated(start, end, whole.length - start);
        out.set(whole.subarray(start + filled, end), filled);
        return out;
      }
      if (response.status !== 206) throw httpError(this.url, response);
      this.checkSameFile(response);
      const range = this.contentRange(response);
      if (range.start !== start + filled || range.end !== end - 1) {
        throw new WeightsError(
          `${this.url} answered bytes ${start + filled}-${end - 1} with bytes ${range.start}-${range.end}; the server's Range support is broken.`,
        );
      }
      const before = filled;
      try {
        filled += await this.streamInto(response, out, filled);
      } catch (cause) {
        if (cause instanceof StyleTransferAbortError) throw cause;
        failures++;
        const got = (cause as { received?: number }).received ?? 0;
        filled = before + got;
        if (failures > (this.options.retries ?? 3)) throw this.broken(cause);
        continue;
      }
      if (filled < out.length) {
        // The body ended early without an error (no Content-Length): resume the rest.
        failures++;
        if (failures > (this.options.retries ?? 3)) throw this.truncated(start, end, filled);
      }
    }
    return out;
  }

  /** Sends one GET (with a Range header when given), translating network failures and aborts. */
  private async request(range?: string): Promise<Response> {
    const impl = this.options.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (typeof impl !== 'function') {
      throw new WeightsError((w) => `Cannot download ${this.url}: no fetch() is available in this runtime. ${offlineHint(w)}`);
    }
    this.checkAborted();
    try {
      return await impl(this.url, { headers: range ? { Range: range } : {}, signal: this.options.signal });
    } catch (cause) {
      this.checkAborted();
      throw new WeightsError((w) => `Could not reach ${this.url} (${describe(cause)}). ${offlineHint(w)}`, { cause });
    }
  }

  /** Returns the whole body of a 200 response, restarting the download from byte 0 when it breaks off. */
  private async wholeBody(first: Response): Promise<Uint8Array> {
    let response = first;
    for (let failures = 0; ; failures++) {
      const declared = Number(response.headers.get('content-length') ?? NaN);
      try {
        const body = await this.readBody(response, Number.isSafeInteger(declared) ? declared : undefined, true);
        if (!Number.isSafeInteger(declared) || body.length === declared) return body;
        throw Object.assign(new Error(`got ${body.length} of ${declared} bytes`), { received: body.length });
      } catch (cause) {
        if (cause instanceof StyleTransferAbortError) throw cause;
        if (failures >= (this.options.retries ?? 3)) throw this.broken(cause);
        this.options.onResume?.({ start: 0, end: Number.isSafeInteger(declared) ? declared : 0, kept: 0 });
        response = await this.request();
        if (response.status !== 200) throw httpError(this.url, response);
        this.checkSameFile(response);
      }
    }
  }

  /** Returns a body read to its end (`expected` bytes when known), reporting progress when `progress` is set. */
  private async readBody(response: Response, expected: number | undefined, progress: boolean): Promise<Uint8Array> {
    if (expected !== undefined) {
      const out = new Uint8Array(expected);
      const n = await this.streamInto(response, out, 0, progress);
      return n === expected ? out : out.subarray(0, n);
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for await (const chunk of this.chunks(response)) {
        chunks.push(chunk);
        total += chunk.length;
        if (progress) this.options.onBytes?.(chunk.length);
      }
    } catch (error) {
      throw Object.assign(error as object, { received: total });
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  /** Streams a body into `out` from `offset`; returns the bytes written. A thrown error carries `received`. */
  private async streamInto(response: Response, out: Uint8Array, offset: number, progress = true): Promise<number> {
    let written = 0;
    try {
      for await (const chunk of this.chunks(response)) {
        const room = out.length - offset - written;
        if (chunk.length > room) {
          throw new WeightsError(`${this.url} sent more bytes than the ${out.length - offset} requested; the server's Range support is broken.`);
        }
        out.set(chunk, offset + written);
        written += chunk.length;
        if (progress) this.options.onBytes?.(chunk.length);
      }
    } catch (error) {
      if (error instanceof WeightsError) throw error;
      this.checkAborted();
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { received: written });
    }
    return written;
  }

  /** Yields the chunks of a body (a single chunk when the Response has no stream). */
  private async *chunks(response: Response): AsyncGenerator<Uint8Array> {
    if (!response.body) {
      yield new Uint8Array(await response.arrayBuffer());
      return;
    }
    const reader = response.body.getReader();
    try {
      for (;;) {
        this.checkAborted();
        const { done, value } = await reader.read();
        if (done) return;
        if (value && value.length) yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  /** Returns the parsed `Content-Range: bytes a-b/size` of a 206 response. */
  private contentRange(response: Response): { start: number; end: number; size: number } {
    const header = response.headers.get('content-range') ?? '';
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim());
    if (!match) {
      throw new WeightsError(`${this.url} answered a Range request with status 206 but Content-Range ${JSON.stringify(header)}; the server's Range support is broken.`);
    }
    const [start, end, size] = match.slice(1).map(Number);
    if (this.size !== undefined && size !== this.size) {
      throw new WeightsError(`${this.url} changed size during the download (${this.size} → ${size} bytes); run the command again.`);
    }
    return { start, end, size };
  }

  /** Throws when a later response names another version of the file (ETag changed mid-download). */
  private checkSameFile(response: Response): void {
    const etag = response.headers.get('etag');
    if (this.etag && etag && etag !== this.etag) {
      throw new WeightsError(`${this.url} changed during the download (ETag ${this.etag} → ${etag}); run the command again.`);
    }
  }

  /**
   * Returns the SHA-256 a server states for the file: Hugging Face's `X-Linked-Etag` (the Git LFS object id).
   * A plain ETag is not trusted as one: CDNs use other 64-hex hashes (e.g. Xet's) there.
   */
  private sha256FromHeaders(response: Response): string | undefined {
    const match = SHA256_VALUE.exec(response.headers.get('x-linked-etag')?.trim() ?? '');
    return match ? match[1].toLowerCase() : undefined;
  }

  private checkAborted(): void {
    if (this.options.signal?.aborted) throw new StyleTransferAbortError('The weights download was cancelled.');
  }

  private truncated(start: number, end: number, got: number): WeightsError {
    return new WeightsError(
      `${this.url}: asked for bytes ${start}-${end - 1} but got ${got} bytes; the file is shorter than its header says (truncated?).`,
    );
  }

  private broken(cause: unknown): WeightsError {
    return new WeightsError(
      (w) => `The download of ${this.url} broke off ${(this.options.retries ?? 3) + 1} times (${describe(cause)}). ${offlineHint(w)}`,
      { cause },
    );
  }
}
