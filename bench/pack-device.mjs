#!/usr/bin/env node
// Packs what bench/webgpu-device.ts needs on a GPU machine that has no Node, no npm registry and
// no ../shared: one folder (default .device/, git-ignored through .git/info/exclude) holding
//   webgpu-device.mjs   the script bundled with TF.js and our packages (only `webgpu` stays outside),
//   node_modules/webgpu the Dawn bindings (dawn.node xz-compressed),
//   node.xz             this machine's Node binary,
//   payload-data.tar.xz images + wasm baseline (from `prepare`),
//   payload-a.tar.xz    VGG19 weights and the fixtures but stage 5,
//   payload-b.tar.xz    the stage-5 fixtures (the loss cases, 17 MB),
//   run.sh              bench/webgpu-device.sh: unpacks, finds the Vulkan driver, runs the checks.
// Two payloads because a call to the GPU machine carries 64 MiB at most.
// Usage: node bench/pack-device.mjs [--out .device] [--skip-prepare] [--bundle-only]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, chmodSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({ options: { out: { type: 'string', default: '.device' }, 'skip-prepare': { type: 'boolean', default: false }, 'bundle-only': { type: 'boolean', default: false } } });
const out = resolve(root, values.out);
const shared = resolve(root, '../shared');
const sh = (cmd) => {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${cmd}`], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
};
mkdirSync(join(out, 'data'), { recursive: true });

if (!values['skip-prepare'] && !values['bundle-only']) sh(`node bench/run.mjs bench/webgpu-device.ts prepare --out ${join(out, 'data')} --shared ${shared}`);

const src = (p) => join(root, 'packages', p);
await build({
  entryPoints: [join(root, 'bench/webgpu-device.ts')],
  outfile: join(out, 'webgpu-device.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // `webgpu` is native; sharp and @strotss/backend-node are used by `prepare` only.
  external: ['webgpu', 'sharp', '@strotss/backend-node'],
  mainFields: ['module', 'main'],
  alias: {
    '@strotss/core/ops': src('core/src/ops/index.ts'),
    '@strotss/core/testing': src('core/src/testing/index.ts'),
    '@strotss/core': src('core/src/index.ts'),
    '@strotss/backend-webgpu': src('backend-webgpu/src/index.ts'),
  },
  minify: true,
  banner: { js: "import { createRequire as __strotssCreateRequire } from 'node:module'; const require = __strotssCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

copyFileSync(join(root, 'bench/webgpu-device.sh'), join(out, 'run.sh'));
if (values['bundle-only']) process.exit(0);
const webgpu = join(out, 'node_modules/webgpu');
mkdirSync(join(webgpu, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js', 'LICENSE.md']) copyFileSync(join(root, 'node_modules/webgpu', f), join(webgpu, f));
sh(`xz -T2 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > ${webgpu}/dist/linux-x64/dawn.node.xz`);
if (!existsSync(join(out, 'node.xz'))) sh(`xz -T2 -9e -c "$(readlink -f "$(command -v node)")" > ${out}/node.xz`);
sh(`tar -C ${shared} --exclude stage5_losses.safetensors -cf - weights/vgg19-caffe fixtures/reference | xz -T2 -9e > ${out}/payload-a.tar.xz`);
sh(`tar -C ${out}/data -cf - . | xz -T2 -6 > ${out}/payload-data.tar.xz`);
sh(`tar -C ${shared} -cf - fixtures/reference/index.json fixtures/reference/stage5_losses.safetensors | xz -T2 -6 > ${out}/payload-b.tar.xz`);

chmodSync(join(out, 'run.sh'), 0o755);
sh(`du -ch ${out}/node.xz ${out}/webgpu-device.mjs ${out}/node_modules ${out}/payload-*.tar.xz | tail -20`);
