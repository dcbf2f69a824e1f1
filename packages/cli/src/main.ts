import { describeBackends, InvalidOptionError, listBackends, type ResolvedOptions, type Wording } from '@strotss/core';
import { parseCliArgs, type BackendsArgs, type CliArgs, type FramesArgs, type RunArgs } from './args.js';
import { hasFlag } from './argv-prepass.js';
import { printBackendDiagnostics } from './backend-diagnostics.js';
import { registerOptionalBackends } from './optional-backends.js';
import { refuseOutputOverInput } from './output-path.js';
import { reportError } from './report-error.js';
import { checkWeightsModel, resolveRunOptions } from './run-options.js';
import { runStyleTransfer } from './style-transfer-command.js';
import { runFramesCommand } from './frames-command.js';
import { usageText, UsageError } from './usage.js';
import { cliVersion } from './version.js';
import { cliWording, cliWordingFor } from './wording.js';
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

/** `--backend` must be 'auto' or a registered backend; anything else is a usage error. */
function checkBackendName(name: string): void {
  const ids = listBackends().map((b) => b.id);
  if (name !== 'auto' && !ids.includes(name)) {
    throw new UsageError(`--backend is '${name}'; use auto, ${ids.join(', ')}.`, { option: 'backend', value: name });
  }
}

/** The CLI's wording for a run: flags for options, the paths the user gave for the images. */
function runWording(args: RunArgs | FramesArgs): Wording {
  // A frame's errors name the frame themselves (FrameError); the folder is not "the content image".
  if (args.command === 'frames') return cliWordingFor({ style: args.style });
  const moreStyles = Object.fromEntries(args.styles.slice(1).map((path, i) => [`style.${i + 1}`, path]));
  return cliWordingFor({ content: args.content, style: args.style, ...moreStyles, 'guidance.content': args.guidance?.[0], 'guidance.style': args.guidance?.[1] });
}

/**
 * The checks that need no file to be read: the command line, every option value (core's resolveOptions)
 * and -o against the inputs. Returns the parsed arguments and, for a run, the options core will use;
 * throws UsageError or InvalidOptionError (both reported as usage errors).
 */
function checkCommandLine(argv: readonly string[]): { args: CliArgs; resolved?: ResolvedOptions } {
  const args = parseCliArgs(argv);
  if (args.command === 'weights') checkWeightsModel(args);
  if (args.command !== 'run' && args.command !== 'frames') return { args };
  checkBackendName(args.backend);
  const resolved = resolveRunOptions(args);
  if (args.command === 'run' && !args.force) {
    refuseOutputOverInput(args.output, [
      ['content image', args.content],
      ...args.styles.map((path) => ['style image', path] as const),
      ...(args.guidance ? ([['content guidance mask', args.guidance[0]], ['style guidance mask', args.guidance[1]]] as const) : []),
    ]);
  }
  return { args, resolved };
}

/** `strotss backends`: one line (or JSON object) per registered backend; captured diagnostics with --verbose. */
async function listBackendsCommand(args: BackendsArgs, io: CliIO): Promise<number> {
  const rows = await describeBackends();
  if (args.json) for (const r of rows) io.stdout(JSON.stringify({ type: 'backend', ...r }));
  else for (const r of rows) io.stdout(`${r.id.padEnd(11)} ${r.available ? 'available  ' : 'unavailable'} ${r.available ? (r.description ?? '') : r.reason}`);
  if (args.verbose) printBackendDiagnostics(io);
  return 0;
}

/** Runs the CLI with `argv` and returns the exit code (0 ok, 1 failure, 2 usage, 130 interrupted). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  await registerOptionalBackends();
  let checked;
  try {
    checked = checkCommandLine(argv);
  } catch (e) {
    const usage = e instanceof UsageError || e instanceof InvalidOptionError;
    reportError(e, io, { json: hasFlag(argv, '--json'), verbose: hasFlag(argv, '--verbose'), wording: cliWording, usage });
    return usage ? 2 : 1;
  }
  const { args, resolved } = checked;
  switch (args.command) {
    case 'help':
      io.stdout(usageText(listBackends().map((b) => b.id)));
      return 0;
    case 'version':
      io.stdout(cliVersion());
      return 0;
    case 'backends':
      return listBackendsCommand(args, io);
  }
  const wording = args.command === 'run' || args.command === 'frames' ? runWording(args) : cliWording;
  try {
    if (args.command === 'frames') return await runFramesCommand(args, resolved!, io);
    return args.command === 'weights' ? await runWeightsCommand(args, io) : await runStyleTransfer(args, resolved!, io);
  } catch (e) {
    reportError(e, io, { json: args.json, verbose: args.verbose, wording });
    return 1;
  }
}
