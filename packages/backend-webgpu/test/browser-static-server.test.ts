// The browser tests' file server: only its mounts, no path escapes, the right .wasm type, bounded life.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mapPath, startStaticServer, type StaticServer } from './browser/static-server.js';

describe('static server for the browser parity page', () => {
  let dir = '';
  let server: StaticServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('maps URL paths inside their mount only (longest prefix first)', () => {
    const mounts = { '/': '/srv/page', '/fixtures/': '/srv/fx' };
    expect(mapPath(mounts, '/page.js')).toBe('/srv/page/page.js');
    expect(mapPath(mounts, '/fixtures/index.json')).toBe('/srv/fx/index.json');
    expect(mapPath(mounts, '/fixtures/../../etc/passwd')).toBeUndefined();
    expect(mapPath(mounts, '/fixtures/%2e%2e/%2e%2e/etc/passwd')).toBeUndefined();
    expect(mapPath(mounts, '/%E0%A4%A')).toBeUndefined();
  });

  it('serves files with their content type, 404s the rest, refuses other methods', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-static-'));
    await mkdir(join(dir, 'wasm'));
    await writeFile(join(dir, 'index.html'), '<!doctype html>');
    await writeFile(join(dir, 'wasm', 'a.wasm'), new Uint8Array([0, 97, 115, 109]));
    server = await startStaticServer({ '/': dir, '/w/': join(dir, 'wasm') }, 60_000);
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await fetch(`${server.origin}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const wasm = await fetch(`${server.origin}/w/a.wasm`);
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(new Uint8Array([0, 97, 115, 109]));
    expect((await fetch(`${server.origin}/missing.js`)).status).toBe(404);
    expect((await fetch(`${server.origin}/w/`)).status).toBe(404); // a folder with no index.html
    expect((await fetch(`${server.origin}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect(server.requests()).toBe(5);
  });

  it('closes itself when its lifetime is over', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-static-'));
    server = await startStaticServer({ '/': dir }, 50);
    const origin = server.origin;
    await new Promise((r) => setTimeout(r, 200));
    await expect(fetch(`${origin}/`)).rejects.toThrow();
  });

  it('rejects a mount prefix without slashes', async () => {
    await expect(startStaticServer({ fixtures: '/tmp' }, 1000)).rejects.toThrow(/must start and end with "\/"/);
  });
});
