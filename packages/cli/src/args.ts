import { parseArgs } from 'node:util';
import { FEATURE_EXTRACTORS, QUALITY_PRESETS, type FeatureExtractorId, type QualityPreset } from '@strotss/core';

/** A command-line mistake: printed with the usage, exit code 2. */
export class UsageError extends Error {}

export const USAGE = `Usage:
  strotss <content> <style> -o <out.png> [options]
  strotss backends [--json]
  strotss weights fetch|path|verify [--model NAME] [--json]
  strotss weights convert <model.json|file.safetensors|folder> [--model NAME] [--float16] [-o out.safetensors]

Options:
  -o, --output PATH        output image (.png, .jpg, .webp); written atomically
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
      --seed N             seed for a reproducible run (default: random, printed)
      --sampler MODE       paired (default) | reference (the authors' independent shuffles)
      --guidance C S       region guidance: flat-colour masks for content and style
      --backend NAME       auto | tensorflow | webgpu | wasm | cpu (default auto: the first
                           available in that order; \`strotss backends\` says why one is not)
      --preview-every N    write the current image to the output every N iterations
      --json               one JSON object per line on stdout for every event
  -h, --help               this help

Exit codes: 0 ok, 1 failure, 2 usage, 130 interrupted.`;

/** Parsed `strotss <content> <style>` invocation. */
export interface RunArgs {
  command: 'run';
  content: string;
  style: string;
  output: string;
  weights?: string;
  model?: FeatureExtractorId;
  preset: QualityPreset;
  size: number;
  contentWeight: number;
  iterations: number;
  scales?: number;
  seed?: number;
  sampler: 'paired' | 'reference';
  guidance?: [string, string];
  backend: string;
  previewEvery: number;
  json: boolean;
  offline: boolean;
}

/** Parsed `strotss weights <action>` invocation. */
export interface WeightsArgs {
  command: 'weights';
  action: 'fetch' | 'path' | 'verify' | 'convert';
  model?: FeatureExtractorId;
  /** convert: the file or folder to convert. */
  input?: string;
  /** convert: where to write instead of the cache. */
  output?: string;
  float16: boolean;
  offline: boolean;
  json: boolean;
}

export type CliArgs = RunArgs | WeightsArgs | { command: 'backends'; json: boolean } | { command: 'help' };

const WEIGHTS_ACTIONS = ['fetch', 'path', 'verify', 'convert'] as const;

/** A whole number written in decimal digits only (no sign, exponent, hex or blanks), within Number's safe range. */
function integer(name: string, raw: string | undefined, fallback: number | undefined, min: number): number | undefined {
  if (raw === undefined) return fallback;
  const v = /^[0-9]+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v) || v < min) throw new UsageError(`--${name} is '${raw}'; it must be an integer ≥ ${min}.`);
  return v;
}

/** A plain decimal number such as 1, 0.5, .25 or 1e-2 (not '', hex, Infinity or blanks). */
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?$/i;

