import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  describeBackends,
  resolveBackend,
  StrotssError,
  StyleTransferAbortError,
  stylize,
  WeightsError,
  type StyleTransferEvent,
} from '@strotss/core';
import {
  imageFormatFromPath,
  inferModel,
  loadWeightsFrom,
  readImageFile,
  weightsFromEnvironment,
  writeImageFile,
} from '@strotss/backend-node';
import { parseCliArgs, UsageError, USAGE, type RunArgs } from './args.js';
import { ProgressReporter } from './progress.js';

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
  let args;
  try {
    args = parseCliArgs(argv);
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
    return await runStyleTransfer(args, io);
  } catch (e) {
    if (e instanceof StyleTransferAbortError) {
      io.stderr('strotss: interrupted; the output file was not written.\n');
      return 130;
    }
    const message = e instanceof StrotssError ? e.message : `${(e as Error).stack ?? e}`;
    if (args.json) io.stdout(JSON.stringify({ type: 'error', code: (e as StrotssError).code ?? 'ERROR', message }));
    io.stderr(`strotss: ${message}\n`);
    return 1;
  }
}

/** Checks the output path before any work: known extension, existing folder. */
function checkOutput(output: string): void {
  imageFormatFromPath(output);
  const dir = dirname(resolve(output));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageErrorAsFailure(`The output folder ${dir} does not exist; create it or choose another -o path.`);
  }
}

class UsageErrorAsFailure extends StrotssError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

async function runStyleTransfer(args: RunArgs, io: CliIO): Promise<number> {
  const t0 = Date.now();
  checkOutput(args.output);
  const weightsLocation = args.weights ?? weightsFromEnvironment(io.env);
  if (!weightsLocation) {
    throw new WeightsError(
      'No VGG weights given. Pass --weights PATH|URL (a TF.js model.json, a folder holding one, or a .safetensors file) or set STROTSS_WEIGHTS.',
    );
  }
  const [content, style] = await Promise.all([readImageFile(args.content), readImageFile(args.style)]);
  const guidance = args.guidance
    ? { content: await readImageFile(args.guidance[0]), style: await readImageFile(args.guidance[1]) }
    : undefined;
  const model = args.model ?? (await inferModel(weightsLocation)) ?? 'vgg16';
  const weights = await loadWeightsFrom(weightsLocation, model);
  const { backend, skipped } = await resolveBackend(args.backend);
  if (!args.json) {
    for (const s of skipped) io.stderr(`strotss: skipped backend ${s.id}: ${s.reason}\n`);
    io.stderr(`strotss: backend ${backend.id} (${backend.description ?? ''}), model ${model}\n`);
  } else {
    io.stdout(JSON.stringify({ type: 'backend', id: backend.id, skipped, model }));
  }
  const job = stylize({
    content,
    style,
    weights,
    model,
    guidance,
    backend: backend.id,
    size: args.size,
    contentWeight: args.contentWeight,
    iterations: args.iterations,
    scales: args.scales,
    seed: args.seed,
    sampler: args.sampler,
    previewEvery: args.previewEvery,
  });
  const removeInterrupt = io.onInterrupt(() => job.cancel());
  const progress = args.json ? undefined : new ProgressReporter(io.stderr, io.isTTY);
  const pending: Promise<void>[] = [];
  job.onEvent((event: StyleTransferEvent) => {
    if (args.json && event.type !== 'done') io.stdout(jsonLine(event, args.output));
    progress?.onEvent(event);
    if (event.type === 'preview') pending.push(writeImageFile(args.output, event.image));
  });
  try {
    const image = await job.result;
    await Promise.all(pending);
    await writeImageFile(args.output, image);
    const seconds = (Date.now() - t0) / 1000;
    if (args.json) io.stdout(JSON.stringify({ type: 'done', output: args.output, seconds, seed: job.getSnapshot().seed }));
    else io.stderr(`strotss: wrote ${args.output} (${image.width}×${image.height}) in ${seconds.toFixed(1)} s, seed ${job.getSnapshot().seed}\n`);
    return 0;
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
