// Drives the `strotss` CLI for real: in-process through main(argv, io), and as a child process through the
// built bin (dist/bin.js) for the signal handling. Generated inputs live in a temp folder; the shared VGG
// weights and images are used in place (never copied) and their tests are skipped when they are absent.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '@strotss/core';
import { readImageFile, writeImageFile } from '@strotss/backend-node';
import { cli, jsonLines, solid, zeroVgg16Tensors, type CliRun } from './helpers.js';
import { startWeightsServer, type WeightsServer } from '../../../test-support/weights-http-server.js';
import { vgg16TestFile } from '../../../test-support/vgg16-test-file.js';

const SHARED = fileURLToPath(new URL('../../../../shared/', import.meta.url));
const WEIGHTS = join(SHARED, 'weights/vgg19-caffe/model.json');
const CONTENT = join(SHARED, 'images/content/chelsea.png');
const STYLE = join(SHARED, 'images/style/starry_night.jpg');
const haveShared = [WEIGHTS, CONTENT, STYLE].every((p) => existsSync(p));
if (!haveShared) console.warn(`Skipping the CLI runs on real weights: ${SHARED} (weights/vgg19-caffe, images) is absent.`);

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const haveBin = existsSync(BIN);
if (!haveBin) console.warn(`Skipping the CLI child-process tests: ${BIN} is missing; build it with \`npx turbo run build\`.`);

/** Small, fast settings for every run that gets as far as the optimisation. */
const FAST = ['--size', '64', '--iterations', '2', '--backend', 'wasm', '--seed', '1'];

/** Files an interrupted or failed atomic write could leave behind. */
function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.tmp'));
}

let dir: string;
let content: string; // a valid 64×48 PNG
let style: string; // a valid 48×64 PNG
let outputs: string; // the folder every -o points into

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strotss-cli-'));
  content = join(dir, 'content.png');
  style = join(dir, 'style.png');
  outputs = join(dir, 'out');
  await mkdir(outputs);
  await writeImageFile(content, solid(64, 48, [200, 120, 40]));
  await writeImageFile(style, solid(48, 64, [30, 60, 220]));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts a failed run: exit code, every fragment in stderr, no output file and no temp file left. */
function expectFailure(run: CliRun, code: number, out: string, fragments: readonly string[]): void {
  for (const fragment of fragments) expect(run.stderr, `stderr should mention ${fragment}`).toContain(fragment);
  expect(run.code, run.stderr).toBe(code);
  expect(existsSync(out), `${out} should not exist`).toBe(false);
  expect(tempFiles(outputs)).toEqual([]);
}