/** Parses argv (without node and the script); throws UsageError with the offending value. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
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
        guidance: { type: 'string', multiple: true },
        backend: { type: 'string' },
        'preview-every': { type: 'string' },
        json: { type: 'boolean' },
        offline: { type: 'boolean' },
        float16: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { command: 'help' };
  if (positionals[0] === 'backends') {
    if (positionals.length > 1) throw new UsageError(`Unexpected argument(s) after 'backends': ${positionals.slice(1).join(' ')}.`);
    return { command: 'backends', json: v.json ?? false };
  }
  if (v.model !== undefined && !Object.hasOwn(FEATURE_EXTRACTORS, v.model)) {
    throw new UsageError(`--model is '${v.model}'; use one of ${Object.keys(FEATURE_EXTRACTORS).join(', ')}.`);
  }
  if (positionals[0] === 'weights') return parseWeightsArgs(positionals.slice(1), v);
  if (v.float16) throw new UsageError('--float16 only applies to `strotss weights convert`.');
  if (positionals.length < 2) throw new UsageError(`Expected <content> and <style> image paths, got ${positionals.length} argument(s).`);
  // --guidance takes two values: the second arrives as a positional after the first.
  let guidance: [string, string] | undefined;
  const rest = positionals.slice(2);
  if (v.guidance) {
    const values = [...v.guidance, ...rest];
    if (values.length !== 2) throw new UsageError('--guidance needs two paths: the content mask and the style mask.');
    guidance = [values[0], values[1]];
  } else if (rest.length > 0) {
    throw new UsageError(`Unexpected argument(s): ${rest.join(' ')}.`);
  }
  if (!v.output) throw new UsageError('Missing -o <out.png>: where to write the result.');
  if (v.weights === '') throw new UsageError('--weights is empty; pass a model.json, a folder holding one, a .safetensors file or a URL.');
  const sampler = v.sampler ?? 'paired';
  if (sampler !== 'paired' && sampler !== 'reference') throw new UsageError(`--sampler is '${sampler}'; use paired or reference.`);
  const rawWeight = v['content-weight'];
  const contentWeight = rawWeight === undefined ? 1 : DECIMAL.test(rawWeight) ? Number(rawWeight) : NaN;
  if (!Number.isFinite(contentWeight) || contentWeight < 0) {
    throw new UsageError(`--content-weight is '${rawWeight}'; it must be a number ≥ 0.`);
  }
  const presetName = v.preset ?? 'reference';
  if (!Object.hasOwn(QUALITY_PRESETS, presetName)) {
    throw new UsageError(`--preset is '${presetName}'; use one of ${Object.keys(QUALITY_PRESETS).join(', ')}.`);
  }
  const preset = QUALITY_PRESETS[presetName as QualityPreset];
  const seed = v.seed === undefined ? undefined : /^-?[0-9]+$/.test(v.seed) ? Number(v.seed) : NaN;
  if (seed !== undefined && !Number.isSafeInteger(seed)) throw new UsageError(`--seed is '${v.seed}'; it must be an integer.`);
  return {
    command: 'run',
    content: positionals[0],
    style: positionals[1],
    output: v.output,
    weights: v.weights,
    model: v.model as FeatureExtractorId | undefined,
    preset: presetName as QualityPreset,
    size: integer('size', v.size, preset.size, 16)!,
    contentWeight,
    iterations: integer('iterations', v.iterations, preset.iterations, 1)!,
    // A preset's scale count belongs to its size (as in resolveOptions).
    scales: integer('scales', v.scales, v.size === undefined ? preset.scales : undefined, 1),
    seed,
    sampler,
    guidance,
    backend: v.backend ?? 'auto',
    previewEvery: integer('preview-every', v['preview-every'], 0, 0)!,
    json: v.json ?? false,
    offline: v.offline ?? false,
  };
}

/** Parses the words after `strotss weights`; throws UsageError naming what is wrong. */
function parseWeightsArgs(
  words: readonly string[],
  v: { model?: string; output?: string; float16?: boolean; offline?: boolean; json?: boolean; weights?: string },
): WeightsArgs {
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
    if (v.output !== undefined) throw new UsageError(`-o only applies to 'strotss weights convert'.`);
    if (v.float16) throw new UsageError(`--float16 only applies to 'strotss weights convert'.`);
  }
  if (v.output === '') throw new UsageError('-o is empty; pass a .safetensors path.');
  if (v.output !== undefined && !/\.safetensors$/i.test(v.output)) {
    throw new UsageError(`-o is '${v.output}'; the compact weights are a .safetensors file, so name it *.safetensors.`);
  }
  return {
    command: 'weights',
    action: action as WeightsArgs['action'],
    model: v.model as FeatureExtractorId | undefined,
    input: action === 'convert' ? rest[0] : undefined,
    output: v.output,
    float16: v.float16 ?? false,
    offline: v.offline ?? false,
    json: v.json ?? false,
  };
}
