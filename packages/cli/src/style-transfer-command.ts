// `strotss <content> <style> -o out.png`: read the images, load the weights, run the job, write the result.

import {
  FEATURE_EXTRACTORS,
  InvalidImageError,
  resolveBackend,
  resolveOptions,
  scaleSchedule,
  StyleTransferAbortError,
  stylize,
  WeightsError,
  type FeatureExtractorId,
  type ResolvedBackend,
  type ResolvedOptions,
  type RgbaImage,
  type StyleInput,
  type StyleTransferEvent,
  type StyleTransferJob,
  type StrotssCheckpoint,
  type StyleTransferOptions,
} from '@strotss/core';
import {
  inferModel,
  loadWeights,
  readCheckpointFile,
  readImageFile,
  weightsOptionsFromEnv,
  writeCheckpointFile,
  type LoadedWeights,
  type NodeWeightsOptions,
} from '@strotss/backend-node';
import type { RunArgs } from './args.js';
import { printBackendDiagnostics } from './backend-diagnostics.js';
import type { CliIO } from './main.js';
import { checkOutput, writeOutput } from './output-path.js';
import { OutputWriter } from './output-writer.js';
import { ProgressReporter } from './progress.js';
import { explicitOptions } from './run-options.js';

/**
 * Checks, before the weights are loaded, that both images keep enough pixels on their short side at the
 * first (smallest) scale for the VGG's pools; the core checks this too, but only once the job runs.
 * `resolved` are the options core will run with (the preset's defaults filled in).
 */
function checkAspectRatio(args: RunArgs, resolved: ResolvedOptions, images: ReadonlyArray<[string, string, RgbaImage]>): void {
  // Before the weights are opened the model may not be known yet: then take the strictest preset.
  const pools = (id: FeatureExtractorId) => FEATURE_EXTRACTORS[id].layers.filter((l) => l.kind === 'pool').length;
  const ids = args.model ? [args.model as FeatureExtractorId] : (Object.keys(FEATURE_EXTRACTORS) as FeatureExtractorId[]);
  const minSide = 2 ** Math.max(...ids.map(pools));
  const network = args.model ?? 'the VGG';
  const { size } = resolved;
  const schedule = scaleSchedule({ size, contentWeight: resolved.contentWeight, iterations: resolved.iterations, scales: resolved.scales });
  const first = schedule[0].longSide;
  for (const [what, path, { width, height }] of images) {
    const long = Math.max(width, height);
    const short = Math.min(width, height);
    const shortAt = (longSide: number) => Math.trunc((short * longSide) / long);
    if (shortAt(first) >= minSide) continue;
    let need = Math.ceil((minSide * long) / short);
    while (shortAt(need) < minSide) need++;
    // The most scales that keep the first one at `need` pixels or more, at this --size.
    let scales = 0;
    while (Math.round(size / 2 ** scales) >= need) scales++;
    const fix =
      scales > 0
        ? `or pass --scales ${scales} so the first scale is at least ${need} px long`
        : `or pass --size ${need} --scales 1 (or larger) so the first scale is at least ${need} px long`;
    const [w, h] = width >= height ? [first, shortAt(first)] : [shortAt(first), first];
    throw new InvalidImageError(
      `The ${what} image ${path} is ${width}×${height} (aspect ratio ${(long / short).toFixed(1)}:1): at the first scale ` +
        `(long side ${first} px) it shrinks to ${w}×${h}, but ${network} needs at least ${minSide} px on the short side. ` +
        `Crop it to an aspect ratio of at most ${Math.floor(first / minSide)}:1, ${fix}.`,
      { details: { option: what, file: path, value: `${width}×${height}` } },
    );
  }
}

/** One JSON line per event; images are replaced by where they go. */
function jsonLine(event: StyleTransferEvent, output: string): string {
  switch (event.type) {
    case 'step': {
      const { type, scale, iteration, loss, content, remd, moment, palette, points, elapsedSeconds, etaSeconds } = event;
      // `points` (the point-guidance term) only with --point: JSON.stringify leaves it out when undefined.
      return JSON.stringify({ type, scale, iteration, loss, content, remd, moment, palette, points, elapsedSeconds, etaSeconds });
    }
    case 'preview':
      return JSON.stringify({ type: 'preview', scale: event.scale, iteration: event.iteration, output });
    default:
      return JSON.stringify(event);
  }
}

/** Resolves `--backend`, printing what each backend captured (with --verbose) whether or not one works. */
export async function resolveWithDiagnostics(args: Pick<RunArgs, 'backend' | 'verbose'>, io: CliIO) {
  try {
    return await resolveBackend(args.backend);
  } finally {
    if (args.verbose) printBackendDiagnostics(io);
  }
}

