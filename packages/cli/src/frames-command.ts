// `strotss frames <dir> <style> -o <dir>`: stylise a folder of frames in order, each from the previous result.

import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { InvalidOptionError, StyleTransferAbortError, stylizeFrames, type Frame, type ResolvedOptions } from '@strotss/core';
import { loadWeights, readImageFile } from '@strotss/backend-node';
import type { FramesArgs } from './args.js';
import type { CliIO } from './main.js';
import { writeOutput } from './output-path.js';
import { ProgressReporter } from './progress.js';
import { explicitOptions } from './run-options.js';
import { announceSetup, chooseModel, resolveWithDiagnostics, weightsSettings } from './style-transfer-command.js';

/** File extensions read as frames. */
const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

/** Returns the image files of `dir` in natural order (f2 before f10), by name; throws naming the folder when it has none. */
export async function listFrames(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InvalidOptionError(`Cannot read the frames folder ${dir} (${code === 'ENOENT' ? 'no such folder' : code}); pass a folder of PNG, JPEG or WebP frames.`, {
      cause: e,
      details: { option: 'frames', file: dir },
    });
  }
  const frames = names.filter((n) => FRAME_EXTENSIONS.has(extname(n).toLowerCase()) && !n.startsWith('.'));
  if (frames.length === 0) {
    throw new InvalidOptionError(`The frames folder ${dir} holds no .png, .jpg, .jpeg or .webp file; put the clip's frames there, one image each.`, {
      details: { option: 'frames', file: dir },
    });
  }
  return frames.sort(new Intl.Collator('en', { numeric: true, sensitivity: 'base' }).compare);
}

/** Reads the frames one at a time, as the sequence needs them. */
async function* readFrames(dir: string, names: readonly string[]): AsyncGenerator<Frame> {
  for (const name of names) yield { name, image: await readImageFile(join(dir, name)) };
}

/** Throws when -o is the frames folder itself: the outputs would overwrite the frames. */
async function checkFramesOutput(args: FramesArgs): Promise<void> {
  const same = resolve(args.output) === resolve(args.content);
  const isFile = await stat(args.output).then((s) => !s.isDirectory(), () => false);
  if (isFile) throw new InvalidOptionError(`-o ${args.output} is a file; \`strotss frames\` writes a folder of frames there.`, { details: { option: 'output', file: args.output } });
  if (same && !args.force) {
    throw new InvalidOptionError(`-o ${args.output} is the frames folder: the stylised frames would replace the originals. Pick another folder (or pass --force).`, {
      details: { option: 'output', file: args.output },
    });
  }
}

/** Runs `strotss frames`; returns the exit code (0 ok, 130 interrupted) or throws the error to report (it names the frame). */
export async function runFramesCommand(args: FramesArgs, resolved: ResolvedOptions, io: CliIO): Promise<number> {
  const t0 = Date.now();
  await checkFramesOutput(args);
  const names = await listFrames(args.content);
  const interrupt = new AbortController();
  const removeInterrupt = io.onInterrupt(() => interrupt.abort());
  let progress: ProgressReporter | undefined;
  let written = 0;
  try {
    const styles = await Promise.all(args.styles.map((path) => readImageFile(path)));
    // One style without weights is the plain option; several (or weighted) become [{ image, weight }].
    const style = styles.length === 1 && !args.styleWeights ? styles[0] : styles.map((image, i) => ({ image, weight: args.styleWeights?.[i] ?? 1 }));
    const settings = weightsSettings(args, io);
    const model = await chooseModel(args, settings.weights);
    const { backend, skipped } = await resolveWithDiagnostics(args, io);
    const loaded = await loadWeights(model, { ...settings, signal: interrupt.signal });
    announceSetup(args, io, { backend, skipped, model, loaded });
    // One seed for every frame: each samples the same way, which keeps the clip steady.
    const seed = resolved.seed;
    const frames = stylizeFrames({
      ...explicitOptions(args),
      seed,
      style,
      weights: loaded.weights,
      model,
      backend: backend.id,
      signal: interrupt.signal,
      frames: readFrames(args.content, names),
      chain: !args.independent,
      onFrame: (index, job) => {
        progress?.finish();
        progress = args.json ? undefined : new ProgressReporter(io.stderr, io.isTTY);
        if (!args.json) io.stderr(`strotss: frame ${index + 1}/${names.length} ${names[index]}\n`);
        job.onEvent((event) => progress?.onEvent(event));
      },
    });
    for await (const frame of frames) {
      const out = join(args.output, names[frame.index]);
      await writeOutput(out, frame.image);
      written++;
      progress?.finish();
      if (args.json) io.stdout(JSON.stringify({ type: 'frame', index: frame.index, frames: names.length, input: join(args.content, names[frame.index]), output: out, seconds: frame.seconds }));
      else io.stderr(`strotss: wrote ${out} (${frame.image.width}×${frame.image.height}) in ${frame.seconds.toFixed(1)} s\n`);
    }
    const seconds = (Date.now() - t0) / 1000;
    if (args.json) io.stdout(JSON.stringify({ type: 'done', output: args.output, frames: names.length, seconds, seed }));
    else io.stderr(`strotss: wrote ${names.length} frames to ${args.output} in ${seconds.toFixed(1)} s, seed ${seed}${args.independent ? ', each frame independent' : ''}\n`);
    return 0;
  } catch (e) {
    progress?.finish();
    if (!(e instanceof StyleTransferAbortError)) throw e;
    if (args.json) io.stdout(JSON.stringify({ type: 'interrupted', output: args.output, written }));
    io.stderr(`strotss: interrupted; ${written} of ${names.length} frames written to ${args.output}.\n`);
    return 130;
  } finally {
    progress?.finish();
    removeInterrupt();
  }
}
