import { parseArgs } from 'node:util';
import { prepareArgv } from './argv-prepass.js';
import { UsageError } from './usage.js';
import { optionOfFlag } from './wording.js';
import type { PointPair } from '@strotss/core';

export { UsageError } from './usage.js';

/**
 * Parsed `strotss <content> <style>` invocation. Numbers and names the user did not give are undefined:
 * `resolveOptions` from @strotss/core fills in the defaults (of `--preset`) and checks every value.
 */
export interface RunArgs {
  command: 'run';
  content: string;
  /** The (first) style image. */
  style: string;
  /** Every style image: the positional one, or each `--style`. */
  styles: string[];
  /** `--style-weights`, one per style image (unchecked range: core says when one is not > 0). */
  styleWeights?: number[];
  preserveColor: boolean;
  /** `--point CX,CY:SX,SY` pairs, content then style pixels. */
  points?: PointPair[];
  pointWeight?: number;
  output: string;
  weights?: string;
  /** Not checked here: resolveOptions says when it is not a model it knows. */
  model?: string;
  preset?: string;
  size?: number;
  contentWeight?: number;
  iterations?: number;
  scales?: number;
  seed?: number;
  sampler?: string;
  guidance?: [string, string];
  backend: string;
  previewEvery?: number;
  json: boolean;
  offline: boolean;
  /** Write -o even when it is one of the input files. */
  force: boolean;
  verbose: boolean;
  /** Where checkpoints go (on Ctrl-C, and every `checkpointEvery` iterations). */
  checkpoint?: string;
  checkpointEvery?: number;
  /** A checkpoint file to continue from. */
  resume?: string;
}

/** Parsed `strotss frames <dir> <style> -o <dir>`: the run's options, the frames folder in place of one content image. */
export interface FramesArgs extends Omit<RunArgs, 'command'> {
  command: 'frames';
  /** Stylise each frame from the style's mean colour instead of from the previous frame's result. */
  independent: boolean;
}

/** Parsed `strotss weights <action>` invocation. */
export interface WeightsArgs {
  command: 'weights';
  action: 'fetch' | 'path' | 'verify' | 'convert';
  model?: string;
  /** convert: the file or folder to convert. */
  input?: string;
  /** convert: where to write instead of the cache. */
  output?: string;
  float16: boolean;
  offline: boolean;
  json: boolean;
  verbose: boolean;
}

/** Parsed `strotss backends`. */
export interface BackendsArgs {
  command: 'backends';
  json: boolean;
  verbose: boolean;
}

export type CliArgs = RunArgs | FramesArgs | WeightsArgs | BackendsArgs | { command: 'help' } | { command: 'version' };

const WEIGHTS_ACTIONS = ['fetch', 'path', 'verify', 'convert'] as const;

/** The options as util.parseArgs reads them (after {@link prepareArgv}, every value is attached with '='). */
const PARSE_OPTIONS = {
  output: { type: 'string', short: 'o' },
  weights: { type: 'string' },
  model: { type: 'string' },
  preset: { type: 'string' },
  size: { type: 'string' },
  'content-weight': { type: 'string' },
  iterations: { type: 'string' },
  scales: { type: 'string' },
  seed: { type: 'string' },
  sampler: { type: 'string' },
  backend: { type: 'string' },
  'preview-every': { type: 'string' },
  style: { type: 'string', multiple: true },
  'style-weights': { type: 'string' },
  point: { type: 'string', multiple: true },
  'point-weight': { type: 'string' },
  'preserve-color': { type: 'boolean' },
  checkpoint: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'string' },
  independent: { type: 'boolean' },
  json: { type: 'boolean' },
  offline: { type: 'boolean' },
  float16: { type: 'boolean' },
  force: { type: 'boolean' },
  verbose: { type: 'boolean' },
  version: { type: 'boolean', short: 'V' },
  help: { type: 'boolean', short: 'h' },
} as const;

type ParsedValues = ReturnType<typeof parseArgs<{ options: typeof PARSE_OPTIONS; strict: true; allowPositionals: true }>>['values'];

/**
 * Returns the integer written in `raw` (decimal digits, an optional sign), or undefined when the flag was
 * not given. Only the spelling is checked here: the range is resolveOptions' to check.
 */
function integer(flag: string, raw: string | undefined, example: string): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^[+-]?[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`${flag} is '${raw}'; it must be a whole number such as ${example}.`, { option: optionOfFlag(flag), value: raw });
  }
  return value;
}

/** A plain decimal number such as 1, 0.5, .25, -1 or 1e-2 (not '', hex, Infinity or blanks). */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i;

/** Returns the number written in `raw`, or undefined when the flag was not given; the range is resolveOptions'. */
function decimal(flag: string, raw: string | undefined, example: string): number | undefined {
  if (raw === undefined) return undefined;
  if (!DECIMAL.test(raw)) {
    throw new UsageError(`${flag} is '${raw}'; it must be a number such as ${example}.`, { option: optionOfFlag(flag), value: raw });
  }
  return Number(raw);
}

