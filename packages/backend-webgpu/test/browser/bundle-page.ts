// Bundles page.ts for the browser with esbuild's JS API into a temporary folder, mapping the
// @strotss/* imports onto the packages' TypeScript sources (as vitest.config.ts does for Node).
import { build, type Plugin } from 'esbuild';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const packagesDir = fileURLToPath(new URL('../../../', import.meta.url));

/** The package sources the page is built from (the same mapping as the repository's vitest.config.ts). */
export const SOURCE_ALIASES: Record<string, string> = {
  '@strotss/core': join(packagesDir, 'core/src/index.ts'),
  '@strotss/core/ops': join(packagesDir, 'core/src/ops/index.ts'),
  '@strotss/core/testing': join(packagesDir, 'core/src/testing/index.ts'),
  '@strotss/backend-webgpu': join(packagesDir, 'backend-webgpu/src/index.ts'),
  '@strotss/backend-node/wasm-kernels': join(packagesDir, 'backend-node/src/wasm-kernels.ts'),
};

/** Exact-name aliases (esbuild's own `alias` would also rewrite `@strotss/core/testing` as a subpath of `@strotss/core`). */
const strotssSources: Plugin = {
  name: 'strotss-sources',
  setup(b) {
    b.onResolve({ filter: /^@strotss\// }, (args) => {
      const path = SOURCE_ALIASES[args.path];
      if (!path) return { errors: [{ text: `${args.path} has no source mapping for the browser page (see SOURCE_ALIASES)` }] };
      return { path };
    });
  },
};

/** Returns the bundle's folder after writing `page.js` (+ map) and an `index.html` that loads it. */
export async function bundlePage(outDir: string): Promise<string> {
  await build({
    entryPoints: [fileURLToPath(new URL('./page.ts', import.meta.url))],
    outfile: join(outDir, 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    sourcemap: true,
    plugins: [strotssSources],
    // The Dawn binding for Node is never part of a browser page (the backend imports it only in Node).
    external: ['webgpu'],
    logLevel: 'error',
  });
  const html = '<!doctype html>\n<meta charset="utf-8">\n<title>STROTSS parity</title>\n<link rel="icon" href="data:,">\n<script type="module" src="page.js"></script>\n';
  await writeFile(join(outDir, 'index.html'), html);
  return outDir;
}
