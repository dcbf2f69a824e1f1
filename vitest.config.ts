import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

// Tests run against the TypeScript sources of every package (no build needed for a test run).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@strotss\/core\/ops$/, replacement: src('core/src/ops/index.ts') },
      { find: /^@strotss\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@strotss\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@strotss\/backend-node$/, replacement: src('backend-node/src/index.ts') },
      { find: /^@strotss\/backend-webgpu$/, replacement: src('backend-webgpu/src/index.ts') },
      { find: /^@strotss\/react$/, replacement: src('react/src/index.ts') },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    pool: 'forks',
    // Two cores here and in CI: the slow cpu-backend parity file runs beside everything else.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
