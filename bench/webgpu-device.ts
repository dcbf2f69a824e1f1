// The WebGPU backend on a machine with a real GPU (issue "GPU backends…": Dawn over the NVIDIA
// Vulkan driver, the server-GPU path that needs no CUDA). Two halves:
//
//   prepare (here, on the build machine; `node bench/run.mjs bench/webgpu-device.ts prepare --out DIR`):
//     decodes the images the checks use to raw RGBA (the GPU machine has no sharp) and runs the
//     whole-algorithm comparison runs on wasm, whose final losses the GPU run is compared with;
//   run (there; bundled by bench/pack-device.mjs, run by .device/run.sh):
//     the reference parity suite of @strotss/core/testing on webgpu at the fixtures' fp32
//     tolerances, the 2-scale 64 px stylize() runs against the wasm baseline (2 % rule), and the
//     iteration benchmark (throughput, s/iteration 64…1024 px) on the GPU; `--parts …,whole` adds a
//     whole reference-preset run at --whole-size.
//
// Every result is printed as one JSON line (and appended to --out/results.jsonl) so a run cut
// short still reports what it finished.
import { parseArgs } from 'node:util';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  tf,
  stylize,
  resolveBackend,
  loadVggWeights,
  VGG19_CAFFE,
  FEATURE_EXTRACTORS,
  QUALITY_PRESETS,
  type RgbaImage,
} from '@strotss/core';
import {
  ReferenceFixtures,
  referenceParityCases,
  runStylize,
  compareStylizeRuns,
  type StylizeRunResult,
  type StylizeRunSpec,
} from '@strotss/core/testing';
import { fileByteSource } from '../packages/backend-node/src/fs-byte-source.js';
import { iterationFlops, secondsPerIteration, syntheticWeights, throughput } from './lib/iteration-cost.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string' },
    data: { type: 'string' },
    shared: { type: 'string', default: '../shared' },
    stages: { type: 'string', default: 'resize,pyramid,vgg,hypercolumns,losses,optimizer,e2e' },
    runs: { type: 'string', default: '2,10' },
    sizes: { type: 'string', default: '64,128,256,512,1024' },
    timed: { type: 'string', default: '5' },
    parts: { type: 'string', default: 'parity,runs,speed' },
    'whole-size': { type: 'string', default: '512' },
  },
});

/** The 2-scale comparison runs: CLI defaults for chelsea × The Starry Night at 64 px, seed 0. */
const RUN_IMAGES = { content: 'content/chelsea.png', style: 'style/starry_night.jpg' };
const runSpec = (iterations: number, content: RgbaImage, style: RgbaImage, weights: StylizeRunSpec['weights']): StylizeRunSpec => ({
  content,
  style,
  weights,
  model: 'vgg19-caffe',
  size: 64,
  scales: 2,
  iterations,
  seed: 0,
});

// backend-node's file reader, from its own module: the package's index also loads sharp, which
// the GPU machine does not have.
const files = fileByteSource();

interface RawImage {
  name: string;
  width: number;
  height: number;
  file: string;
}

function saveImage(dir: string, name: string, image: RgbaImage): RawImage {
  const file = `${name.replace(/[^a-z0-9]+/gi, '_')}.rgba`;
  writeFileSync(join(dir, file), image.data);
  return { name, width: image.width, height: image.height, file };
}

function loadImage(dir: string, images: RawImage[], name: string): RgbaImage {
  const meta = images.find((i) => i.name === name);
  if (!meta) throw new Error(`${dir}/images.json has no image '${name}'; run 'prepare' again.`);
  return { width: meta.width, height: meta.height, data: new Uint8ClampedArray(readFileSync(join(dir, meta.file))) };
}