/** Runs util.parseArgs (strict) over the prepared words; its rare complaints become UsageErrors. */
function parseStrict(options: string[], positionals: string[]): { values: ParsedValues; positionals: string[] } {
  try {
    return parseArgs({ args: [...options, '--', ...positionals], options: PARSE_OPTIONS, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Returns the style paths: the second positional, or every `--style` (then only the content is positional). */
function stylePaths(flagged: string[] | undefined, positionals: readonly string[]): string[] {
  if (flagged?.length) {
    if (positionals.length === 0) throw new UsageError('Expected the <content> image path before or after the --style options, got none.');
    if (positionals.length > 1) {
      throw new UsageError(
        `Got --style and ${positionals.length} image paths (${positionals.join(' ')}); with --style give only the content path: ` +
          'strotss content.jpg --style a.jpg --style b.jpg, or strotss content.jpg style.jpg without --style.',
        { option: 'style' },
      );
    }
    if (flagged.some((p) => p === '')) throw new UsageError('--style is empty; pass an image path.', { option: 'style' });
    return flagged;
  }
  if (positionals.length < 2) throw new UsageError(`Expected <content> and <style> image paths, got ${positionals.length} argument(s).`);
  if (positionals.length > 2) throw new UsageError(`Unexpected argument(s): ${positionals.slice(2).join(' ')}.`);
  return [positionals[1]];
}

/** Returns the `--style-weights` list, one number per style image; its range is core's to check. */
function styleWeights(raw: string | undefined, count: number): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(',');
  const weights = parts.map((part) => decimal('--style-weights', part.trim(), '0.7,0.3'));
  if (weights.length !== count) {
    throw new UsageError(
      `--style-weights has ${weights.length} number(s) (${raw}) but ${count} style image(s) are given; pass one weight per --style, in order.`,
      { option: 'styleWeights', value: raw },
    );
  }
  return weights as number[];
}

/** Returns the pair written as `CX,CY:SX,SY` (content x,y then style x,y, in each image's pixels). */
function pointPair(raw: string): PointPair {
  const numbers = /^([^,:]+),([^,:]+):([^,:]+),([^,:]+)$/.exec(raw.trim())?.slice(1).map((n) => (DECIMAL.test(n.trim()) ? Number(n) : NaN));
  if (!numbers || numbers.some((n) => !Number.isFinite(n))) {
    throw new UsageError(
      `--point is '${raw}'; write it as CX,CY:SX,SY — the content point's x,y then the style point's x,y, in pixels (e.g. --point 120,80:40,60).`,
      { option: 'points', value: raw },
    );
  }
  return { content: [numbers[0], numbers[1]], style: [numbers[2], numbers[3]] };
}

/** Returns `--point-weight` (β); it only applies with --point. */
function pointWeight(raw: string | undefined, points: string[] | undefined): number | undefined {
  if (raw !== undefined && !points?.length) throw new UsageError('--point-weight only applies with --point CX,CY:SX,SY.', { option: 'points.weight' });
  return decimal('--point-weight', raw, '5');
}

/** Parses argv (without node and the script); throws UsageError naming the flag and what is wrong with it. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  const prepared = prepareArgv(argv);
  const { values: v, positionals } = parseStrict(prepared.options, prepared.positionals);
  if (v.help) return { command: 'help' };
  if (v.version) return { command: 'version' };
  const verbose = v.verbose ?? false;
  const json = v.json ?? false;
  if (prepared.guidance && (positionals[0] === 'backends' || positionals[0] === 'weights')) {
    throw new UsageError(`--guidance only applies to a style transfer, not to 'strotss ${positionals[0]}'.`, { option: 'guidance' });
  }
  if (positionals[0] === 'backends') {
    if (positionals.length > 1) throw new UsageError(`Unexpected argument(s) after 'backends': ${positionals.slice(1).join(' ')}.`);
    return { command: 'backends', json, verbose };
  }
  if (positionals[0] === 'weights') return parseWeightsArgs(positionals.slice(1), v);
  if (v.float16) throw new UsageError('--float16 only applies to `strotss weights convert`.', { option: 'float16' });
  if (positionals[0] === 'frames') return parseFramesArgs(positionals.slice(1), v, prepared.guidance);
  if (v.independent) throw new UsageError('--independent only applies to `strotss frames`.', { option: 'independent' });
  const styles = stylePaths(v.style, positionals);
  if (!v.output) throw new UsageError('Missing -o <out.png>: where to write the result.', { option: 'output' });
  return runArgs(positionals[0], styles, v, prepared.guidance);
}

/** Parses the words after `strotss frames`: a folder of frames and a style image; -o names the output folder. */
function parseFramesArgs(words: readonly string[], v: ParsedValues, guidance: [string, string] | undefined): FramesArgs {
  if (words.length !== (v.style?.length ? 1 : 2)) {
    throw new UsageError(
      `'strotss frames' takes a folder of frames and a style image (<dir> <style>, or <dir> --style a.jpg --style b.jpg), got ${words.length} argument(s).`,
    );
  }
  if (!v.output) throw new UsageError('Missing -o <dir>: the folder the stylised frames go to.', { option: 'output' });
  if (guidance) throw new UsageError('--guidance does not apply to `strotss frames` (one mask cannot follow a moving clip).', { option: 'guidance' });
  for (const flag of ['checkpoint', 'checkpoint-every', 'resume', 'preview-every'] as const) {
    if (v[flag] !== undefined) throw new UsageError(`--${flag} does not apply to \`strotss frames\`.`, { option: optionOfFlag(`--${flag}`) });
  }
  const { command: _command, ...rest } = runArgs(words[0], stylePaths(v.style, words), v, undefined);
  return { ...rest, command: 'frames', independent: v.independent ?? false };
}

/** The options of a style transfer run (also those of `strotss frames`), checked for spelling. */
function runArgs(content: string, styles: string[], v: ParsedValues, guidance: [string, string] | undefined): RunArgs {
  if (v.weights === '') {
    throw new UsageError('--weights is empty; pass a model.json, a folder holding one, a .safetensors file or a URL.', { option: 'weights' });
  }
  for (const flag of ['checkpoint', 'resume'] as const) {
    if (v[flag] === '') throw new UsageError(`--${flag} is empty; pass a file path such as run.ckpt.`, { option: optionOfFlag(`--${flag}`) });
  }
  if (v['checkpoint-every'] !== undefined && v.checkpoint === undefined) {
    throw new UsageError('--checkpoint-every needs --checkpoint FILE: where to write the checkpoints.', { option: 'checkpointEvery' });
  }
  return {
    command: 'run',
    content,
    style: styles[0],
    styles,
    styleWeights: styleWeights(v['style-weights'], styles.length),
    preserveColor: v['preserve-color'] ?? false,
    points: v.point?.map(pointPair),
    pointWeight: pointWeight(v['point-weight'], v.point),
    output: v.output!,
    weights: v.weights,
    model: v.model,
    preset: v.preset,
    size: integer('--size', v.size, '512'),
    contentWeight: decimal('--content-weight', v['content-weight'], '1 or 0.5'),
    iterations: integer('--iterations', v.iterations, '250'),
    scales: integer('--scales', v.scales, '4'),
    seed: integer('--seed', v.seed, '7'),
    sampler: v.sampler,
    guidance,
    backend: v.backend ?? 'auto',
    previewEvery: integer('--preview-every', v['preview-every'], '10'),
    json: v.json ?? false,
    offline: v.offline ?? false,
    force: v.force ?? false,
    verbose: v.verbose ?? false,
    checkpoint: v.checkpoint,
    checkpointEvery: integer('--checkpoint-every', v['checkpoint-every'], '50'),
    resume: v.resume,
  };
}

/** Parses the words after `strotss weights`; throws UsageError naming what is wrong. */
function parseWeightsArgs(words: readonly string[], v: ParsedValues): WeightsArgs {
  const action = words[0];
  if (!WEIGHTS_ACTIONS.includes(action as WeightsArgs['action'])) {
    throw new UsageError(
      action === undefined
        ? `'strotss weights' needs an action: ${WEIGHTS_ACTIONS.join(', ')}.`
        : `Unknown weights action '${action}'; use ${WEIGHTS_ACTIONS.join(', ')}.`,
    );
  }
  if (v.weights !== undefined) throw new UsageError('--weights does not apply to `strotss weights`; `convert` takes the file as an argument.');
  const rest = words.slice(1);
  if (action === 'convert') {
    if (rest.length !== 1) throw new UsageError(`'strotss weights convert' takes one file or folder to convert, got ${rest.length}.`);
  } else {
    if (rest.length) throw new UsageError(`Unexpected argument(s) after 'weights ${action}': ${rest.join(' ')}.`);
    if (v.output !== undefined) throw new UsageError(`-o only applies to 'strotss weights convert'.`, { option: 'output' });
    if (v.float16) throw new UsageError(`--float16 only applies to 'strotss weights convert'.`, { option: 'float16' });
  }
  if (v.output === '') throw new UsageError('-o is empty; pass a .safetensors path.', { option: 'output' });
  if (v.output !== undefined && !/\.safetensors$/i.test(v.output)) {
    throw new UsageError(`-o is '${v.output}'; the compact weights are a .safetensors file, so name it *.safetensors.`, { option: 'output' });
  }
  return {
    command: 'weights',
    action: action as WeightsArgs['action'],
    model: v.model,
    input: action === 'convert' ? rest[0] : undefined,
    output: v.output,
    float16: v.float16 ?? false,
    offline: v.offline ?? false,
    json: v.json ?? false,
    verbose: v.verbose ?? false,
  };
}
