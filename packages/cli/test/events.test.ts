// Point 6 (core's warning events), point 7 (backend diagnostics with --verbose) and --verbose's stack
// traces of unexpected errors (errors the SDK does not throw on purpose).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { listBackends } from '@strotss/core';
import { writeImageFile } from '@strotss/backend-node';
import { cli, jsonLines, solid, writeZeroVgg16 } from './helpers.js';

// A bug stand-in: reading an image called boom.png throws a TypeError (not a StrotssError).
vi.mock('@strotss/backend-node', async (importOriginal) => {
  const node = await importOriginal<typeof import('@strotss/backend-node')>();
  return {
    ...node,
    readImageFile: async (path: string, ...rest: unknown[]) => {
      if (path.endsWith('boom.png')) throw new TypeError('Cannot read properties of undefined (reading "boom")');
      return (node.readImageFile as (...a: unknown[]) => ReturnType<typeof node.readImageFile>)(path, ...rest);
    },
  };
});

let dir: string;
const path = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strotss-cli-events-'));
  await writeImageFile(path('tiny.png'), solid(8, 8, [200, 120, 40]));
  await writeImageFile(path('square.png'), solid(16, 16, [30, 60, 220]));
  await writeImageFile(path('s.png'), solid(48, 64, [30, 60, 220]));
  await writeZeroVgg16(path('w.safetensors'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A one-iteration 16 px job on wasm: the 8×8 content image is below the first scale (16 px). */
const tinyJob = (...extra: string[]) => [path('tiny.png'), path('square.png'), '-o', path('o.png'), '--weights', path('w.safetensors'), '--size', '16', '--iterations', '1', '--backend', 'wasm', '--seed', '1', ...extra];

describe('warning events', () => {
  it('print as `strotss: warning: <message>` on stderr, once per event, and as JSON lines with --json', async () => {
    const run = await cli(tinyJob('--json'));
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('strotss: warning: '));
    expect(lines).toEqual([expect.stringMatching(/^strotss: warning: The content image is 8×8, smaller than the first scale \(16 px/)]);
    const events = jsonLines(run.stdout).filter((l) => l.type === 'warning');
    expect(events).toEqual([
      { type: 'warning', code: 'TINY_IMAGE', message: lines[0].slice('strotss: warning: '.length), details: { option: 'content', value: '8×8', limit: 16 } },
    ]);
  });
});

describe('--verbose: what the backends captured', () => {
  const cpu = () => listBackends().find((b) => b.id === 'cpu')!;
  afterEach(() => {
    delete cpu().diagnostics;
  });

  it('`strotss backends --verbose` prints each non-empty capture, every line prefixed; without --verbose nothing', async () => {
    cpu().diagnostics = () => 'MESA: warning: driver does not support Vulkan 1.3\nXDG_RUNTIME_DIR is invalid or not set\n';
    const verbose = await cli(['backends', '--verbose']);
    expect(verbose.code).toBe(0);
    // Other backends may have captured something here too (e.g. Dawn probing for a GPU): look at cpu's lines.
    expect(verbose.stderr.split('\n').filter((l) => l.includes('[cpu diagnostics]'))).toEqual([
      'strotss: [cpu diagnostics] MESA: warning: driver does not support Vulkan 1.3',
      'strotss: [cpu diagnostics] XDG_RUNTIME_DIR is invalid or not set',
    ]);
    const quiet = await cli(['backends']);
    expect(quiet.stderr).not.toContain('diagnostics]');
    expect(quiet.stdout).toEqual(verbose.stdout);
  });

  it('a run prints them after the backend is resolved, only with --verbose', async () => {
    cpu().diagnostics = () => 'captured while probing';
    const argv = [path('tiny.png'), path('s.png'), '-o', path('o.png'), '--weights', path('no-weights.json'), '--backend', 'cpu'];
    const verbose = await cli([...argv, '--verbose']);
    expect(verbose.code).toBe(1); // the weights are missing: the backend was resolved before
    expect(verbose.stderr).toContain('strotss: [cpu diagnostics] captured while probing\n');
    const quiet = await cli(argv);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).not.toContain('diagnostics');
  });
});

describe('unexpected errors', () => {
  const argv = () => [path('boom.png'), path('s.png'), '-o', path('o.png'), '--weights', path('w.safetensors')];

  it('print their message, without a stack trace', async () => {
    const run = await cli(argv());
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('strotss: Cannot read properties of undefined (reading "boom")\n');
  });

  it('--verbose adds the stack trace; --json reports code ERROR', async () => {
    const run = await cli([...argv(), '--verbose', '--json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^strotss: Cannot read properties of undefined \(reading "boom"\)\nTypeError: Cannot read properties[^\n]*\n\s+at /);
    expect(jsonLines(run.stdout)).toEqual([{ type: 'error', code: 'ERROR', message: 'Cannot read properties of undefined (reading "boom")', details: {} }]);
  });

  it('errors the SDK throws on purpose never show a stack; --verbose adds their causes, one line each', async () => {
    const run = await cli([path('missing.png'), path('s.png'), '-o', path('o.png'), '--weights', path('w.safetensors'), '--verbose']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Image file not found: ${path('missing.png')}`);
    expect(run.stderr).toContain('Caused by: Error: ENOENT');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
