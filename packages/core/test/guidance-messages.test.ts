// Region guidance says what it found: the colours of a mask that defines no region, the content
// mask's colours when a region is missing there, and at which scale a region becomes empty.
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import { InvalidImageError } from '../src/errors.js';
import type { RgbaImage } from '../src/image.js';
import { thrown } from '../../../test-support/thrown.js';
import { checkGuidance, describeColours, findRegions, regionMask } from '../src/strotss/guidance.js';

const RED = [255, 0, 0] as const;
const BLUE = [0, 0, 255] as const;
const GREEN = [0, 255, 0] as const;

function flat(w: number, h: number, colour: (r: number, c: number) => readonly number[]): RgbaImage {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) data.set([...colour(r, c), 255], (r * w + c) * 4);
  return { width: w, height: h, data };
}

describe('region guidance messages', () => {
  beforeAll(async () => void (await tf.setBackend('cpu')));

  it('lists colours largest first with their pixel counts, and how many more there are', () => {
    const counts = new Map([[0xff0000ff, 10], [0x0000ffff, 30], [0x00ff00ff, 20]]);
    expect(describeColours(counts)).toBe('#0000ffff (30 px), #00ff00ff (20 px), #ff0000ff (10 px)');
    expect(describeColours(counts, 1)).toBe('#0000ffff (30 px) and 2 other colours');
  });

  it('a style mask with no region says which colours it has', () => {
    const style = flat(100, 100, (r) => (r < 50 ? RED : BLUE));
    const e = thrown(() => findRegions({ content: style, style }));
    expect(e).toBeInstanceOf(InvalidImageError);
    expect(e.message).toContain('has no colour on more than 10000 pixels, so it defines no region (its colours: #0000ffff (5000 px), #ff0000ff (5000 px))');
  });

  it('a region missing from the content mask: the warning names the colours the content mask has', () => {
    const content = flat(160, 120, (_r, c) => (c < 80 ? RED : GREEN));
    const style = flat(160, 160, (r) => (r < 80 ? RED : BLUE));
    const { warnings } = checkGuidance({ content, style }, flat(160, 120, () => RED), flat(160, 160, () => RED));
    expect(warnings.map((w) => w.message)).toEqual([
      'Region #0000ffff of the style guidance (12800 px) does not occur in the content guidance, whose colours are ' +
        '#00ff00ff (9600 px), #ff0000ff (9600 px): as in the reference, that style region then applies to the whole output.',
    ]);
  });

  it('a region that vanishes says its size in the mask and the scale where it is empty', async () => {
    const guide = flat(160, 120, (r, c) => (r === 4 && c === 4 ? GREEN : RED));
    const e = (await regionMask(guide, 0x00ff00ff, 12, 16, 'content').catch((x: Error) => x)) as Error;
    expect(e).toBeInstanceOf(InvalidImageError);
    expect(e.message).toContain('Region #00ff00ff of the content guidance (1 of its 160×120 px) is empty at the scale of 16×12 px');
    expect(e.message).toContain('largest coverage there is 0.25, a pixel needs more than 0.5');
  });
});