async function prepare(out: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  const { readImageFile } = await import('@strotss/backend-node');
  const sharp = (await import('sharp')).default;
  const images: RawImage[] = [];
  for (const name of [RUN_IMAGES.content, RUN_IMAGES.style]) images.push(saveImage(out, name, await readImageFile(`${values.shared}/images/${name}`)));
  // The iteration benchmark's 4:3 crops (bench/iteration.ts).
  for (const name of [RUN_IMAGES.content, RUN_IMAGES.style]) {
    const { data, info } = await sharp(`${values.shared}/images/${name}`).resize(640, 480, { fit: 'cover' }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    images.push(saveImage(out, `${name}@640x480`, { width: info.width, height: info.height, data: new Uint8ClampedArray(data) }));
  }
  writeFileSync(join(out, 'images.json'), JSON.stringify(images, null, 1));
  await resolveBackend('wasm');
  const weights = await loadVggWeights(VGG19_CAFFE, files, `${values.shared}/weights/vgg19-caffe/model.json`);
  const content = loadImage(out, images, RUN_IMAGES.content);
  const style = loadImage(out, images, RUN_IMAGES.style);
  const baseline: Record<string, Omit<StylizeRunResult, 'image'>> = {};
  for (const iterations of String(values.runs).split(',').map(Number)) {
    const { image: _image, ...result } = await runStylize('wasm', runSpec(iterations, content, style, weights));
    baseline[iterations] = result;
    console.log(`wasm, ${iterations} iterations/scale: final losses ${result.finalLosses.join(' / ')} (${result.seconds.toFixed(0)} s)`);
  }
  writeFileSync(join(out, 'baseline.json'), JSON.stringify(baseline, null, 1));
}

function report(out: string | undefined, record: Record<string, unknown>): void {
  const line = JSON.stringify(record);
  console.log(line);
  if (out) appendFileSync(join(out, 'results.jsonl'), `${line}\n`);
}

async function runOnGpu(data: string, out: string | undefined): Promise<void> {
  if (out) mkdirSync(out, { recursive: true });
  await import('@strotss/backend-webgpu');
  const parts = new Set(String(values.parts).split(','));
  const t0 = performance.now();
  const { backend, skipped } = await resolveBackend('webgpu');
  report(out, { type: 'backend', id: backend.id, description: backend.description, skipped, initSeconds: (performance.now() - t0) / 1000 });
  const weightsPath = join(data, 'weights/vgg19-caffe/model.json');
  const weights = await loadVggWeights(VGG19_CAFFE, files, weightsPath).catch((e: Error) => {
    report(out, { type: 'note', message: `no VGG19 weights (${e.message}): vgg, e2e and run checks left out` });
    return undefined;
  });

  if (parts.has('parity')) {
    const fx = await ReferenceFixtures.load((f) => readFile(join(data, 'fixtures/reference', f)));
    const stages = new Set(String(values.stages).split(','));
    const cases = referenceParityCases(fx, { vgg: weights && { preset: VGG19_CAFFE, weights }, argMinTies: 'any' }).filter((c) => stages.has(c.stage));
    let failed = 0;
    for (const c of cases) {
      const started = performance.now();
      try {
        const before = tf.memory().numTensors;
        const results = await c.run();
        const worst = results.reduce((w, r) => (r.error / (r.tolerance || 1e-30) > w.error / (w.tolerance || 1e-30) ? r : w), results[0]);
        const bad = results.filter((r) => !(r.error <= r.tolerance));
        const leaked = tf.memory().numTensors - before;
        if (bad.length || leaked) failed++;
        report(out, {
          type: 'parity',
          id: c.id,
          stage: c.stage,
          pass: bad.length === 0 && leaked === 0,
          outputs: results.length,
          worst: { name: worst.name, kind: worst.kind, error: worst.error, tolerance: worst.tolerance },
          failures: bad.map((r) => ({ name: r.name, kind: r.kind, error: r.error, tolerance: r.tolerance })),
          leakedTensors: leaked,
          seconds: (performance.now() - started) / 1000,
        });
      } catch (e) {
        failed++;
        report(out, { type: 'parity', id: c.id, stage: c.stage, pass: false, error: String((e as Error).stack ?? e) });
      }
    }
    report(out, { type: 'parity-summary', cases: cases.length, failed });
  }

  if (parts.has('runs') && weights) {
    const images = JSON.parse(readFileSync(join(data, 'images.json'), 'utf8')) as RawImage[];
    const baseline = JSON.parse(readFileSync(join(data, 'baseline.json'), 'utf8')) as Record<string, Omit<StylizeRunResult, 'image'>>;
    const content = loadImage(data, images, RUN_IMAGES.content);
    const style = loadImage(data, images, RUN_IMAGES.style);
    for (const [iterations, wasm] of Object.entries(baseline)) {
      const got = await runStylize('webgpu', runSpec(Number(iterations), content, style, weights));
      const checks = compareStylizeRuns(got, { ...wasm, image: got.image });
      report(out, {
        type: 'run',
        iterations: Number(iterations),
        webgpu: got.finalLosses,
        wasm: wasm.finalLosses,
        relative: got.finalLosses.map((l, i) => Math.abs(l / wasm.finalLosses[i] - 1)),
        pass: checks.every((c) => c.pass),
        seconds: got.seconds,
        wasmSeconds: wasm.seconds,
      });
    }
  }

  if (parts.has('speed')) {
    const images = JSON.parse(readFileSync(join(data, 'images.json'), 'utf8')) as RawImage[];
    const content = loadImage(data, images, `${RUN_IMAGES.content}@640x480`);
    const style = loadImage(data, images, `${RUN_IMAGES.style}@640x480`);
    const peak = await throughput();
    report(out, { type: 'throughput', matmulGflops: peak.matmul, convGflops: peak.conv });
    const model = FEATURE_EXTRACTORS.vgg16;
    const defaults = QUALITY_PRESETS.reference;
    const synthetic = syntheticWeights(model);
    for (const size of String(values.sizes).split(',').map(Number)) {
      try {
        const { shape, seconds } = await secondsPerIteration(content, style, synthetic, model, size, Number(values.timed), 'webgpu');
        const [w, h] = shape.split('×').map(Number);
        const flops = iterationFlops(model, h, w, defaults.samplesPerStep, defaults.styleDraws * defaults.styleSamplesPerDraw);
        report(out, { type: 'iteration', size, shape, seconds, gflop: flops.total / 1e9, effectiveGflops: flops.total / seconds / 1e9, ofMatmul: flops.total / seconds / 1e9 / peak.matmul });
      } catch (e) {
        report(out, { type: 'iteration', size, error: (e as Error).message });
      }
    }
  }
  if (parts.has('whole')) {
    // A whole run with the reference preset (every scale, 250 iterations each) at --whole-size:
    // what a user waits for. Synthetic VGG16 weights: the time does not depend on their values.
    const images = JSON.parse(readFileSync(join(data, 'images.json'), 'utf8')) as RawImage[];
    const content = loadImage(data, images, `${RUN_IMAGES.content}@640x480`);
    const style = loadImage(data, images, `${RUN_IMAGES.style}@640x480`);
    const size = Number(values['whole-size']);
    const job = stylize({ content, style, weights: syntheticWeights(FEATURE_EXTRACTORS.vgg16), model: 'vgg16', size, seed: 0, backend: 'webgpu' });
    const perScale: Array<{ scale: number; shape: string; iterations: number; seconds: number }> = [];
    let scaleStart = performance.now();
    job.onEvent((e) => {
      if (e.type === 'scale') {
        scaleStart = performance.now();
        perScale.push({ scale: e.scale, shape: `${e.width}×${e.height}`, iterations: e.iterations, seconds: 0 });
      }
      if (e.type === 'step') perScale[perScale.length - 1].seconds = (performance.now() - scaleStart) / 1000;
    });
    const started = performance.now();
    await job.result;
    report(out, { type: 'whole', size, preset: 'reference', seconds: (performance.now() - started) / 1000, perScale });
  }
  report(out, { type: 'done', seconds: (performance.now() - t0) / 1000, tensors: tf.memory().numTensors });
}

const [mode] = positionals;
if (mode === 'prepare') {
  if (!values.out) throw new Error('prepare needs --out DIR (e.g. .device/data)');
  await prepare(values.out);
} else if (mode === 'run') {
  if (!values.data) throw new Error('run needs --data DIR (the folder bench/pack-device.mjs filled)');
  await runOnGpu(values.data, values.out);
} else {
  console.error('usage: webgpu-device.ts prepare --out DIR | run --data DIR [--out DIR] [--parts parity,runs,speed] [--stages …] [--sizes …]');
  process.exit(2);
}
process.exit(0);
