// A real HTTP server on 127.0.0.1 for the weights download tests: serves one file, with or without Range
// support, can cut a response short once, and logs every request (Range asked, status, bytes sent).

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the server saw it. */
export interface LoggedRequest {
  method: string;
  range?: string;
  status: number;
  /** Body bytes written (before a cut). */
  sent: number;
}

/** How the test server behaves. */
export interface WeightsServerOptions {
  /** Honour `Range: bytes=a-b` (default true); false answers every GET with the whole file. */
  ranges?: boolean;
  /** Cut the next response whose body is larger than this after sending this many body bytes. */
  cutAfter?: number;
  /** Cut every such response, not just the first. */
  cutAlways?: boolean;
  /** ETag header to send. */
  etag?: string;
  /** More response headers to send. */
  headers?: Record<string, string>;
  /** Stop by itself after this many ms (default 120 000), so a failed test cannot leave it running. */
  lifetimeMs?: number;
}

/** A running test server; `close()` stops it (it also stops itself after `lifetimeMs`). */
export interface WeightsServer {
  url: string;
  log: LoggedRequest[];
  options: WeightsServerOptions;
  /** Replaces the file served. */
  setFile(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** Starts a server on 127.0.0.1 (random port) serving `file` at /model.safetensors. */
export async function startWeightsServer(file: Uint8Array, options: WeightsServerOptions = {}): Promise<WeightsServer> {
  let body = file;
  const log: LoggedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: LoggedRequest = { method: req.method ?? '?', range: req.headers.range, status: 0, sent: 0 };
    log.push(entry);
    // CORS as a hub serves it, so browser-like clients (happy-dom, pages) may read ranges and their headers.
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-range, content-length, etag, accept-ranges');
    if (req.method === 'OPTIONS') {
      entry.status = 204;
      res.writeHead(204, { 'access-control-allow-headers': 'range', 'access-control-allow-methods': 'GET' }).end();
      return;
    }
    if (req.url !== '/model.safetensors') {
      entry.status = 404;
      res.writeHead(404).end();
      return;
    }
    let start = 0;
    let end = body.length - 1;
    let status = 200;
    const match = options.ranges !== false && req.headers.range ? /^bytes=(\d+)-(\d*)$/.exec(req.headers.range) : null;
    if (match) {
      start = Number(match[1]);
      end = match[2] ? Math.min(Number(match[2]), body.length - 1) : body.length - 1;
      if (start >= body.length || end < start) {
        entry.status = 416;
        res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      status = 206;
    }
    const headers: Record<string, string> = { 'content-length': String(end - start + 1), 'content-type': 'application/octet-stream' };
    if (options.ranges !== false) headers['accept-ranges'] = 'bytes';
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    if (options.etag) headers.etag = options.etag;
    Object.assign(headers, options.headers);
    entry.status = status;
    res.writeHead(status, headers);
    const slice = body.subarray(start, end + 1);
    const cut = options.cutAfter;
    if (cut !== undefined && slice.length > cut) {
      if (!options.cutAlways) options.cutAfter = undefined;
      res.write(slice.subarray(0, cut), () => {
        entry.sent = cut;
        // Give the bytes time to leave, then drop the connection mid-body.
        setTimeout(() => req.socket.destroy(), 20);
      });
      return;
    }
    entry.sent = slice.length;
    res.end(slice);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      clearTimeout(guard);
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  // A forgotten server must not keep the test process alive.
  const guard = setTimeout(() => void close(), options.lifetimeMs ?? 120_000);
  guard.unref();
  return {
    url: `http://127.0.0.1:${port}/model.safetensors`,
    log,
    options,
    setFile: (bytes) => {
      body = bytes;
    },
    close,
  };
}
