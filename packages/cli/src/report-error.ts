import { StrotssError, type Wording } from '@strotss/core';
import type { CliIO } from './main.js';
import { UsageError, USAGE_HINT } from './usage.js';

/** How to report an error: as a JSON line too (--json), with stack traces (--verbose), worded for the CLI. */
export interface ReportOptions {
  json: boolean;
  verbose: boolean;
  wording: Wording;
  /** A usage error: followed by the one-line hint to `strotss --help`. */
  usage?: boolean;
}

/** The text of `e` for the terminal: a StrotssError worded for the CLI, else the error's message. */
export function errorMessage(e: unknown, wording: Wording): string {
  if (e instanceof StrotssError) return e.describe(wording);
  if (e instanceof Error) return e.message || String(e);
  return String(e);
}

/** The stack of `e` and of its causes, for --verbose. */
function stackOf(e: unknown): string | undefined {
  if (!(e instanceof Error) || !e.stack) return undefined;
  const cause = e.cause === undefined ? undefined : (stackOf(e.cause) ?? String(e.cause));
  return cause ? `${e.stack}\nCaused by: ${cause}` : e.stack;
}

/** The chain of causes of `e` as one line each (`Caused by: …`), without stacks. */
function causesOf(e: Error): string[] {
  const lines: string[] = [];
  for (let cause = e.cause; cause !== undefined && lines.length < 5; cause = cause instanceof Error ? cause.cause : undefined) {
    lines.push(`Caused by: ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}`);
  }
  return lines;
}

/**
 * Prints `e`: `strotss: <message>` on stderr (and the --help hint after a usage error), a
 * `{type: 'error', code, message, details}` line on stdout with --json. Errors the SDK does not throw on
 * purpose (not StrotssErrors) show their stack with --verbose only; a StrotssError shows the chain of its
 * causes there (their messages: the error is expected, its stack is of no use).
 */
export function reportError(e: unknown, io: CliIO, options: ReportOptions): void {
  const message = errorMessage(e, options.wording);
  const strotss = e instanceof StrotssError ? e : undefined;
  if (options.json) {
    io.stdout(JSON.stringify({ type: 'error', code: strotss?.code ?? 'ERROR', message, details: strotss?.details ?? {} }));
  }
  io.stderr(`strotss: ${message}\n`);
  if (options.usage || e instanceof UsageError) io.stderr(`${USAGE_HINT}\n`);
  if (!options.verbose) return;
  const extra = strotss ? causesOf(strotss).join('\n') : stackOf(e);
  if (extra) io.stderr(`${extra}\n`);
}
