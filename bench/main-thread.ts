// Main-thread responsiveness of the demo app during a run, measured in the page (headless Chromium,
// wasm backend): the largest gap between animation frames and the longest task (PerformanceObserver
// 'longtask'), with the job in the hook's Web Worker and on the main thread (?worker=0).
// Needs `npm run build` (docs/app/dist) and the shared VGG19 weights.
// Usage: node bench/run.mjs bench/main-thread.ts [--size 128] [--iterations 5] [--write]
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../packages/backend-webgpu/test/browser/launch-chromium.js';
import { startStaticServer } from '../packages/backend-webgpu/test/browser/static-server.js';
import { writeSection } from './lib/results.js';

// bench/run.mjs runs the bundle from bench/.out/ with the repository root as the working folder.
const root = process.cwd();
const sharedDir = join(root, '../shared/');
const vggWeightsPath = join(sharedDir, 'weights/vgg19-caffe/model.json');
const demoDist = join(root, 'docs/app/dist');
const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const size = arg('--size', 128);
const iterations = arg('--iterations', 5);

/** What the page measured over one run. */
interface Responsiveness {
  seconds: number;
  frames: number;
  largestFrameGapMs: number;
  medianFrameGapMs: number;
  longestTaskMs: number;
  longTasks: number;
}

/** Installs the frame and long-task recorders in the page (before the run starts). */
async function startRecording(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __rec: { gaps: number[]; tasks: number[]; last: number; on: boolean; t0: number } };
    w.__rec = { gaps: [], tasks: [], last: performance.now(), on: true, t0: performance.now() };
    const frame = (t: number) => {
      w.__rec.gaps.push(t - w.__rec.last);
      w.__rec.last = t;
      if (w.__rec.on) requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__rec.tasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: false });
  });
}

/** Stops the recorders and returns their summary. */
async function stopRecording(page: Page): Promise<Responsiveness> {
  return page.evaluate(() => {
    const rec = (window as unknown as { __rec: { gaps: number[]; tasks: number[]; on: boolean; t0: number } }).__rec;
    rec.on = false;
    const gaps = rec.gaps.slice(1).sort((a, b) => a - b);
    return {
      seconds: (performance.now() - rec.t0) / 1000,
      frames: gaps.length,
      largestFrameGapMs: gaps.at(-1) ?? NaN,
      medianFrameGapMs: gaps[Math.floor(gaps.length / 2)] ?? NaN,
      longestTaskMs: rec.tasks.length ? Math.max(...rec.tasks) : 0,
      longTasks: rec.tasks.length,
    };
  });
}

/** Runs the demo once at `size` on wasm with the job in the worker or on the main thread; returns the page's measurements. */
async function measure(page: Page, origin: string, worker: boolean): Promise<Responsiveness> {
  await page.goto(`${origin}/?weights=/weights/model.json&model=vgg19-caffe&worker=${worker ? 1 : 0}`);
  await page.getByTestId('content-input').setInputFiles(join(sharedDir, 'images/content/chelsea.png'));
  await page.getByTestId('style-input').setInputFiles(join(sharedDir, 'images/style/starry_night.jpg'));
  await page.getByTestId('size').fill(String(size));
  await page.getByTestId('iterations').fill(String(iterations));
  await page.getByTestId('backend').selectOption('wasm');
  await startRecording(page);
  await page.getByTestId('start').click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('[data-testid=status]')?.getAttribute('data-status') ?? ''), null, {
    timeout: 20 * 60_000,
    polling: 250,
  });
  const error = await page.getByTestId('error').textContent({ timeout: 100 }).catch(() => null);
  if (error) throw new Error(`the demo run failed: ${error}`);
  const backendText = await page.getByTestId('backend-text').textContent();
  if (!backendText?.includes(worker ? 'a Web Worker' : 'the main thread')) throw new Error(`expected the job in ${worker ? 'the worker' : 'the main thread'}: ${backendText}`);
  return stopRecording(page);
}

if (!existsSync(join(demoDist, 'index.html'))) throw new Error(`${demoDist}/index.html missing: run npm run build first`);
const server = await startStaticServer({ '/': demoDist, '/weights/': dirname(vggWeightsPath) }, 60 * 60_000);
const browser = await launchChromium([]);
const rows: string[] = [];
try {
  const page = await browser.context.newPage();
  for (const worker of [true, false]) {
    const r = await measure(page, server.origin, worker);
    const where = worker ? 'Web Worker (default)' : 'main thread (`worker: false`)';
    console.log(where, JSON.stringify(r));
    rows.push(
      `| ${where} | ${r.seconds.toFixed(1)} | ${r.frames} | ${r.medianFrameGapMs.toFixed(1)} | ${r.largestFrameGapMs.toFixed(0)} | ${r.longestTaskMs.toFixed(0)} | ${r.longTasks} |`,
    );
  }
} finally {
  await browser.close();
  await server.close();
}
const table = [
  `chelsea × The Starry Night, ${size} px, ${iterations} iterations per scale, wasm, headless Chromium (Debian), ${new Date().toISOString().slice(0, 10)}.`,
  'Frame gaps are between `requestAnimationFrame` callbacks of the page during the run (60 Hz = 16.7 ms); long tasks are main-thread tasks over 50 ms (`PerformanceObserver` `longtask`).',
  '',
  '| job runs in | run s | frames | median frame gap ms | largest frame gap ms | longest task ms | long tasks |',
  '|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(table);
if (args.includes('--write')) writeSection('main-thread', 'Main-thread responsiveness in the demo app (worker vs main thread)', table);
