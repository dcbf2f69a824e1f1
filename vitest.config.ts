import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const src = (p: string) => fileURLToPath(new URL(`./packages/${p}`, import.meta.url));

/**
 * Test files that take minutes, started first and in this order so that the other worker runs
 * everything else beside them. Vitest orders by the previous run's durations, and on a clean
 * clone (CI) by file size, which put the small cpu-parity file (≈16 CPU-minutes) last.
 */
const LONG_FILES = [
  'packages/core/test/reference-parity.test.ts',
  'packages/backend-webgpu/test/browser-parity.test.ts',
  'packages/backend-node/test/reference-parity-wasm.test.ts',
];

class LongFilesFirst extends BaseSequencer {
  async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONG_FILES.findIndex((p) => f.moduleId.replaceAll('\\', '/').endsWith(p));
      return i < 0 ? LONG_FILES.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

// Tests run against the TypeScript sources of every package (no build needed for a test run).
export default defineConfig({
  resolve: {
    alias: [
      { find: /^@strotss\/core\/ops$/, replacement: src('core/src/ops/index.ts') },
      { find: /^@strotss\/core\/testing$/, replacement: src('core/src/testing/index.ts') },
      { find: /^@strotss\/core$/, replacement: src('core/src/index.ts') },
      { find: /^@strotss\/backend-node\/wasm-kernels$/, replacement: src('backend-node/src/wasm-kernels.ts') },
      { find: /^@strotss\/backend-node\/browser-wasm$/, replacement: src('backend-node/src/browser-wasm-backend.ts') },
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
    sequence: { sequencer: LongFilesFirst },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default'],
  },
});
