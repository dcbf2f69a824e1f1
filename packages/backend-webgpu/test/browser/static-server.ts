// A small, bounded static file server on 127.0.0.1 for the browser parity page: GET/HEAD only,
// a fixed set of URL prefixes mapped onto folders, no path escapes, and it closes itself after
// `lifetimeMs` even if the test that started it never does.
import { createServer, type Server } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

/** A running server: its origin (`http://127.0.0.1:PORT`) and how to stop it. */
export interface StaticServer {
  origin: string;
  /** Number of requests answered so far (for the report). */
  requests(): number;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8', // Chromium refuses a stylesheet of any other type
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
  '.wasm': 'application/wasm', // instantiateStreaming refuses any other type
  '.bin': 'application/octet-stream',
  '.safetensors': 'application/octet-stream',
};

/** Returns the file a URL path maps to under `mounts` (prefix → folder), or undefined when none / outside. */
export function mapPath(mounts: Record<string, string>, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  // Longest prefix first, so '/fixtures/' wins over '/'.
  for (const prefix of Object.keys(mounts).sort((a, b) => b.length - a.length)) {
    if (!decoded.startsWith(prefix)) continue;
    const root = resolve(mounts[prefix]);
    const file = resolve(root, `.${sep}${decoded.slice(prefix.length)}`);
    return file === root || file.startsWith(root + sep) ? file : undefined;
  }
  return undefined;
}

/** Starts the server on an ephemeral port of 127.0.0.1; resolves once it listens. */
export async function startStaticServer(mounts: Record<string, string>, lifetimeMs: number): Promise<StaticServer> {
  for (const prefix of Object.keys(mounts)) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/')) throw new Error(`mount prefix "${prefix}" must start and end with "/"`);
  }
  let count = 0;
  const server: Server = createServer(async (req, res) => {
    count++;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = mapPath(mounts, path.endsWith('/') ? `${path}index.html` : path);
    const info = file ? await stat(file).catch(() => undefined) : undefined;
    if (!file || !info?.isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-store',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const close = () =>
    new Promise<void>((ok) => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => ok());
    });
  // Bounded life: a forgotten server must not keep the test process (or CI) alive.
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();
  const address = server.address();
  if (address == null || typeof address === 'string') throw new Error(`unexpected server address ${String(address)}`);
  return { origin: `http://127.0.0.1:${address.port}`, requests: () => count, close };
}