describe('usage errors exit 2 and name the offending value', () => {
  // Two images and -o OUT (replaced by a path in the temp folder), then the faulty part.
  const IMAGES_AND_OUT = ['a.png', 'b.png', '-o', 'OUT'];
  const cases: Array<[string, string[], string[]]> = [
    ['no arguments', [], ['Expected <content> and <style>', 'got 0 argument(s)']],
    ['one image only', ['a.png'], ['got 1 argument(s)']],
    ['missing -o', ['a.png', 'b.png'], ['Missing -o']],
    ['empty -o', ['a.png', 'b.png', '-o', ''], ['Missing -o']],
    ['--size abc', [...IMAGES_AND_OUT, '--size', 'abc'], ["--size is 'abc'", 'whole number']],
    // Ranges are core's to check (resolveOptions), worded with the flag.
    ['--size 0', [...IMAGES_AND_OUT, '--size', '0'], ['--size is 0', 'positive integer']],
    ['--size 15', [...IMAGES_AND_OUT, '--size', '15'], ['--size is 15', 'at least 16']],
    ['--size 64.5', [...IMAGES_AND_OUT, '--size', '64.5'], ["--size is '64.5'"]],
    ['--size 1e3', [...IMAGES_AND_OUT, '--size', '1e3'], ["--size is '1e3'"]],
    ['--size with blanks', [...IMAGES_AND_OUT, '--size', ' 64'], ["--size is ' 64'"]],
    ['--iterations 0', [...IMAGES_AND_OUT, '--iterations', '0'], ['--iterations is 0', 'positive integer']],
    ['--iterations -3', [...IMAGES_AND_OUT, '--iterations=-3'], ['--iterations is -3']],
    ['--scales 0', [...IMAGES_AND_OUT, '--scales', '0'], ['--scales is 0']],
    ['--preview-every -1', [...IMAGES_AND_OUT, '--preview-every=-1'], ['--preview-every is -1', '0 turns previews off']],
    ['--preview-every -1 (a negative value after a blank)', [...IMAGES_AND_OUT, '--preview-every', '-1'], ['--preview-every is -1']],
    ['--size with a missing value', [...IMAGES_AND_OUT, '--size'], ['--size needs a value']],
    ['--content-weight empty', [...IMAGES_AND_OUT, '--content-weight', ''], ["--content-weight is ''"]],
    ['--content-weight -1', [...IMAGES_AND_OUT, '--content-weight=-1'], ['--content-weight is -1', '≥ 0']],
    ['--content-weight 0x10', [...IMAGES_AND_OUT, '--content-weight', '0x10'], ["--content-weight is '0x10'"]],
    ['--seed 1.5', [...IMAGES_AND_OUT, '--seed', '1.5'], ["--seed is '1.5'"]],
    ['--seed empty', [...IMAGES_AND_OUT, '--seed', ''], ["--seed is ''"]],
    ['unknown --model', [...IMAGES_AND_OUT, '--model', 'vgg11'], ["--model is 'vgg11'", 'vgg16', 'vgg19-caffe']],
    ['--model naming an Object.prototype key', [...IMAGES_AND_OUT, '--model', 'toString'], ["--model is 'toString'"]],
    ['--sampler bogus', [...IMAGES_AND_OUT, '--sampler', 'bogus'], ["--sampler is 'bogus'", "'paired' or 'reference'"]],
    ['--preset quick', [...IMAGES_AND_OUT, '--preset', 'quick'], ["--preset is 'quick'", 'reference, fast, draft']],
    ['unknown --backend', [...IMAGES_AND_OUT, '--backend', 'bogus'], ["--backend is 'bogus'", 'wasm', 'cpu']],
    ['empty --weights', [...IMAGES_AND_OUT, '--weights', ''], ['--weights is empty']],
    ['unknown option', [...IMAGES_AND_OUT, '--frobnicate'], ['--frobnicate']],
    ['a third image', [...IMAGES_AND_OUT, 'c.png'], ['Unexpected argument(s): c.png']],
    ['--guidance with one mask', [...IMAGES_AND_OUT, '--guidance', 'm.png'], ['--guidance needs two paths']],
  ];
  it.each(cases)('%s', async (_name, argv, fragments) => {
    const out = join(outputs, 'usage.png');
    const run = await cli(argv.map((a) => (a === 'OUT' ? out : a)));
    // One line naming the problem and a hint, not the whole help.
    expectFailure(run, 2, out, [...fragments, "\nRun 'strotss --help' for the options.\n"]);
    expect(run.stderr.split('\n')).toHaveLength(3);
    expect(run.stderr).not.toContain('Usage:');
    expect(run.stdout).toEqual([]);
  });

  it('backends takes no further arguments', async () => {
    const run = await cli(['backends', 'extra']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("after 'backends': extra");
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout.join('\n')).toContain('strotss <content> <style> -o <out.png>');
  });
});

