// Before util.parseArgs: the forms it cannot take (a value starting with '-', an option that takes two
// values) and unknown options, which it reports without the flag a user probably meant.

import { closestName } from './suggest.js';
import { UsageError } from './usage.js';
import { optionOfFlag } from './wording.js';

/** Long options that take one value, with an example value for messages. */
export const VALUE_OPTIONS: Readonly<Record<string, string>> = {
  output: 'out.png',
  weights: 'model.json',
  model: 'vgg16',
  preset: 'fast',
  size: '512',
  'content-weight': '1',
  iterations: '250',
  scales: '4',
  seed: '7',
  sampler: 'paired',
  backend: 'auto',
  'preview-every': '10',
  style: 'style.jpg',
  'style-weights': '0.7,0.3',
  point: '120,80:40,60',
  'point-weight': '5',
  checkpoint: 'run.ckpt',
  'checkpoint-every': '50',
  resume: 'run.ckpt',
};

/** Long options that take no value. */
export const FLAG_OPTIONS: readonly string[] = ['json', 'offline', 'float16', 'force', 'verbose', 'version', 'help', 'preserve-color', 'independent'];

/** Short options that take no value, and the long option each stands for (`-o` takes one: the output path). */
const SHORT_FLAGS: Readonly<Record<string, string>> = { h: 'help', V: 'version' };

/** The option taking two values: `--guidance <content mask> <style mask>`. */
const GUIDANCE = 'guidance';

const KNOWN = [...Object.keys(VALUE_OPTIONS), ...FLAG_OPTIONS, GUIDANCE];

/** The command line rewritten for util.parseArgs: every value attached (`--size=64`), positionals after `--`. */
export interface PreparedArgv {
  /** Options only, each value attached with `=`. */
  options: string[];
  /** Every positional argument, in order (after `--` too). */
  positionals: string[];
  /** `--guidance C S`, taken out (parseArgs has no option with two values). */
  guidance?: [string, string];
}

/** True for a word that is an option rather than a value: `--name`, `--` or `-x` (not `-5`, `-.5` or `-`). */
function isOption(word: string): boolean {
  return word.startsWith('--') || /^-[A-Za-z]/.test(word);
}

/** A UsageError for an option that does not exist, suggesting the one meant when it is close. */
function unknownOption(word: string): UsageError {
  if (word === '-v') return new UsageError('Unknown option -v; did you mean --verbose, or -V for the version?');
  const name = word.replace(/^-+/, '');
  const meant = word.startsWith('--') ? closestName(name, KNOWN) : undefined;
  return new UsageError(`Unknown option ${word}${meant ? `; did you mean --${meant}?` : '.'}`, { value: word });
}

/** Throws when `value` (the word after `flag`) is missing or is another option. */
function requireValue(flag: string, value: string | undefined, example: string): string {
  if (value === undefined || isOption(value)) {
    const got = value === undefined ? 'but it is the last argument' : `but the next argument is the option ${value}`;
    throw new UsageError(`${flag} needs a value (e.g. ${flag} ${example}), ${got}.`, { option: optionOfFlag(flag) });
  }
  return value;
}

/**
 * Rewrites argv (without node and the script) for util.parseArgs: options may stand before or after the
 * image paths; `--guidance` takes exactly the next two words; a value may start with '-' (`--seed -5`).
 * Throws UsageError for an unknown option (naming the one meant when close) and for a missing value.
 */
export function prepareArgv(argv: readonly string[]): PreparedArgv {
  const options: string[] = [];
  const positionals: string[] = [];
  let guidance: [string, string] | undefined;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!isOption(word)) {
      positionals.push(word);
    } else if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = word.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : word.slice(eq + 1);
      if (name === GUIDANCE) {
        if (guidance) throw new UsageError('--guidance is given twice; pass it once: --guidance <content mask> <style mask>.', { option: 'guidance' });
        const masks = inline === undefined ? [] : [inline];
        while (masks.length < 2 && i + 1 < argv.length && !isOption(argv[i + 1])) masks.push(argv[++i]);
        if (masks.length < 2) {
          throw new UsageError(
            `--guidance needs two paths, the content mask and the style mask (--guidance C S); got ${masks.length ? `only ${masks[0]}` : 'none'}.`,
            { option: 'guidance' },
          );
        }
        guidance = [masks[0], masks[1]];
      } else if (Object.hasOwn(VALUE_OPTIONS, name)) {
        options.push(`--${name}=${inline ?? requireValue(`--${name}`, argv[++i], VALUE_OPTIONS[name])}`);
      } else if (FLAG_OPTIONS.includes(name)) {
        if (inline !== undefined) throw new UsageError(`--${name} takes no value; got ${word}.`, { option: optionOfFlag(`--${name}`) });
        options.push(word);
      } else {
        throw unknownOption(eq < 0 ? word : word.slice(0, eq));
      }
    } else if (word[1] === 'o') {
      // -o PATH or -oPATH
      options.push(`--output=${word.length > 2 ? word.slice(2) : requireValue('-o', argv[++i], VALUE_OPTIONS.output)}`);
    } else {
      for (const letter of word.slice(1)) {
        if (!Object.hasOwn(SHORT_FLAGS, letter)) throw unknownOption(`-${letter}`);
        options.push(`--${SHORT_FLAGS[letter]}`);
      }
    }
  }
  return { options, positionals, guidance };
}

/** True when `flag` (e.g. `--json`) stands among the options of `argv`, for reporting a usage error in its form. */
export function hasFlag(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes(flag);
}
