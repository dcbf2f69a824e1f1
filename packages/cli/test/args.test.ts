// Point 1 (parsing: options anywhere, --guidance C S, negative values, --version, one-line usage errors,
// unknown flags with a suggestion) and point 8 (the help lists the new flags and the registered backends).

import { describe, expect, it } from 'vitest';
import { listBackends, registerBackend } from '@strotss/core';
import { parseCliArgs } from '../src/args.js';
import { closestName } from '../src/suggest.js';
import { cli, jsonLines } from './helpers.js';
import manifest from '../package.json' with { type: 'json' };

const HINT = "Run 'strotss --help' for the options.";

describe('options before, between and after the two image paths', () => {
  it.each([
    ['after', ['c.png', 's.png', '-o', 'out.png', '--size', '64', '--json']],
    ['before', ['-o', 'out.png', '--size', '64', '--json', 'c.png', 's.png']],
    ['between', ['c.png', '--size=64', '-o', 'out.png', 's.png', '--json']],
    ['attached -o', ['-oout.png', 'c.png', '--json', 's.png', '--size', '64']],
  ])('%s', (_where, argv) => {
    expect(parseCliArgs(argv)).toMatchObject({ command: 'run', content: 'c.png', style: 's.png', output: 'out.png', size: 64, json: true });
  });

  it('everything after -- is a path, even when it looks like an option', () => {
    expect(parseCliArgs(['-o', 'out.png', '--', '--odd.png', '-5.png'])).toMatchObject({ content: '--odd.png', style: '-5.png' });
  });
});

describe('--guidance takes exactly two values wherever it stands', () => {
  it('--guidance cm.png sm.png content.png style.png: masks first, then the images', () => {
    const args = parseCliArgs(['--guidance', 'cm.png', 'sm.png', 'content.png', 'style.png', '-o', 'out.png']);
    expect(args).toMatchObject({ guidance: ['cm.png', 'sm.png'], content: 'content.png', style: 'style.png' });
  });

  it('after the images, between them, and as --guidance=C S', () => {
    expect(parseCliArgs(['c.png', 's.png', '-o', 'o.png', '--guidance', 'cm.png', 'sm.png'])).toMatchObject({ content: 'c.png', style: 's.png', guidance: ['cm.png', 'sm.png'] });
    expect(parseCliArgs(['c.png', '--guidance', 'cm.png', 'sm.png', 's.png', '-o', 'o.png'])).toMatchObject({ content: 'c.png', style: 's.png', guidance: ['cm.png', 'sm.png'] });
    expect(parseCliArgs(['c.png', 's.png', '--guidance=cm.png', 'sm.png', '-o', 'o.png'])).toMatchObject({ guidance: ['cm.png', 'sm.png'] });
  });

  it.each([
    ['one mask at the end', ['c.png', 's.png', '-o', 'o.png', '--guidance', 'cm.png'], 'got only cm.png'],
    ['one mask before another option', ['c.png', 's.png', '--guidance', 'cm.png', '-o', 'o.png'], 'got only cm.png'],
    ['no mask', ['c.png', 's.png', '-o', 'o.png', '--guidance'], 'got none'],
    ['given twice', ['c.png', 's.png', '-o', 'o.png', '--guidance', 'a.png', 'b.png', '--guidance', 'c.png', 'd.png'], 'given twice'],
  ])('fewer than two values, or twice, is a usage error naming it: %s', async (_name, argv, fragment) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--guidance');
    expect(run.stderr).toContain(fragment);
  });

  it('the old mistake no longer runs: with one mask too few the images are not taken as masks', () => {
    // Before: `--guidance cm.png` + the two images parsed as guidance=[cm.png, content.png], style as the mask.
    expect(() => parseCliArgs(['--guidance', 'cm.png', '-o', 'o.png', 'content.png', 'style.png'])).toThrow('--guidance needs two paths');
  });
});

