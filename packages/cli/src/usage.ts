import { StrotssError, type ErrorDetails } from '@strotss/core';

/** A command-line mistake: printed as one line with {@link USAGE_HINT}, exit code 2. */
export class UsageError extends StrotssError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('USAGE', message, { details });
  }
}

/** The line printed after a usage error, in place of the whole help. */
export const USAGE_HINT = "Run 'strotss --help' for the options.";

/** Returns `words` joined by `separator` and wrapped into lines of at most `width` characters, each after `indent`. */
function wrap(words: readonly string[], separator: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line ? `${line}${separator}${word}` : word;
    if (line && next.length > width) {
      lines.push(line + separator.trimEnd());
      line = word;
    } else {
      line = next;
    }
  }
  if (line) lines.push(line);
  return lines.join(`\n${indent}`);
}

/** Returns the help text; `backendIds` are the registered backends, best first (as `strotss backends` lists them). */
export function usageText(backendIds: readonly string[]): string {
  const pad = ' '.repeat(27);
  const backends = wrap(['auto', ...backendIds], ' | ', 60, pad);
  return `Usage:
  strotss <content> <style> -o <out.png> [options]
  strotss <content> --style a.jpg --style b.jpg [--style-weights 0.7,0.3] -o <out.png> [options]
  strotss frames <dir> <style> -o <dir> [--independent] [options]
  strotss backends [--json] [--verbose]
  strotss weights fetch|path|verify [--model NAME] [--json]
  strotss weights convert <model.json|file.safetensors|folder> [--model NAME] [--float16] [-o out.safetensors]

Options (before or after the image paths):
  -o, --output PATH        output image (.png, .jpg, .webp); written atomically; a missing
                           folder is created
      --force              write -o even when it is the content, style or a guidance image
      --weights PATH|URL   VGG weights: TF.js model.json, a folder, or .safetensors
                           (default: $STROTSS_WEIGHTS, else torchvision's VGG16,
                           downloaded once into the cache: $STROTSS_CACHE)
      --offline            never download: use the cache or --weights (or STROTSS_OFFLINE=1)
      --model NAME         vgg16 | vgg19-caffe (default: inferred from the weights, else vgg16)
      --preset NAME        reference (default: the authors' settings) | fast (100 iterations
                           per scale, 3×1000 style samples) | draft (256 px preview)
      --size N             long side of the output in pixels (default 512; draft 256)
      --content-weight W   content weight; α starts at 16·W (default 1)
      --iterations N       iterations per scale (default 250; fast 100, draft 10)
      --scales N           number of scales (default: 64, 128, … up to --size; draft 2)
      --seed N             seed for a reproducible run, may be negative (default: random, printed)
      --sampler MODE       paired (default) | reference (the authors' independent shuffles)
      --guidance C S       region guidance: flat-colour masks for content and style (two paths)
      --style PATH         a style image; repeat it for several (then give only <content>)
      --style-weights W,W  each --style's share of the style samples, in order (default equal)
      --preserve-color     keep the content's colours: only the luminance is stylised
      --point CX,CY:SX,SY  point guidance: the output at content pixel (CX,CY) is pulled towards
                           the style at (SX,SY) (first style image); repeat for more pairs
      --point-weight B     weight β of the point pairs (default 5, the paper's)
      --backend NAME       ${backends}
                           (default auto: the first available in that order;
                           \`strotss backends\` says why one is not)
      --preview-every N    write the current image to the output every N iterations
      --checkpoint FILE    save the run's state to FILE on Ctrl-C (and with --checkpoint-every)
      --checkpoint-every N also save it every N iterations of each scale
      --resume FILE        continue from a checkpoint: same images, weights and backend; the
                           options not given are the checkpoint's; the result is the same bytes
                           as a run never stopped
      --independent        frames: start every frame from the style's colour instead of from
                           the previous frame's result (for comparison; less stable)
      --json               one JSON object per line on stdout for every event
      --verbose            show what backends printed while starting, and stack traces of
                           unexpected errors
  -V, --version            print the version of strotss
  -h, --help               this help

Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted.`;
}