describe('the output path is checked before any work', () => {
  it('an unsupported extension fails before the (missing) images and weights are touched', async () => {
    const out = join(outputs, 'out.bmp');
    const run = await cli([join(dir, 'missing.png'), join(dir, 'missing-style.png'), '-o', out, '--weights', join(dir, 'no-weights.json')]);
    expectFailure(run, 1, out, [out, '".bmp" is not a supported image format', '.png, .jpg, .jpeg, .webp']);
    expect(run.stderr).not.toMatch(/missing\.png|no-weights/);
  });

  it('a missing output folder is no error: it is created when the job writes (not when the job fails first)', async () => {
    const out = join(dir, 'no-such-folder', 'out.png');
    const run = await cli([join(dir, 'missing.png'), style, '-o', out, '--weights', join(dir, 'no-weights.json')]);
    expectFailure(run, 1, out, [`Image file not found: ${join(dir, 'missing.png')}`]);
    expect(existsSync(join(dir, 'no-such-folder'))).toBe(false);
  });

  it('an output path that is a folder fails up front', async () => {
    const folder = join(outputs, 'folder.png');
    await mkdir(folder);
    try {
      const run = await cli([content, style, '-o', folder, '--weights', join(dir, 'no-weights.json')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Cannot write ${folder}: it is a folder`);
      expect(run.stderr).not.toContain('no-weights');
    } finally {
      await rm(folder, { recursive: true });
    }
  });

  it('--json reports the failure as an error line on stdout too', async () => {
    const out = join(outputs, 'json.gif');
    const run = await cli([content, style, '-o', out, '--json']);
    expectFailure(run, 1, out, ['".gif"']);
    const [line] = jsonLines(run.stdout);
    expect(line).toMatchObject({ type: 'error', code: 'INVALID_OPTION' });
    expect(line.message).toContain('.gif');
  });
});

describe('missing weights', () => {
  it('no --weights, --offline and an empty cache: exit 1 before the (missing) images are read, naming the flag', async () => {
    const out = join(outputs, 'no-weights.png');
    const cacheDir = join(dir, 'empty-cache');
    const run = await cli([join(dir, 'missing.png'), join(dir, 'missing-style.png'), '-o', out, '--offline'], { env: { STROTSS_CACHE: cacheDir } });
    expectFailure(run, 1, out, ['vgg16 weights are not in the cache', cacheDir, '(--offline, or STROTSS_OFFLINE=1)', 'huggingface.co/timm/vgg16.tv_in1k', 'strotss weights fetch', 'pass local weights with --weights']);
    expect(run.stderr).not.toContain('missing.png');
  });

  it('STROTSS_OFFLINE=1 does the same; vgg19-caffe has no download source and says to pass --weights', async () => {
    const out = join(outputs, 'no-weights-env.png');
    const offline = await cli([content, style, '-o', out], { env: { STROTSS_CACHE: join(dir, 'empty-cache'), STROTSS_OFFLINE: '1' } });
    expectFailure(offline, 1, out, ['(--offline, or STROTSS_OFFLINE=1)']);
    const caffe = await cli([content, style, '-o', out, '--model', 'vgg19-caffe', '--offline'], { env: { STROTSS_CACHE: join(dir, 'empty-cache') } });
    expectFailure(caffe, 1, out, ['no download source for vgg19-caffe', 'pass --weights']);
  });

  it('no network: exit 1, the message names the URL and --weights', async () => {
    const out = join(outputs, 'no-network.png');
    const url = 'http://127.0.0.1:9/model.safetensors'; // the discard port: nothing listens there
    const run = await cli([content, style, '-o', out, '--backend', 'wasm'], { env: { STROTSS_CACHE: join(dir, 'net-cache'), STROTSS_WEIGHTS_URL: url } });
    expectFailure(run, 1, out, [`Could not reach ${url}`, 'pass them with --weights']);
  });

  it('STROTSS_WEIGHTS naming a missing file: the message names it', async () => {
    const out = join(outputs, 'env-weights.png');
    const missing = join(dir, 'nowhere', 'model.json');
    const run = await cli([content, style, '-o', out], { env: { STROTSS_WEIGHTS: missing } });
    expectFailure(run, 1, out, [`Weights file not found: ${missing}`]);
  });
});

describe('bad input images: exit 1, the message names the file', () => {
  const weights = () => join(dir, 'unused-weights.json'); // Never read: the images fail first.

  it('a missing content file', async () => {
    const out = join(outputs, 'missing.png');
    const missing = join(dir, 'does-not-exist.png');
    const run = await cli([missing, style, '-o', out, '--weights', weights()]);
    expectFailure(run, 1, out, [`Image file not found: ${missing}`]);
  });

  it('a text file named x.png', async () => {
    const out = join(outputs, 'text.png');
    const text = join(dir, 'x.png');
    await writeFile(text, 'this is not an image\n');
    const run = await cli([text, style, '-o', out, '--weights', weights()]);
    expectFailure(run, 1, out, [text, 'not in a format sharp can decode', 'PNG, JPEG or WebP']);
  });

  it('an empty (0-byte) style image', async () => {
    const out = join(outputs, 'empty.png');
    const empty = join(dir, 'empty.jpg');
    await writeFile(empty, new Uint8Array(0));
    const run = await cli([content, empty, '-o', out, '--weights', weights()]);
    expectFailure(run, 1, out, [empty, 'empty (0 bytes)']);
  });

  it.each([
    ['PNG', 'png', 60],
    ['JPEG', 'jpg', 100],
  ])('a truncated %s: one line naming the file', async (_format, extension, keep) => {
    const whole = join(dir, `whole.${extension}`);
    await writeImageFile(whole, solid(64, 48, [90, 90, 90]));
    const truncated = join(dir, `truncated.${extension}`);
    await writeFile(truncated, (await readFile(whole)).subarray(0, keep));
    const out = join(outputs, `truncated-${extension}.png`);
    const run = await cli([truncated, style, '-o', out, '--weights', weights()]);
    expectFailure(run, 1, out, [`The image ${truncated} is corrupt or truncated`, 're-export or re-download it']);
    expect(run.stderr.trimEnd().split('\n'), run.stderr).toHaveLength(1); // libvips' multi-line detail is folded
    expect(run.stderr).not.toMatch(/:\)/);
  });

  it('a 400×20 content image the VGG cannot take at --size 64: says how to crop or which flags to pass', async () => {
    const wide = join(dir, 'wide.png');
    await writeImageFile(wide, solid(400, 20, [10, 200, 90]));
    const out = join(outputs, 'wide.png');
    const run = await cli([wide, style, '-o', out, '--weights', weights(), '--size', '64', '--model', 'vgg16']);
    expectFailure(run, 1, out, [
      `The content image ${wide} is 400×20`,
      'aspect ratio 20.0:1',
      'shrinks to 64×3',
      'at least 16 px on the short side',
      'at most 4:1',
      '--size 320 --scales 1',
    ]);
  });

  it.skipIf(!haveShared)('following that advice for a 3000×20 image on wasm: refused before it starts, naming the size that fits and --backend native', async () => {
    // Before the workload check this started, ran ~53 s and died in the wasm heap with a raw stack trace.
    const strip = join(dir, 'strip.png');
    await writeImageFile(strip, solid(3000, 20, [10, 200, 90]));
    const out = join(outputs, 'strip.png');
    const advice = await cli([strip, style, '-o', out, '--weights', WEIGHTS]);
    expectFailure(advice, 1, out, ['--size 2400 --scales 1']);
    const run = await cli([strip, style, '-o', out, '--weights', WEIGHTS, '--backend', 'wasm', '--size', '2400', '--scales', '1']);
    expectFailure(run, 1, out, ['--size 2400 is too large here', "over the wasm backend's memory", '--backend native']);
    const fits = Number(/Use --size (\d+) or less/.exec(run.stderr)?.[1]);
    expect(fits, run.stderr).toBeGreaterThan(0);
    expect(fits).toBeLessThan(2400);
    expect(run.stderr).not.toMatch(/RuntimeError|\n\s+at /);
  });

  it('a 20×400 style image at the default size: suggests --scales 1', async () => {
    const tall = join(dir, 'tall.png');
    await writeImageFile(tall, solid(20, 400, [10, 200, 90]));
    const out = join(outputs, 'tall.png');
    const run = await cli([content, tall, '-o', out, '--weights', weights(), '--model', 'vgg16']);
    expectFailure(run, 1, out, [`The style image ${tall} is 20×400`, 'shrinks to 3×64', '--scales 1 so the first scale is at least 320 px']);
  });
});

describe('bad weights: exit 1, the message names the file and the tensor', () => {
  let missingTensor: string;
  let misShaped: string;
  beforeAll(async () => {
    const tensors = zeroVgg16Tensors();
    expect(Object.keys(tensors)).toHaveLength(26); // 13 convs × (weight, bias)
    const { ['features.10.weight']: _dropped, ...rest } = tensors;
    missingTensor = join(dir, 'vgg16-missing.safetensors');
    await writeFile(missingTensor, writeSafetensors(rest));
    misShaped = join(dir, 'vgg16-misshaped.safetensors');
    // conv3_1's kernel with in/out swapped: the same number of values, the wrong layout.
    const swapped = { shape: [128, 256, 3, 3], values: tensors['features.10.weight'].values };
    await writeFile(misShaped, writeSafetensors({ ...tensors, 'features.10.weight': swapped }));
  });

  it('a missing tensor', async () => {
    const out = join(outputs, 'missing-tensor.png');
    const run = await cli([content, style, '-o', out, '--model', 'vgg16', '--weights', missingTensor, '--backend', 'wasm']);
    expectFailure(run, 1, out, [missingTensor, 'lacks 1 tensor(s) that vgg16 needs: features.10.weight']);
  });

  it('a mis-shaped tensor', async () => {
    const out = join(outputs, 'misshaped.png');
    const run = await cli([content, style, '-o', out, '--model', 'vgg16', '--weights', misShaped, '--backend', 'wasm']);
    expectFailure(run, 1, out, [misShaped, 'features.10.weight has shape [128, 256, 3, 3], expected [256, 128, 3, 3] (conv3_1)']);
  });

  it('weights that are not a safetensors file', async () => {
    const junk = join(dir, 'junk.safetensors');
    await writeFile(junk, 'nope');
    const out = join(outputs, 'junk.png');
    const run = await cli([content, style, '-o', out, '--weights', junk, '--backend', 'wasm']);
    expectFailure(run, 1, out, [junk, 'truncated']);
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
  });
});

describe.skipIf(!haveShared)('runs on the shared VGG19 weights', () => {
  it('--model vgg16 with VGG19 weights is refused before loading them', async () => {
    const out = join(outputs, 'wrong-model.png');
    const run = await cli([CONTENT, STYLE, '-o', out, '--weights', WEIGHTS, '--model', 'vgg16']);
    expectFailure(run, 1, out, ['--model is vgg16', WEIGHTS, 'vgg19-caffe weights', '--model vgg19-caffe']);
  });

  it('Ctrl-C while loading: exit 130, nothing written', async () => {
    const out = join(outputs, 'early-interrupt.png');
    // The handler fires as soon as it is registered: the run stops at the first checkpoint.
    const run = await cli([CONTENT, STYLE, '-o', out, '--weights', WEIGHTS, ...FAST, '--json'], {
      onInterrupt: (handler) => {
        queueMicrotask(handler);
        return () => undefined;
      },
    });
    expectFailure(run, 130, out, ['interrupted', `${out} was not written`]);
    expect(jsonLines(run.stdout)).toEqual([{ type: 'interrupted', output: null, kept: null, checkpoint: null }]);
  });

  it('--json --size 64 --iterations 2 writes a 64 px PNG and one JSON object per line', async () => {
    const out = join(outputs, 'styled.png');
    const run = await cli([CONTENT, STYLE, '-o', out, '--weights', WEIGHTS, ...FAST, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout);
    expect(lines.map((l) => l.type)).toEqual(['backend', 'scale', 'step', 'step', 'done']);
    expect(lines[0]).toMatchObject({ type: 'backend', id: 'wasm', model: 'vgg19-caffe' });
    expect(lines[1]).toMatchObject({ type: 'scale', scale: 1, scales: 1, iterations: 2 });
    const steps = lines.filter((l) => l.type === 'step');
    expect(steps.map((s) => s.iteration)).toEqual([0, 1]);
    for (const step of steps) {
      for (const key of ['scale', 'iteration', 'loss', 'content', 'remd', 'moment', 'palette']) {
        expect(typeof step[key], `step.${key}`).toBe('number');
        expect(Number.isFinite(step[key]), `step.${key} = ${step[key]}`).toBe(true);
      }
    }
    const done = lines[4];
    expect(done).toMatchObject({ type: 'done', output: out });
    expect(typeof done.seconds).toBe('number');
    expect(done.seconds as number).toBeGreaterThan(0);

    const image = await readImageFile(out);
    expect(Math.max(image.width, image.height)).toBe(64);
    // chelsea.png is 451×300: the output keeps its aspect ratio.
    expect(image.width).toBe(64);
    expect(image.height).toBe(42);
    expect(tempFiles(outputs)).toEqual([]);
  });
});

describe('strotss backends', () => {
  // Other backends may be registered among these (e.g. a native one): these four are always there, in this order.
  const FOUR = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

  it('lists tensorflow, webgpu, wasm and cpu with availability', async () => {
    const run = await cli(['backends']);
    expect(run.code).toBe(0);
    const byId = new Map(run.stdout.map((line) => [line.split(/\s+/)[0], line]));
    expect([...byId.keys()].filter((id) => FOUR.includes(id))).toEqual(FOUR);
    for (const line of byId.values()) expect(line).toMatch(/^\S+\s+(available|unavailable)\s/);
    const tensorflow = byId.get('tensorflow')!;
    if (/\bunavailable\b/.test(tensorflow)) expect(tensorflow).toContain('@tensorflow/tfjs-node');
    // No GPU here: webgpu is either available (a hardware adapter) or says why not.
    expect(byId.get('webgpu')).toMatch(/^webgpu\s+(available\s|unavailable\s+\S)/);
    expect(byId.get('wasm')).toMatch(/^wasm\s+available\s/);
    expect(byId.get('cpu')).toMatch(/^cpu\s+available\s/);
  });

  it('--json: one parsable object per backend', async () => {
    const run = await cli(['backends', '--json']);
    expect(run.code).toBe(0);
    const rows = jsonLines(run.stdout);
    for (const r of rows) expect(r.type).toBe('backend');
    const [tensorflow, webgpu, wasm, cpu] = FOUR.map((id) => rows.find((r) => r.id === id)!);
    expect(rows.filter((r) => FOUR.includes(r.id as string)).map((r) => r.id)).toEqual(FOUR);
    if (!tensorflow.available) expect(tensorflow.reason).toMatch(/@tensorflow\/tfjs-node/);
    if (!webgpu.available) expect(String(webgpu.reason)).not.toBe('');
    expect(wasm).toMatchObject({ available: true });
    expect(cpu).toMatchObject({ available: true });
  });
});

/** A running child `node dist/bin.js …`: its stdout lines so far, stderr, and a promise of its exit. */
function spawnCli(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const env = { ...process.env, ...extraEnv };
  delete env.STROTSS_WEIGHTS;
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let partial = '';
  const waiters: Array<{ test: (line: string) => boolean; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  /** Resolves at the first stdout line passing `test`; rejects if the process exits first. */
  const waitForLine = (test: (line: string) => boolean) =>
    new Promise<void>((resolve, reject) => {
      if (lines.some(test)) return resolve();
      waiters.push({ test, resolve });
      void exit.then(({ code }) => reject(new Error(`the CLI exited (${code}) before the line; stderr:\n${stderr}`)));
    });
  return { child, lines, stderr: () => stderr, exit, waitForLine };
}

const isType = (type: string) => (line: string) => {
  try {
    return (JSON.parse(line) as { type?: string }).type === type;
  } catch {
    return false;
  }
};

describe.skipIf(!haveBin)('the built bin (child process)', () => {
  it('three processes fetching into one cache at once: all succeed, one intact entry, no temp files', async () => {
    const server = await startWeightsServer(vgg16TestFile());
    try {
      const env = { STROTSS_CACHE: join(dir, 'shared-cache'), STROTSS_WEIGHTS_URL: server.url };
      const runs = [0, 1, 2].map(() => spawnCli(['weights', 'fetch'], env));
      const exits = await Promise.all(runs.map((r) => r.exit));
      runs.forEach((r, i) => expect(exits[i], r.stderr()).toEqual({ code: 0, signal: null }));
      const paths = new Set(runs.map((r) => r.lines[0]));
      expect(paths.size).toBe(1);
      const [path] = paths;
      const files = readdirSync(join(dir, 'shared-cache', 'vgg16'));
      expect(files.filter((n) => n.endsWith('.tmp'))).toEqual([]);
      expect(files.sort()).toEqual([path.slice(-76, -12) + '.json', path.slice(-76)]);
      const verify = spawnCli(['weights', 'verify'], env);
      expect((await verify.exit).code, verify.stderr()).toBe(0);
      expect(verify.lines[0]).toMatch(/^ok +vgg16 /);
    } finally {
      await server.close();
    }
  });

  it('a usage error exits 2', async () => {
    const run = spawnCli(['only-one.png']);
    expect(await run.exit).toEqual({ code: 2, signal: null });
    expect(run.stderr()).toContain('got 1 argument(s)');
  });

  it.skipIf(!haveShared)('SIGINT after the first step: exit 130, nothing written, no temp file', async () => {
    const out = join(outputs, 'sigint.png');
    const run = spawnCli([CONTENT, STYLE, '-o', out, '--weights', WEIGHTS, ...FAST, '--iterations', '50', '--json']);
    await run.waitForLine(isType('step'));
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toContain('interrupted');
    expect(run.stderr()).toContain(`${out} was not written`);
    expect(existsSync(out)).toBe(false);
    expect(tempFiles(outputs)).toEqual([]);
    const lines = jsonLines(run.lines);
    expect(lines.filter((l) => l.type === 'step').length).toBeLessThan(50);
    expect(lines.at(-1)).toEqual({ type: 'interrupted', output: null, kept: null, checkpoint: null });
  });

  it.skipIf(!haveShared)('SIGINT with --preview-every 1: the last preview is kept as the output, whole', async () => {
    const out = join(outputs, 'sigint-preview.png');
    const run = spawnCli([CONTENT, STYLE, '-o', out, '--weights', WEIGHTS, ...FAST, '--iterations', '50', '--preview-every', '1', '--json']);
    await run.waitForLine(isType('preview'));
    run.child.kill('SIGINT');
    const { code } = await run.exit;
    expect(code, run.stderr()).toBe(130);
    expect(run.stderr()).toMatch(new RegExp(`interrupted; .*sigint-preview\\.png holds the last preview \\(scale 1/1, iteration \\d+\\)`));
    const image = await readImageFile(out);
    expect([image.width, image.height]).toEqual([64, 42]);
    expect(tempFiles(outputs)).toEqual([]);
    const last = jsonLines(run.lines).at(-1)!;
    expect(last).toMatchObject({ type: 'interrupted', output: out });
  });
});

/** The smallest run VGG16 takes (32 px, one iteration): these tests are about the weights, not the result. */
const TINY = ['--size', '32', '--iterations', '1', '--backend', 'wasm', '--seed', '1'];

describe('default weights: VGG16 downloaded once into the cache (a 127.0.0.1 server stands in for the hub)', () => {
  let server: WeightsServer;
  let env: NodeJS.ProcessEnv;
  let cachedPath: string;
  beforeAll(async () => {
    server = await startWeightsServer(vgg16TestFile());
    env = { STROTSS_CACHE: join(dir, 'weights-cache'), STROTSS_WEIGHTS_URL: server.url };
  });
  afterAll(async () => {
    await server.close();
  });

  it('`weights fetch` downloads the header and the conv tensors only, then prints the cache path', async () => {
    const run = await cli(['weights', 'fetch'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(server.log.map((r) => r.status)).toEqual([206, 206]);
    expect(run.stdout).toHaveLength(1);
    cachedPath = run.stdout[0];
    expect(cachedPath.startsWith(join(dir, 'weights-cache', 'vgg16'))).toBe(true);
    expect(existsSync(cachedPath)).toBe(true);
    expect(run.stderr).toContain('vgg16 weights downloaded');
    expect(run.stderr).toMatch(/weights \[#{20}\] 58\.9\/58\.9 MB/); // the progress line, complete

    server.log.length = 0;
    const again = await cli(['weights', 'fetch', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(server.log).toEqual([]);
    const lines = jsonLines(again.stdout);
    expect(lines.at(-1)).toMatchObject({ type: 'weights', action: 'fetch', model: 'vgg16', path: cachedPath, fromCache: true, source: server.url });

    const path = await cli(['weights', 'path'], { env });
    expect(path.stdout).toEqual([cachedPath]);
    const verify = await cli(['weights', 'verify'], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toHaveLength(1);
    expect(verify.stdout[0]).toMatch(/^ok +vgg16 /);
  });

  it('a run without --weights uses the cached VGG16 (no request), also with --offline', async () => {
    server.log.length = 0;
    const out = join(outputs, 'default-weights.png');
    const run = await cli([content, style, '-o', out, ...TINY, '--json', '--offline'], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(server.log).toEqual([]);
    const lines = jsonLines(run.stdout);
    expect(lines.find((l) => l.type === 'backend')).toMatchObject({ model: 'vgg16', weights: cachedPath });
    expect(lines.at(-1)).toMatchObject({ type: 'done', output: out });
    expect((await stat(out)).size).toBeGreaterThan(0);
  });

  it('a corrupted entry: `weights verify` exits 1 and drops it, the next run downloads it again', async () => {
    const bytes = await readFile(cachedPath);
    bytes[bytes.length - 1] ^= 0x55;
    await writeFile(cachedPath, bytes);
    const verify = await cli(['weights', 'verify'], { env });
    expect(verify.code).toBe(1);
    expect(verify.stdout[0]).toMatch(/^BAD vgg16 .*SHA-256 mismatch/);
    expect(existsSync(cachedPath)).toBe(false);

    const offline = await cli(['weights', 'path'], { env });
    expect(offline.code).toBe(1);
    expect(offline.stderr).toContain('strotss weights fetch');

    server.log.length = 0;
    const out = join(outputs, 'refetched.png');
    const run = await cli([content, style, '-o', out, ...TINY], { env });
    expect(run.code, run.stderr).toBe(0);
    expect(server.log).toHaveLength(2);
    expect(run.stderr).toContain(`weights downloaded: ${cachedPath}`);
    expect(existsSync(cachedPath)).toBe(true);
  });

  it('usage errors of `strotss weights` exit 2', async () => {
    for (const [argv, fragment] of [
      [['weights'], "needs an action: fetch, path, verify, convert"],
      [['weights', 'bogus'], "Unknown weights action 'bogus'"],
      [['weights', 'convert'], 'takes one file or folder to convert, got 0'],
      [['weights', 'fetch', 'extra'], "after 'weights fetch': extra"],
      [['weights', 'fetch', '--float16'], '--float16 only applies'],
      [['weights', 'convert', 'x.json', '-o', 'x.bin'], 'name it *.safetensors'],
    ] as Array<[string[], string]>) {
      const run = await cli(argv, { env });
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toContain(fragment);
    }
  });
});

describe.skipIf(!haveShared)('`strotss weights convert` on the shared VGG19', () => {
  it('--float16 -o writes a compact file half the float32 size that loads as --weights', async () => {
    const f16 = join(dir, 'vgg19-f16.safetensors');
    const run = await cli(['weights', 'convert', join(SHARED, 'weights/vgg19-caffe'), '--float16', '-o', f16]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toEqual([f16]);
    expect(run.stderr).toContain('vgg19-caffe weights');
    // 20,024,384 conv parameters × 2 bytes, plus the header.
    const size = (await stat(f16)).size;
    expect(size).toBeGreaterThan(2 * 20_024_384);
    expect(size).toBeLessThan(2 * 20_024_384 + 8192);

    const cached = await cli(['weights', 'convert', join(SHARED, 'weights/vgg19-caffe/model.json'), '--json'], { env: { STROTSS_CACHE: join(dir, 'convert-cache') } });
    expect(cached.code, cached.stderr).toBe(0);
    const [line] = jsonLines(cached.stdout);
    expect(line).toMatchObject({ type: 'weights', action: 'convert', model: 'vgg19-caffe' });
    expect(String(line.path).startsWith(join(dir, 'convert-cache', 'vgg19-caffe'))).toBe(true);
  });
});
