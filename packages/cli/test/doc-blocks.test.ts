// Every code block of README.md and docs/*.md, run as written: the docs cannot drift from the code.
//
// Blocks run in a scratch folder (under node_modules/.cache) holding what the examples name (content.jpg, style.jpg, cm.png,
// sm.png: shared test images; path/to/model.json: the shared VGG19 weights) with `strotss` on the
// PATH, a private weights cache, and STROTSS_WEIGHTS_URL pointing at a local server that serves a
// VGG16 file (so `strotss weights fetch` works without the internet). sh blocks run in bash, ts
// blocks as ES modules (bundled by esbuild, the @strotss packages from this repository's build),
// tsx blocks are bundled and rendered once with react-dom/server. A block preceded by
// `<!-- doc-test: skip (reason) -->` is not run and the reason is printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { startWeightsServer, type WeightsServer } from '../../../test-support/weights-http-server.js';
import { vgg16TestFile } from '../../../test-support/vgg16-test-file.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const shared = join(root, '..', 'shared');
const haveShared = existsSync(join(shared, 'weights', 'vgg19-caffe', 'model.json'));

/** One fenced code block of a Markdown file, with what precedes it. */
interface DocBlock {
  file: string;
  line: number;
  lang: string;
  code: string;
  skip?: string;
}

/** The fenced blocks of `file` (relative to the repository root). */
function docBlocks(file: string): DocBlock[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  const blocks: DocBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !/^```\s*$/.test(lines[i])) body.push(lines[i]);
    const before = lines.slice(Math.max(0, start - 2), start).join('\n');
    const skip = /<!-- doc-test: skip \((.+?)\) -->/.exec(before)?.[1];
    blocks.push({ file, line: start + 1, lang: open[1], code: body.join('\n'), skip });
  }
  return blocks;
}

/** The Markdown pages of `folder` (relative to the repository root), none when it does not exist. */
const pages = (folder: string) => (existsSync(join(root, folder)) ? readdirSync(join(root, folder)).filter((f) => f.endsWith('.md')).map((f) => `${folder}/${f}`) : []);
const files = ['README.md', ...pages('docs'), ...pages('docs/guide')];
const blocks = files.flatMap(docBlocks);

let work = '';
let server: WeightsServer | undefined;
const moduleDir = join(root, 'node_modules', '.cache', 'strotss-doc-blocks');

beforeAll(async () => {
  if (!haveShared) return;
  // Inside the repository (an ignored folder), so that `npx strotss` finds the workspace's command.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  work = mkdtempSync(join(root, 'node_modules', '.cache', 'strotss-docs-'));
  cpSync(join(shared, 'images', 'content', 'chelsea.png'), join(work, 'content.jpg'));
  cpSync(join(shared, 'images', 'style', 'starry_night.jpg'), join(work, 'style.jpg'));
  cpSync(join(root, 'examples', 'content', 'chelsea.png'), join(work, 'content.png'));
  mkdirSync(join(work, 'path', 'to'), { recursive: true });
  for (const f of readdirSync(join(shared, 'weights', 'vgg19-caffe'))) symlinkSync(join(shared, 'weights', 'vgg19-caffe', f), join(work, 'path', 'to', f));
  server = await startWeightsServer(vgg16TestFile(5), { lifetimeMs: 30 * 60_000 });
  mkdirSync(moduleDir, { recursive: true });
});
afterAll(async () => {
  await server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The environment of a block: strotss on the PATH, a private cache, the local weights server. */
function blockEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}`,
    STROTSS_CACHE: join(work, '.cache'),
    STROTSS_WEIGHTS_URL: server!.url,
    STROTSS_WEIGHTS: undefined,
    NODE_NO_WARNINGS: '1',
  };
}

/**
 * Runs a command to its end and returns its exit code and output. Asynchronously: the weights server
 * lives in this process, so a blocking spawn would keep it from answering.
 */
function runCommand(command: string, args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: work, env: blockEnv() });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 280_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output });
    });
  });
}

/** Runs one block; returns its exit code and output. */
async function runBlock(block: DocBlock, index: number): Promise<{ status: number | null; output: string }> {
  if (block.lang === 'sh') return runCommand('bash', ['-euo', 'pipefail', '-c', block.code]);
  const tsx = block.lang === 'tsx';
  const entry = join(moduleDir, `block-${index}.${block.lang}`);
  // tsx blocks define a component: it is rendered once on the server to prove it runs.
  const source = tsx
    ? `${block.code}\nimport { renderToString as __render } from 'react-dom/server';\nimport { createElement as __h } from 'react';\nconsole.log(__render(__h(StyleTransferDemo)));\n`
    : block.code;
  writeFileSync(entry, source);
  const out = join(moduleDir, `block-${index}.mjs`);
  await build({ entryPoints: [entry], outfile: out, bundle: true, platform: 'node', format: 'esm', packages: 'external', jsx: 'automatic', logLevel: 'error' });
  return runCommand(process.execPath, [out]);
}

describe.skipIf(!haveShared)('code blocks of the README and docs, run as written', () => {
  it('finds the blocks', () => {
    expect(blocks.filter((b) => b.file === 'README.md').length).toBeGreaterThan(5);
    console.log(`doc blocks: ${blocks.length} in ${files.join(', ')} (${blocks.filter((b) => b.skip).length} not run, with their reasons)`);
  });
  blocks.forEach((block, index) => {
    const name = `${block.file}:${block.line} (${block.lang})`;
    if (block.skip) {
      console.warn(`${name} not run: ${block.skip}`);
      it.skip(`${name}: ${block.skip}`, () => undefined);
      return;
    }
    it(name, async () => {
      expect(['sh', 'ts', 'tsx'], `${name}: language`).toContain(block.lang);
      const { status, output } = await runBlock(block, index);
      expect(status, `${name} failed:\n${block.code}\n---\n${output.slice(-3000)}`).toBe(0);
    }, 300_000);
  });
});

