// Registers tfjs-core's gradients in a form every runtime can load (DESIGN: "decide once, in
// core"). tfjs-core's CommonJS build registers no gradients and its ESM build uses
// extensionless import paths that Node cannot resolve, so we bundle its
// `register_all_gradients` module into one self-contained ESM file at install/build time.
// The bundle shares tfjs-core's engine and registries (they live on the global object).
import { build } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const coreDist = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
await build({
  entryPoints: [join(coreDist, 'dist', 'register_all_gradients.js')],
  outfile: join(here, '..', 'vendor', 'tfjs-gradients.js'),
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2020',
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
