// --style (repeated) with --style-weights, --preserve-color and --point / --point-weight: parsing,
// usage errors, and runs of the command with each.

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readImageFile, writeImageFile } from '@strotss/backend-node';
import { parseCliArgs } from '../src/args.js';
import { cli, jsonLines, solid, TINY_RUN, writeZeroVgg16 } from './helpers.js';

const usage = (argv: string[]) => {
  try {
    parseCliArgs(argv);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('no usage error');
};

describe('parsing', () => {
  it('--style a --style b --style-weights 0.7,0.3: the content is the only positional', () => {
    expect(parseCliArgs(['c.jpg', '--style', 'a.jpg', '--style', 'b.jpg', '--style-weights', '0.7,0.3', '-o', 'o.png'])).toMatchObject({
      content: 'c.jpg',
      style: 'a.jpg',
      styles: ['a.jpg', 'b.jpg'],
      styleWeights: [0.7, 0.3],
    });
    expect(parseCliArgs(['c.jpg', 's.jpg', '-o', 'o.png'])).toMatchObject({ style: 's.jpg', styles: ['s.jpg'], styleWeights: undefined, preserveColor: false });
  });

  it('refuses a positional style with --style, and a weight count that differs from the styles', () => {
    expect(usage(['c.jpg', 's.jpg', '--style', 'a.jpg', '-o', 'o.png'])).toContain('Got --style and 2 image paths (c.jpg s.jpg); with --style give only the content path');
    expect(usage(['c.jpg', '--style', 'a.jpg', '--style', 'b.jpg', '--style-weights', '1', '-o', 'o.png'])).toBe(
      '--style-weights has 1 number(s) (1) but 2 style image(s) are given; pass one weight per --style, in order.',
    );
    expect(usage(['c.jpg', '--style', 'a.jpg', '--style-weights', 'x', '-o', 'o.png'])).toContain("--style-weights is 'x'; it must be a number");
  });

  it('--point CX,CY:SX,SY (repeatable), --point-weight, --preserve-color', () => {
    const args = parseCliArgs(['c.jpg', 's.jpg', '-o', 'o.png', '--point', '10,20:30,40', '--point=1.5,2:3,4', '--point-weight', '8', '--preserve-color']);
    expect(args).toMatchObject({
      points: [
        { content: [10, 20], style: [30, 40] },
        { content: [1.5, 2], style: [3, 4] },
      ],
      pointWeight: 8,
      preserveColor: true,
    });
    expect(usage(['c.jpg', 's.jpg', '-o', 'o.png', '--point', '10,20'])).toBe(
      "--point is '10,20'; write it as CX,CY:SX,SY — the content point's x,y then the style point's x,y, in pixels (e.g. --point 120,80:40,60).",
    );
    expect(usage(['c.jpg', 's.jpg', '-o', 'o.png', '--point-weight', '3'])).toBe('--point-weight only applies with --point CX,CY:SX,SY.');
  });
});

describe('runs', () => {
  let dir: string;
  let weights: string;
  const paths = { content: '', a: '', b: '' };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strotss-features-'));
    weights = join(dir, 'vgg16.safetensors');
    await writeZeroVgg16(weights);
    Object.assign(paths, { content: join(dir, 'c.png'), a: join(dir, 'a.png'), b: join(dir, 'b.png') });
    await writeImageFile(paths.content, solid(64, 48, [150, 130, 110]));
    await writeImageFile(paths.a, solid(48, 64, [30, 60, 220]));
    await writeImageFile(paths.b, solid(64, 64, [20, 200, 20]));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('two weighted styles, --preserve-color and a point pair: exit 0, the point term in every step, the content colour kept', async () => {
    const out = join(dir, 'o.png');
    const run = await cli([paths.content, '--style', paths.a, '--style', paths.b, '--style-weights', '0.7,0.3', '--preserve-color', '--point', '32,24:10,10', '-o', out, '--weights', weights, '--json', ...TINY_RUN]);
    expect(run.code, run.stderr).toBe(0);
    const steps = jsonLines(run.stdout).filter((e) => e.type === 'step');
    expect(steps.length).toBeGreaterThan(0);
    for (const s of steps) expect(s.points).toBeTypeOf('number');
    const image = await readImageFile(out);
    // Solid content: every output pixel has its chroma (YIQ's I, Q of (150,130,110): 18.3, −2.0), not the styles'.
    const chroma = (r: number, g: number, b: number) => [0.595716 * r - 0.274453 * g - 0.321263 * b, 0.211456 * r - 0.522591 * g + 0.311135 * b];
    const [ic, qc] = chroma(150, 130, 110);
    for (let p = 0; p < image.data.length; p += 4 * 97) {
      const [i, q] = chroma(image.data[p], image.data[p + 1], image.data[p + 2]);
      expect(Math.abs(i - ic) + Math.abs(q - qc), `pixel ${p / 4}: ${image.data.slice(p, p + 3).join(',')}`).toBeLessThan(2);
    }
  });

  it('a point outside the content image: exit 1, naming the pair, the point, the file and its size', async () => {
    const out = join(dir, 'never.png');
    const run = await cli([paths.content, paths.a, '--point', '70,10:5,5', '-o', out, '--weights', weights, ...TINY_RUN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Point pair 1 of 1: the content point (70, 10) lies outside the content image ${paths.content} (64×48)`);
    expect(existsSync(out)).toBe(false);
  });

  it('a style weight of 0: exit 1, naming the image and the flag', async () => {
    const run = await cli([paths.content, '--style', paths.a, '--style', paths.b, '--style-weights', '1,0', '-o', join(dir, 'n.png'), '--weights', weights, ...TINY_RUN]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('The weight of style image 2 of 2 is 0; it must be a number > 0');
    expect(run.stderr).toContain('--style-weights 0.7,0.3');
  });
});
