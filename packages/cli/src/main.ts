import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  describeBackends,
  FEATURE_EXTRACTORS,
  InvalidImageError,
  InvalidOptionError,
  listBackends,
  resolveBackend,
  scaleSchedule,
  StrotssError,
  StyleTransferAbortError,
  stylize,
  WeightsError,
  type FeatureExtractorId,
  type RgbaImage,
  type StyleTransferEvent,
} from '@strotss/core';
import {
  imageFormatFromPath,
  inferModel,
  loadWeights,
  weightsOptionsFromEnv,
  readImageFile,
  writeImageFile,
  type LoadedWeights,
  type NodeWeightsOptions,
} from '@strotss/backend-node';
import { parseCliArgs, UsageError, USAGE, type RunArgs } from './args.js';
import { ProgressReporter } from './progress.js';
import { registerOptionalBackends } from './optional-backends.js';
import { runWeightsCommand } from './weights-command.js';

/** Where the CLI writes; injectable for tests. */
export interface CliIO {
  stdout: (line: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Registers a handler for Ctrl-C; returns its remover. */
  onInterrupt: (handler: () => void) => () => void;
}

/** Runs the CLI with `argv` and returns the exit code (0 ok, 1 failure, 2 usage, 130 interrupted). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  await registerOptionalBackends();
  let args;
  try {
    args = parseCliArgs(argv);
    if (args.command === 'run') checkBackendName(args.backend);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`strotss: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (args.command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  if (args.command === 'backends') {
    const rows = await describeBackends();
    if (args.json) for (const r of rows) io.stdout(JSON.stringify({ type: 'backend', ...r }));
    else for (const r of rows) io.stdout(`${r.id.padEnd(11)} ${r.available ? 'available  ' : 'unavailable'} ${r.available ? (r.description ?? '') : r.reason}`);
    return 0;
  }
  try {
    return args.command === 'weights' ? await runWeightsCommand(args, io) : await runStyleTransfer(args, io);
  } catch (e) {
    const message = e instanceof StrotssError ? e.message : `${(e as Error).stack ?? e}`;
    if (args.json) io.stdout(JSON.stringify({ type: 'error', code: (e as StrotssError).code ?? 'ERROR', message }));
    io.stderr(`strotss: ${message}\n`);
    return 1;
  }
}

/** `--backend` must be 'auto' or a registered backend; anything else is a usage error. */
function checkBackendName(name: string): void {
  const ids = listBackends().map((b) => b.id);
  if (name !== 'auto' && !ids.includes(name)) {
    throw new UsageError(`--backend is '${name}'; use auto, ${ids.join(', ')}.`);
  }
}

/** Checks the output path before any work: known extension, an existing writable folder, not a folder itself. */
function checkOutput(output: string): void {
  imageFormatFromPath(output);
  const path = resolve(output);
  const dir = dirname(path);
  const info = statSync(dir, { throwIfNoEntry: false });
  if (!info?.isDirectory()) {
    throw new InvalidOptionError(
      info
        ? `Cannot write ${output}: ${dir} is not a folder; choose another -o path.`
        : `Cannot write ${output}: the output folder ${dir} does not exist; create it or choose another -o path.`,
    );
  }
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new InvalidOptionError(`Cannot write ${output}: it is a folder; pass a file path such as ${output.replace(/[\\/]+$/, '')}/out.png.`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (cause) {
    throw new InvalidOptionError(`Cannot write ${output}: the folder ${dir} is not writable; choose another -o path.`, { cause });
  }
}

/**
 * Checks, before the weights are loaded, that both images keep enough pixels on their short side at the
 * first (smallest) scale for the VGG's pools; the core checks this too, but only once the job runs, and
 * its message cannot name the file or the CLI flags.
 */
function checkAspectRatio(args: RunArgs, images: ReadonlyArray<[string, string, RgbaImage]>): void {
  // Before the weights are opened the model may not be known yet: then take the strictest preset.
  const pools = (id: FeatureExtractorId) => FEATURE_EXTRACTORS[id].layers.filter((l) => l.kind === 'pool').length;
  const ids = args.model ? [args.model] : (Object.keys(FEATURE_EXTRACTORS) as FeatureExtractorId[]);
  const minSide = 2 ** Math.max(...ids.map(pools));
  const network = args.model ?? 'the VGG';
  const schedule = scaleSchedule({ size: args.size, contentWeight: args.contentWeight, iterations: args.iterations, scales: args.scales });
  const first = schedule[0].longSide;
  for (const [what, path, { width, height }] of images) {
    const long = Math.max(width, height);
    const short = Math.min(width, height);
    const shortAt = (longSide: number) => Math.trunc((short * longSide) / long);
    if (shortAt(first) >= minSide) continue;
    let need = Math.ceil((minSide * long) / short);
    while (shortAt(need) < minSide) need++;
    // The most scales that keep the first one at `need` pixels or more, at the requested --size.
    let scales = 0;
    while (Math.round(args.size / 2 ** scales) >= need) scales++;
    const fix =
      scales > 0
        ? `or pass --scales ${scales} so the first scale is at least ${need} px long`
        : `or pass --size ${need} --scales 1 (or larger) so the first scale is at least ${need} px long`;
    const [w, h] = width >= height ? [first, shortAt(first)] : [shortAt(first), first];
    throw new InvalidImageError(
      `The ${what} image ${path} is ${width}×${height} (aspect ratio ${(long / short).toFixed(1)}:1): at the first scale ` +
        `(long side ${first} px) it shrinks to ${w}×${h}, but ${network} needs at least ${minSide} px on the short side. ` +
        `Crop it to an aspect ratio of at most ${Math.floor(first / minSide)}:1, ${fix}.`,
    );
  }
}

/**
 * Writes previews and the result to the output path one at a time (atomic renames, in order), keeping
 * only the newest preview when writes fall behind; remembers what is on disk.
 */
class OutputWriter {
  /** What the output file holds now, e.g. "scale 1/1, iteration 3"; undefined while nothing was written. */
  written?: string;
  private queued?: { image: RgbaImage; label: string };
  private draining?: Promise<void>;
  private error?: unknown;

  constructor(private readonly path: string) {}

  /** Queues `image` for writing; a newer call replaces a queued one that has not started. */
  write(image: RgbaImage, label: string): void {
    this.queued = { image, label };
    this.draining ??= this.drain();
  }

  /** Resolves once every queued write has finished; throws the first write error. */
  async settle(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.error !== undefined) throw this.error;
  }

  private async drain(): Promise<void> {
    while (this.queued) {
      const { image, label } = this.queued;
      this.queued = undefined;
      try {
        await writeImageFile(this.path, image);
        this.written = label;
      } catch (e) {
        this.error ??= e;
      }
    }
    this.draining = undefined;
  }
}

async function runStyleTransfer(args: RunArgs, io: CliIO): Promise<number> {
  const t0 = Date.now();
  checkOutput(args.output);
  const settings: NodeWeightsOptions = weightsOptionsFromEnv(io.env);
  if (args.weights) settings.weights = args.weights;
  if (args.offline) settings.offline = true;
  const weightsLocation = settings.weights;
  // Offline without local weights: fail now, before any image is decoded, unless the cache has them.
  let early: LoadedWeights | undefined;
  if (!weightsLocation && settings.offline) early = await loadWeights(args.model ?? 'vgg16', settings);
  // Ctrl-C from here on stops at the next safe point: between loading steps, or between iterations.
  const interrupt = new AbortController();
  const removeInterrupt = io.onInterrupt(() => interrupt.abort());
  const checkpoint = () => {
    if (interrupt.signal.aborted) throw new StyleTransferAbortError();
  };
  const writer = new OutputWriter(args.output);
  let progress: ProgressReporter | undefined;
  try {
    const [content, style] = await Promise.all([readImageFile(args.content), readImageFile(args.style)]);
    const guidance = args.guidance
      ? { content: await readImageFile(args.guidance[0]), style: await readImageFile(args.guidance[1]) }
      : undefined;
    checkAspectRatio(args, [
      ['content', args.content, content],
      ['style', args.style, style],
    ]);
    // inferModel never throws: unreadable weights give undefined and the loader reports why.
    const inferred = weightsLocation ? await inferModel(weightsLocation) : undefined;
    if (args.model && inferred && inferred !== args.model) {
      throw new WeightsError(
        `--model is ${args.model} but ${weightsLocation} holds ${inferred} weights; pass --model ${inferred} or weights for ${args.model}.`,
      );
    }
    const model = args.model ?? inferred ?? 'vgg16';
    checkpoint();
    const { backend, skipped } = await resolveBackend(args.backend);
    checkpoint();
    progress = args.json ? undefined : new ProgressReporter(io.stderr, io.isTTY);
    const loaded =
      early ??
      (await loadWeights(model, {
        ...settings,
        signal: interrupt.signal,
        onProgress: (event) => {
          if (args.json) io.stdout(JSON.stringify(event));
          progress?.onEvent(event);
        },
      }));
    const weights = loaded.weights;
    progress?.finish();
    checkpoint();
    if (loaded.fetched?.cacheError) {
      io.stderr(`strotss: warning: the weights work but could not be cached: ${loaded.fetched.cacheError.message}\n`);
    }
    if (!args.json) {
      for (const s of skipped) io.stderr(`strotss: skipped backend ${s.id}: ${s.reason}\n`);
      io.stderr(`strotss: backend ${backend.id} (${backend.description ?? ''}), model ${model}\n`);
      if (loaded.fetched) {
        io.stderr(`strotss: weights ${loaded.fetched.fromCache ? 'from the cache' : 'downloaded'}: ${loaded.location}\n`);
      }
    } else {
      io.stdout(JSON.stringify({ type: 'backend', id: backend.id, skipped, model, weights: loaded.location }));
    }
    const job = stylize({
      content,
      style,
      weights,
      model,
      guidance,
      backend: backend.id,
      preset: args.preset,
      size: args.size,
      contentWeight: args.contentWeight,
      iterations: args.iterations,
      scales: args.scales,
      seed: args.seed,
      sampler: args.sampler,
      previewEvery: args.previewEvery,
      signal: interrupt.signal,
    });
    let scales = 1;
    job.onEvent((event: StyleTransferEvent) => {
      if (args.json && event.type !== 'done') io.stdout(jsonLine(event, args.output));
      progress?.onEvent(event);
      if (event.type === 'scale') scales = event.scales;
      if (event.type === 'preview') writer.write(event.image, `scale ${event.scale}/${scales}, iteration ${event.iteration + 1}`);
    });
    const image = await job.result;
    await writer.settle();
    await writeImageFile(args.output, image);
    const seconds = (Date.now() - t0) / 1000;
    progress?.finish();
    if (args.json) io.stdout(JSON.stringify({ type: 'done', output: args.output, seconds, seed: job.getSnapshot().seed }));
    else io.stderr(`strotss: wrote ${args.output} (${image.width}×${image.height}) in ${seconds.toFixed(1)} s, seed ${job.getSnapshot().seed}\n`);
    return 0;
  } catch (e) {
    progress?.finish();
    // A preview write in flight finishes (atomically) before we report what the output file holds.
    await writer.settle().catch(() => undefined);
    const kept = writer.written;
    if (!(e instanceof StyleTransferAbortError)) {
      if (kept) io.stderr(`strotss: ${args.output} holds the last preview (${kept}).\n`);
      throw e;
    }
    if (args.json) io.stdout(JSON.stringify({ type: 'interrupted', output: kept ? args.output : null, kept: kept ?? null }));
    io.stderr(
      kept
        ? `strotss: interrupted; ${args.output} holds the last preview (${kept}).\n`
        : `strotss: interrupted; ${args.output} was not written.\n`,
    );
    return 130;
  } finally {
    progress?.finish();
    removeInterrupt();
  }
}

/** One JSON line per event; images are replaced by where they go. */
function jsonLine(event: StyleTransferEvent, output: string): string {
  switch (event.type) {
    case 'step': {
      const { type, scale, iteration, loss, content, remd, moment, palette, elapsedSeconds, etaSeconds } = event;
      return JSON.stringify({ type, scale, iteration, loss, content, remd, moment, palette, elapsedSeconds, etaSeconds });
    }
    case 'preview':
      return JSON.stringify({ type: 'preview', scale: event.scale, iteration: event.iteration, output });
    default:
      return JSON.stringify(event);
  }
}
