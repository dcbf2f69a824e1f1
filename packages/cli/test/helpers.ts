// Shared by the CLI test files: an in-process run of main() with captured output, images and weights.

import { writeFile } from 'node:fs/promises';
import { convLayers, VGG16, writeSafetensors, type NamedTensor, type RgbaImage } from '@strotss/core';
import { main, type CliIO } from '../src/main.js';

export interface CliRun {
  code: number;
  stdout: string[];
  stderr: string;
}

/** Runs main() in-process with captured output; `env` has no STROTSS_WEIGHTS unless given. */
export async function cli(argv: string[], options: { env?: NodeJS.ProcessEnv; onInterrupt?: CliIO['onInterrupt'] } = {}): Promise<CliRun> {
  const stdout: string[] = [];
  let stderr = '';
  const code = await main(argv, {
    stdout: (line) => stdout.push(line),
    stderr: (text) => {
      stderr += text;
    },
    isTTY: false,
    env: options.env ?? {},
    onInterrupt: options.onInterrupt ?? (() => () => undefined),
  });
  return { code, stdout, stderr };
}

/** Parses every stdout line as JSON (a non-JSON line fails the test with the line in the message). */
export function jsonLines(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      throw new Error(`stdout line is not JSON: ${line}`);
    }
  });
}

/** A solid RGBA image. */
export function solid(width: number, height: number, rgb: [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([...rgb, 255], i);
  return { width, height, data };
}

/** torchvision VGG16 conv tensors (zeros) in the file layout: `features.N.weight` OIHW and `.bias`. */
export function zeroVgg16Tensors(): Record<string, NamedTensor> {
  const convs = convLayers(VGG16);
  // Every tensor is a view of one buffer: writeSafetensors copies the bytes out.
  const zeros = new Float32Array(Math.max(...convs.map((c) => c.outChannels * c.inChannels * 9)));
  const tensors: Record<string, NamedTensor> = {};
  for (const c of convs) {
    tensors[`${c.torchvisionName}.weight`] = { shape: [c.outChannels, c.inChannels, 3, 3], values: zeros.subarray(0, c.outChannels * c.inChannels * 9) };
    tensors[`${c.torchvisionName}.bias`] = { shape: [c.outChannels], values: zeros.subarray(0, c.outChannels) };
  }
  return tensors;
}

/**
 * Writes torchvision-layout VGG16 weights (every conv tensor zero) to `path`: they load and run like real
 * ones, for tests about the command rather than the picture.
 */
export async function writeZeroVgg16(path: string): Promise<void> {
  await writeFile(path, writeSafetensors(zeroVgg16Tensors()));
}

/** The smallest run VGG16 takes (32 px, one scale of one iteration): for tests about the command, not the result. */
export const TINY_RUN = ['--size', '32', '--iterations', '1', '--backend', 'wasm', '--seed', '1', '--model', 'vgg16'];
