import type { Wording } from '@strotss/core';

/** The CLI flag of each API option it has a flag for; the CLI has no knob for any other option. */
const FLAGS: Readonly<Record<string, string>> = {
  size: '--size',
  contentWeight: '--content-weight',
  iterations: '--iterations',
  scales: '--scales',
  seed: '--seed',
  sampler: '--sampler',
  model: '--model',
  preset: '--preset',
  weights: '--weights',
  offline: '--offline',
  backend: '--backend',
  previewEvery: '--preview-every',
  guidance: '--guidance',
  'guidance.content': '--guidance',
  'guidance.style': '--guidance',
  output: '-o',
  style: '--style',
  styleWeights: '--style-weights',
  preserveColor: '--preserve-color',
  points: '--point',
  'points.weight': '--point-weight',
  checkpointEvery: '--checkpoint-every',
  resume: '--resume',
};

/** The inputs a message can name (`content`, `style`, `style.1`… for further styles, `guidance.content`, `guidance.style`) and the paths the user gave. */
export type InputPaths = Partial<Record<'content' | 'style' | 'guidance.content' | 'guidance.style' | `style.${number}`, string>>;

/** Returns the CLI's wording: options by their flags, inputs by what they are and the path the user gave (when known). */
export function cliWordingFor(paths: InputPaths = {}): Wording {
  return {
    option: (name) => (Object.hasOwn(FLAGS, name) ? FLAGS[name] : undefined),
    input: (name, described) => {
      const path = Object.hasOwn(paths, name) ? paths[name as keyof InputPaths] : undefined;
      return path === undefined ? described : `${described} ${path}`;
    },
  };
}

/** The CLI's wording before the image paths are known: flags for options, inputs by what they are. */
export const cliWording: Wording = cliWordingFor();

/** Returns the API name of a CLI flag (`--content-weight` → `contentWeight`, `-o` → `output`), for an error's details. */
export function optionOfFlag(flag: string): string {
  const found = Object.keys(FLAGS).find((name) => FLAGS[name] === flag);
  return found ?? flag.replace(/^-+/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
