// Point 4: -o never silently replaces an input; a missing output folder is created when the job writes.

import { existsSync } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile, writeImageFile } from '@strotss/backend-node';
import { cli, solid, TINY_RUN, writeZeroVgg16 } from './helpers.js';

let dir: string;
let content: string;
let style: string;
let weights: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strotss-cli-output-'));
  await mkdir(join(dir, 'x'));
  content = join(dir, 'content.png');
  style = join(dir, 'style.png');
  weights = join(dir, 'vgg16-zero.safetensors');
  await writeImageFile(content, solid(64, 48, [200, 120, 40]));
  await writeImageFile(style, solid(48, 64, [30, 60, 220]));
  await writeZeroVgg16(weights);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The content image's bytes are untouched: it still decodes to the solid 64×48 it was. */
async function expectContentIntact(): Promise<void> {
  const image = await readImageFile(content);
  expect([image.width, image.height, image.data[0]]).toEqual([64, 48, 200]);
}

describe('-o naming an input file is refused before any work (exit 2), unless --force', () => {
  const missingWeights = () => join(dir, 'no-weights.json'); // never read: the refusal comes first

  it.each([
    ['the same path', () => content],
    ['another spelling (x/../content.png)', () => join(dir, 'x', '..', 'content.png')],
    ['a relative spelling (./…/x/../content.png)', () => `./${relative(process.cwd(), join(dir, 'x'))}/../content.png`],
  ])('-o is the content image by %s', async (_name, output) => {
    const run = await cli([content, style, '-o', output(), '--weights', missingWeights()]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`-o ${output()} is the content image ${content}`);
    expect(run.stderr).toContain('--force');
    expect(run.stderr).toContain("Run 'strotss --help' for the options.");
    expect(run.stderr).not.toContain('no-weights');
    await expectContentIntact();
  });

  it('a symlinked folder and a hard link are the same file too; so is a guidance mask', async () => {
    const linked = join(dir, 'linked');
    await symlink(dir, linked, 'dir');
    const viaLink = await cli([content, style, '-o', join(linked, 'style.png'), '--weights', missingWeights()]);
    expect(viaLink.code).toBe(2);
    expect(viaLink.stderr).toContain(`is the style image ${style}`);

    const hard = join(dir, 'hard.png');
    await link(content, hard);
    const viaHardLink = await cli([content, style, '-o', hard, '--weights', missingWeights()]);
    expect(viaHardLink.code).toBe(2);
    expect(viaHardLink.stderr).toContain(`is the content image ${content}`);

    const mask = join(dir, 'mask.png');
    await writeImageFile(mask, solid(64, 48, [0, 0, 0]));
    const overMask = await cli([content, style, '--guidance', mask, mask, '-o', mask, '--weights', missingWeights()]);
    expect(overMask.code).toBe(2);
    expect(overMask.stderr).toContain(`is the content guidance mask ${mask}`);
  });

  it('--force passes the check (the run then fails on the missing weights, not on -o)', async () => {
    const run = await cli([content, style, '-o', content, '--force', '--weights', missingWeights(), '--backend', 'cpu']);
    expect(run.stderr).not.toContain('is the content image');
    expect(run.stderr).toContain('no-weights.json');
    expect(run.code).toBe(1);
    await expectContentIntact();
  });

  it('an output next to the inputs, with a similar name, is fine', async () => {
    const run = await cli([content, style, '-o', join(dir, 'content.png.png'), '--weights', missingWeights(), '--backend', 'cpu']);
    expect(run.stderr).not.toContain('is the content image');
  });
});

describe('the output folder', () => {
  it('a missing folder is created (recursively) when the job writes the result', async () => {
    const out = join(dir, 'new', 'deeper', 'styled.png');
    const run = await cli([content, style, '-o', out, '--weights', weights, ...TINY_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const image = await readImageFile(out);
    expect([image.width, image.height]).toEqual([32, 24]);
    expect((await readdir(join(dir, 'new', 'deeper'))).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('a job that fails before writing leaves no folder behind', async () => {
    const out = join(dir, 'never', 'styled.png');
    const run = await cli([join(dir, 'missing.png'), style, '-o', out, '--weights', weights, ...TINY_RUN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Image file not found: ${join(dir, 'missing.png')}`);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('a path below a file, or a folder as -o, is a clear error naming the path (exit 1, before any work)', async () => {
    const file = join(dir, 'a-file.txt');
    await writeFile(file, 'not a folder\n');
    const below = join(file, 'sub', 'out.png');
    const underFile = await cli([content, style, '-o', below, '--weights', join(dir, 'no-weights.json')]);
    expect(underFile.code).toBe(1);
    expect(underFile.stderr).toContain(`Cannot write ${below}: ${file} is not a folder`);
    expect(underFile.stderr).not.toContain('no-weights');

    const folder = join(dir, 'folder.png');
    await mkdir(folder);
    const isFolder = await cli([content, style, '-o', folder, '--weights', join(dir, 'no-weights.json')]);
    expect(isFolder.code).toBe(1);
    expect(isFolder.stderr).toContain(`Cannot write ${folder}: it is a folder`);
  });
});