/** Reads the content, style and guidance images and checks their aspect ratios against the first scale. */
async function readInputs(args: RunArgs, resolved: ResolvedOptions) {
  const [content, ...styles] = await Promise.all([readImageFile(args.content), ...args.styles.map((path) => readImageFile(path))]);
  const guidance = args.guidance ? { content: await readImageFile(args.guidance[0]), style: await readImageFile(args.guidance[1]) } : undefined;
  checkAspectRatio(args, resolved, [
    ['content', args.content, content],
    ...styles.map((image, i): [string, string, RgbaImage] => ['style', args.styles[i], image]),
  ]);
  // One style without weights is the plain option; several (or weighted) become [{ image, weight }].
  const style: StyleInput =
    styles.length === 1 && !args.styleWeights ? styles[0] : styles.map((image, i) => ({ image, weight: args.styleWeights?.[i] ?? 1 }));
  return { content, style, guidance };
}

/** Returns the model to run: --model, else the one the weights are for, else vgg16; refuses a --model the weights are not for. */
export async function chooseModel(args: Pick<RunArgs, 'model'>, weightsLocation: string | undefined): Promise<FeatureExtractorId> {
  // inferModel never throws: unreadable weights give undefined and the loader reports why.
  const inferred = weightsLocation ? await inferModel(weightsLocation) : undefined;
  if (args.model && inferred && inferred !== args.model) {
    throw new WeightsError(
      `--model is ${args.model} but ${weightsLocation} holds ${inferred} weights; pass --model ${inferred} or weights for ${args.model}.`,
      { details: { option: 'model', value: args.model, file: weightsLocation } },
    );
  }
  return (args.model as FeatureExtractorId | undefined) ?? inferred ?? 'vgg16';
}

/** Says which backend, model and weights the run uses: lines on stderr, or a `backend` JSON line with --json. */
export function announceSetup(args: Pick<RunArgs, 'json'>, io: CliIO, setup: ResolvedBackend & { model: FeatureExtractorId; loaded: LoadedWeights }): void {
  const { backend, skipped, model, loaded } = setup;
  if (loaded.fetched?.cacheError) {
    io.stderr(`strotss: warning: the weights work but could not be cached: ${loaded.fetched.cacheError.message}\n`);
  }
  if (args.json) {
    io.stdout(JSON.stringify({ type: 'backend', id: backend.id, skipped, model, weights: loaded.location }));
    return;
  }
  for (const s of skipped) io.stderr(`strotss: skipped backend ${s.id}: ${s.reason}\n`);
  io.stderr(`strotss: backend ${backend.id} (${backend.description ?? ''}), model ${model}\n`);
  if (loaded.fetched) io.stderr(`strotss: weights ${loaded.fetched.fromCache ? 'from the cache' : 'downloaded'}: ${loaded.location}\n`);
}

/** Shows the job's events (JSON lines, progress, warnings) and hands its previews to `writer`, its checkpoints to `checkpoints`. */
function followJob(
  job: StyleTransferJob,
  args: RunArgs,
  io: CliIO,
  progress: ProgressReporter | undefined,
  writer: OutputWriter,
  checkpoints?: OutputWriter<StrotssCheckpoint>,
): void {
  let scales = 1;
  job.onEvent((event: StyleTransferEvent) => {
    if (event.type === 'checkpoint') {
      checkpoints?.write(event.checkpoint, `scale ${event.scale}/${scales}, iteration ${event.iteration}`);
      if (args.json) io.stdout(JSON.stringify({ type: 'checkpoint', reason: event.reason, scale: event.scale, iteration: event.iteration, file: args.checkpoint }));
      return;
    }
    if (args.json && event.type !== 'done') io.stdout(jsonLine(event, args.output));
    if (event.type === 'warning') {
      progress?.finish();
      io.stderr(`strotss: warning: ${event.message}\n`);
    }
    progress?.onEvent(event);
    if (event.type === 'scale') scales = event.scales;
    if (event.type === 'preview') writer.write(event.image, `scale ${event.scale}/${scales}, iteration ${event.iteration + 1}`);
  });
}

/** Reports an interrupted run (what the output file holds, if anything, and the checkpoint) and returns 130. */
function interrupted(args: RunArgs, io: CliIO, kept: string | undefined, checkpoint: string | undefined): number {
  if (args.json) io.stdout(JSON.stringify({ type: 'interrupted', output: kept ? args.output : null, kept: kept ?? null, checkpoint: checkpoint ?? null }));
  io.stderr(kept ? `strotss: interrupted; ${args.output} holds the last preview (${kept}).\n` : `strotss: interrupted; ${args.output} was not written.\n`);
  if (checkpoint) io.stderr(`strotss: checkpoint ${args.checkpoint} (${checkpoint}); continue with --resume ${args.checkpoint}.\n`);
  return 130;
}

