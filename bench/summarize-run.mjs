#!/usr/bin/env node
// Summarises a `strotss --json` log: loss per scale (first, every 50th, last, mean of the last
// 10), wall time, and, with --reference run.json, the authors' run side by side. Writes an SVG
// loss curve next to the log. Usage:
//   node bench/summarize-run.mjs bench/results/x.jsonl [--reference ../shared/fixtures/reference-run/run.json]
import { readFileSync, writeFileSync } from 'node:fs';

const [log, ...rest] = process.argv.slice(2);
const refIdx = rest.indexOf('--reference');
const referencePath = refIdx >= 0 ? rest[refIdx + 1] : undefined;

const events = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const steps = events.filter((e) => e.type === 'step');
const done = events.find((e) => e.type === 'done');
const scales = [...new Set(steps.map((s) => s.scale))];
const curves = scales.map((s) => steps.filter((e) => e.scale === s).map((e) => e.loss));
const reference = referencePath ? JSON.parse(readFileSync(referencePath, 'utf8')).runs[0] : undefined;
const refCurves = reference ? reference.scales.map((s) => s.loss_per_iteration) : [];

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const fmt = (x) => (x === undefined ? '–' : x.toFixed(4));
const lines = [];
lines.push(`| scale | iterations | loss[0] | loss[50] | loss[100] | loss[150] | loss[200] | loss[last] | mean of last 10 |${reference ? ' reference loss[last] | reference mean of last 10 | Δ last | Δ mean-10 |' : ''}`);
lines.push(`|---|---|---|---|---|---|---|---|---|${reference ? '---|---|---|---|' : ''}`);
curves.forEach((c, i) => {
  const row = [scales[i], c.length, fmt(c[0]), fmt(c[50]), fmt(c[100]), fmt(c[150]), fmt(c[200]), fmt(c.at(-1)), fmt(mean(c.slice(-10)))];
  if (reference && refCurves[i]) {
    const r = refCurves[i];
    const dLast = (c.at(-1) / r.at(-1) - 1) * 100;
    const dMean = (mean(c.slice(-10)) / mean(r.slice(-10)) - 1) * 100;
    row.push(fmt(r.at(-1)), fmt(mean(r.slice(-10))), `${dLast.toFixed(1)} %`, `${dMean.toFixed(1)} %`);
  }
  lines.push(`| ${row.join(' | ')} |`);
});
lines.push('');
lines.push(`wall time: ${done ? `${done.seconds.toFixed(0)} s` : 'unfinished'}; steps: ${steps.length}`);

// SVG: loss per iteration, scales concatenated, ours solid and the reference dashed.
const W = 720, H = 260, pad = 36;
const all = curves.flat().concat(refCurves.flat());
const yMax = Math.max(...all) * 1.05;
const n = Math.max(curves.flat().length, refCurves.flat().length);
const path = (ys) => ys.map((y, i) => `${i ? 'L' : 'M'}${(pad + (i / (n - 1)) * (W - 2 * pad)).toFixed(1)},${(H - pad - (y / yMax) * (H - 2 * pad)).toFixed(1)}`).join(' ');
const svg = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
  `<rect width="${W}" height="${H}" fill="white"/>`,
  `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="#888"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="#888"/>`,
  `<text x="${pad}" y="${pad - 8}">STROTSS loss per iteration (scales concatenated); y max ${yMax.toFixed(2)}</text>`,
  refCurves.length ? `<path d="${path(refCurves.flat())}" fill="none" stroke="#d62728" stroke-dasharray="4 3" stroke-width="1"/>` : '',
  `<path d="${path(curves.flat())}" fill="none" stroke="#1f77b4" stroke-width="1"/>`,
  `<text x="${W - pad - 200}" y="${pad}" fill="#1f77b4">this SDK</text>`,
  refCurves.length ? `<text x="${W - pad - 200}" y="${pad + 14}" fill="#d62728">authors' code (reference run)</text>` : '',
  '</svg>',
].join('\n');
const svgPath = log.replace(/\.jsonl$/, '.loss.svg');
writeFileSync(svgPath, svg);
lines.push(`loss curve: ${svgPath}`);
console.log(lines.join('\n'));
