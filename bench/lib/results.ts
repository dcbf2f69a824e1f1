// Writing measured tables into bench/RESULTS.md between `<!-- bench:NAME:start/end -->` markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** bench/RESULTS.md (one folder up both from bench/lib/ and from bench/.out/, where bench/run.mjs bundles the benchmarks). */
export const RESULTS_PATH = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

/** Replaces the marked section `name` of bench/RESULTS.md, or appends it under `## title`. */
export function writeSection(name: string, title: string, body: string): void {
  const text = readFileSync(RESULTS_PATH, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const block = `${start}\n${body}\n${end}`;
  const next = text.includes(start) ? text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), () => block) : `${text.trimEnd()}\n\n## ${title}\n\n${block}\n`;
  writeFileSync(RESULTS_PATH, next);
  console.log(`recorded in ${RESULTS_PATH}`);
}
