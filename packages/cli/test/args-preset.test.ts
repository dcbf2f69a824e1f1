import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/args.js';

const run = (...extra: string[]) => parseCliArgs(['c.png', 's.png', '-o', 'out.png', ...extra]);

describe('--preset', () => {
  it('defaults to reference: 512 px, 250 iterations, default scales', () => {
    expect(run()).toMatchObject({ preset: 'reference', size: 512, iterations: 250, scales: undefined });
  });
  it('fast and draft set size, iterations and scales; explicit flags win', () => {
    expect(run('--preset', 'fast')).toMatchObject({ preset: 'fast', size: 512, iterations: 100, scales: undefined });
    expect(run('--preset', 'draft')).toMatchObject({ preset: 'draft', size: 256, iterations: 10, scales: 2 });
    expect(run('--preset', 'draft', '--iterations', '5')).toMatchObject({ iterations: 5, scales: 2 });
    expect(run('--preset', 'draft', '--size', '512')).toMatchObject({ size: 512, scales: undefined });
  });
});