/** The job options for --checkpoint / --checkpoint-every / --resume (a resumed run takes the options it leaves out from the file). */
async function checkpointOptions(args: RunArgs): Promise<Pick<StyleTransferOptions, 'checkpointOnCancel' | 'resume'>> {
  return { checkpointOnCancel: args.checkpoint !== undefined, resume: args.resume ? await readCheckpointFile(args.resume) : undefined };
}

/** Where the weights come from: $STROTSS_WEIGHTS / the cache, overridden by --weights and --offline. */
export function weightsSettings(args: Pick<RunArgs, 'weights' | 'offline'>, io: CliIO): NodeWeightsOptions {
  const settings: NodeWeightsOptions = weightsOptionsFromEnv(io.env);
  if (args.weights) settings.weights = args.weights;
  if (args.offline) settings.offline = true;
  return settings;
}

/** Runs a style transfer; returns the exit code (0 ok, 130 interrupted) or throws the error to report. */
export async function runStyleTransfer(args: RunArgs, resolved: ResolvedOptions, io: CliIO): Promise<number> {
  const t0 = Date.now();
  checkOutput(args.output);
  const settings = weightsSettings(args, io);
  // Offline without local weights: fail now, before any image is decoded, unless the cache has them.
  let early: LoadedWeights | undefined;
  if (!settings.weights && settings.offline) early = await loadWeights((args.model as FeatureExtractorId | undefined) ?? 'vgg16', settings);
  // Ctrl-C from here on stops at the next safe point: between loading steps, or between iterations.
  const interrupt = new AbortController();
  const removeInterrupt = io.onInterrupt(() => interrupt.abort());
  const checkpoint = () => {
    if (interrupt.signal.aborted) throw new StyleTransferAbortError();
  };
  const writer = new OutputWriter(args.output);
  const checkpoints = args.checkpoint ? new OutputWriter(args.checkpoint, writeCheckpointFile) : undefined;
  let progress: ProgressReporter | undefined;
  try {
    const saved = await checkpointOptions(args);
    // Resumed: the options not on the command line are the checkpoint's (core checks the rest against it).
    if (saved.resume) resolved = resolveOptions({ ...explicitOptions(args), resume: saved.resume } as StyleTransferOptions);
    const { content, style, guidance } = await readInputs(args, resolved);
    const model = await chooseModel(args, settings.weights);
    checkpoint();
    const { backend, skipped } = await resolveWithDiagnostics(args, io);
    checkpoint();
    progress = args.json ? undefined : new ProgressReporter(io.stderr, io.isTTY);
    const onProgress = (event: { type: 'weights'; loaded: number; total: number }) => {
      if (args.json) io.stdout(JSON.stringify(event));
      progress?.onEvent(event);
    };
    const loaded = early ?? (await loadWeights(model, { ...settings, signal: interrupt.signal, onProgress }));
    progress?.finish();
    checkpoint();
    announceSetup(args, io, { backend, skipped, model, loaded });
    // The user's own values: stylize() fills in the defaults (of --preset) itself.
    const job = stylize({
      ...explicitOptions(args),
      ...saved,
      content,
      style,
      weights: loaded.weights,
      model: args.model || !saved.resume ? model : undefined,
      guidance,
      backend: backend.id,
      signal: interrupt.signal,
    });
    followJob(job, args, io, progress, writer, checkpoints);
    const image = await job.result;
    await writer.settle();
    await checkpoints?.settle();
    await writeOutput(args.output, image);
    const seconds = (Date.now() - t0) / 1000;
    progress?.finish();
    const seed = job.getSnapshot().seed;
    if (args.json) io.stdout(JSON.stringify({ type: 'done', output: args.output, seconds, seed }));
    else io.stderr(`strotss: wrote ${args.output} (${image.width}×${image.height}) in ${seconds.toFixed(1)} s, seed ${seed}\n`);
    return 0;
  } catch (e) {
    progress?.finish();
    // A preview write in flight finishes (atomically) before we report what the output file holds.
    await writer.settle().catch(() => undefined);
    await checkpoints?.settle();
    if (e instanceof StyleTransferAbortError) return interrupted(args, io, writer.written, checkpoints?.written);
    if (writer.written) io.stderr(`strotss: ${args.output} holds the last preview (${writer.written}).\n`);
    throw e;
  } finally {
    progress?.finish();
    removeInterrupt();
  }
}
