import { describe, expect, it } from 'vitest';
import { resolveOptions, QUALITY_PRESETS, InvalidOptionError, type RgbaImage } from '@strotss/core';

const image: RgbaImage = { width: 4, height: 3, data: new Uint8ClampedArray(48) };
const base = { content: image, style: image, weights: {} };

describe('quality presets', () => {
  it('reference is the spec: 512 px, 250 iterations, N 1024, 5 × 1000 style samples, default scales', () => {
    const r = resolveOptions(base);
    expect(r.preset).toBe('reference');
    expect([r.size, r.iterations, r.scales, r.samplesPerStep, r.styleDraws, r.styleSamplesPerDraw]).toEqual([512, 250, undefined, 1024, 5, 1000]);
  });

  it('fast and draft set their own defaults', () => {
    const fast = resolveOptions({ ...base, preset: 'fast' });
    expect([fast.size, fast.iterations, fast.styleDraws, fast.styleSamplesPerDraw]).toEqual([512, 100, 3, 1000]);
    const draft = resolveOptions({ ...base, preset: 'draft' });
    expect([draft.size, draft.scales, draft.iterations, draft.samplesPerStep, draft.styleDraws]).toEqual([256, 2, 10, 256, 1]);
    expect(QUALITY_PRESETS.draft.size).toBe(256);
  });

  it('explicit options win over the preset; an explicit size drops the preset scale count', () => {
    const r = resolveOptions({ ...base, preset: 'draft', iterations: 7, styleDraws: 2 });
    expect([r.iterations, r.styleDraws, r.scales]).toEqual([7, 2, 2]);
    const sized = resolveOptions({ ...base, preset: 'draft', size: 512 });
    expect([sized.size, sized.scales]).toEqual([512, undefined]);
  });

  it('an unknown preset names the value and the choices', () => {
    expect(() => resolveOptions({ ...base, preset: 'quick' as never })).toThrow(InvalidOptionError);
    expect(() => resolveOptions({ ...base, preset: 'quick' as never })).toThrow(/preset is 'quick'; use one of reference, fast, draft/);
  });
});