describe('negative numbers as option values reach our own checks', () => {
  it('--seed -5 is a valid seed', () => {
    expect(parseCliArgs(['c.png', 's.png', '-o', 'o.png', '--seed', '-5'])).toMatchObject({ seed: -5 });
  });

  it.each([
    ['--content-weight', '-1', ['--content-weight is -1', '≥ 0']],
    ['--size', '-3', ['--size is -3', 'positive integer']],
    ['--iterations', '-2', ['--iterations is -2', 'positive integer']],
    ['--preview-every', '-1', ['--preview-every is -1']],
  ])('%s %s: exit 2 with our message, not "argument is ambiguous"', async (flag, value, fragments) => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', flag, value]);
    expect(run.code).toBe(2);
    for (const f of fragments) expect(run.stderr).toContain(f);
    expect(run.stderr).not.toContain('ambiguous');
  });

  it('a value that is another option is reported as a missing value', async () => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', '--size', '--json']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--size needs a value (e.g. --size 512), but the next argument is the option --json.');
  });
});

describe('--version, -V, --verbose and --force', () => {
  it.each([['--version'], ['-V']])('%s prints the version from package.json and exits 0', async (flag) => {
    const run = await cli([flag]);
    expect(run.code).toBe(0);
    expect(run.stdout).toEqual([manifest.version]);
    expect(run.stderr).toBe('');
  });

  it('--verbose and --force are flags of a run', () => {
    expect(parseCliArgs(['c.png', 's.png', '-o', 'o.png'])).toMatchObject({ verbose: false, force: false });
    expect(parseCliArgs(['--verbose', 'c.png', 's.png', '-o', 'o.png', '--force'])).toMatchObject({ verbose: true, force: true });
    expect(parseCliArgs(['backends', '--verbose'])).toEqual({ command: 'backends', json: false, verbose: true });
  });
});

describe('usage errors: one line naming the flag and the problem, then a hint (exit 2)', () => {
  it('prints two lines, not the whole help', async () => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', '--size', 'abc']);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`strotss: --size is 'abc'; it must be a whole number such as 512.\n${HINT}\n`);
    expect(run.stderr).not.toContain('Usage:');
    expect(run.stdout).toEqual([]);
  });

  it('with --json the error is also a JSON line with its code and details', async () => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', '--size', 'abc', '--json']);
    expect(run.code).toBe(2);
    expect(jsonLines(run.stdout)).toEqual([
      { type: 'error', code: 'USAGE', message: "--size is 'abc'; it must be a whole number such as 512.", details: { option: 'size', value: 'abc' } },
    ]);
  });

  it.each([
    ['--itertions', '--iterations'],
    ['--contentweight', '--content-weight'],
    ['--sead', '--seed'],
    ['--verbsoe', '--verbose'],
    ['--out', '--output'],
  ])('unknown %s: did you mean %s?', async (typo, meant) => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', typo, '3']);
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`strotss: Unknown option ${typo}; did you mean ${meant}?`);
  });

  it('an unknown flag far from every real one gets no suggestion', async () => {
    const run = await cli(['c.png', 's.png', '-o', 'o.png', '--frobnicate']);
    expect(run.stderr).toBe(`strotss: Unknown option --frobnicate.\n${HINT}\n`);
    expect(closestName('frobnicate', ['size', 'seed', 'scales'])).toBeUndefined();
  });
});

describe('--help', () => {
  it('lists the new flags and the registered backends (a backend registered later shows up)', async () => {
    registerBackend({
      id: 'test-native',
      priority: -100,
      precision: 'fp32',
      isSupported: async () => false,
      init: async () => undefined,
    });
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    const help = run.stdout.join('\n');
    for (const flag of ['--version', '-V', '--verbose', '--force', '--guidance C S', '--preset NAME']) expect(help).toContain(flag);
    const listed = help.slice(help.indexOf('--backend NAME') + '--backend NAME'.length, help.indexOf('(default auto')).replace(/\s+/g, ' ').trim();
    const ids = listBackends().map((b) => b.id);
    expect(ids).toEqual(expect.arrayContaining(['tensorflow', 'webgpu', 'wasm', 'cpu', 'test-native']));
    expect(listed).toBe(['auto', ...ids].join(' | '));
  });
});
