// The reference parity suite of @strotss/core/testing in headless Chromium, on TF.js' webgpu
// backend (WebGPU on whatever adapter Chromium offers; SwiftShader on a machine without a GPU)
// and on its wasm backend. The page (test/browser/page.ts) is bundled with esbuild, served from
// 127.0.0.1 together with the fixtures, the VGG19 weights and TF.js' .wasm files, and driven by
// playwright-core; every CheckResult comes back here and is asserted against its tolerance.
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fixturesDir, vggWeightsPath } from '../../../test-support/reference-parity.js';
import { bundlePage } from './browser/bundle-page.js';
import { chromiumUnavailableReason, launchChromium, WEBGPU_SETUPS, type LaunchedChromium } from './browser/launch-chromium.js';
import { startStaticServer, type StaticServer } from './browser/static-server.js';
import type { CaseOutcome, PageReady, ParityPageApi } from './browser/protocol.js';
import type { Page } from 'playwright-core';

const wasmDist = join(dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
const BACKENDS = ['webgpu', 'wasm'] as const;
const webgpuSetupName = process.env.STROTSS_BROWSER_WEBGPU ?? 'swiftshader';
const webgpuSetup = WEBGPU_SETUPS[webgpuSetupName];
if (!webgpuSetup) throw new Error(`STROTSS_BROWSER_WEBGPU is "${webgpuSetupName}": use one of ${Object.keys(WEBGPU_SETUPS).join(', ')}`);
const runHeavy = process.env.STROTSS_BROWSER_WEBGPU_HEAVY === '1';

/**
 * Cases too slow for CI on a software WebGPU adapter. Measured here (2 cores shared with other
 * jobs): TF.js' WebGPU matMul reaches 0.05–0.2 GFLOP/s on SwiftShader and on Mesa llvmpipe through
 * ANGLE/GLES (a 256×2179·2179×1000 product takes 5–20 s); the d = 2179 loss case took 520 s on
 * GLES and ran past 300 s on SwiftShader; the five-iteration trajectory (≈300 GFLOP) took 3251 s
 * on GLES (both pass: STROTSS_BROWSER_WEBGPU=gles STROTSS_BROWSER_WEBGPU_HEAVY=1). On wasm in the same browser they take 12–22 s and
 * 67 s. Stages not known to be light (new cases of the suite) count as heavy too.
 */
function heavyOnSoftwareWebGpu(c: { id: string; stage: string }): boolean {
  const light = ['resize', 'pyramid', 'vgg', 'hypercolumns', 'losses', 'optimizer'];
  return !light.includes(c.stage) || c.id.startsWith('losses/large');
}

/** Why the whole file cannot run here (printed, never silent), or undefined. */
function fileSkipReason(): string | undefined {
  if (!existsSync(`${fixturesDir}index.json`)) return `reference fixtures not found at ${fixturesDir}`;
  return chromiumUnavailableReason();
}

/** Everything the browser tests share: the bundle folder, the server, Chromium. */
interface Session {
  dir: string;
  server: StaticServer;
  browser: LaunchedChromium;
}

async function openSession(): Promise<Session> {
  const dir = await mkdtemp(join(tmpdir(), 'strotss-parity-page-'));
  const cleanup: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    await bundlePage(dir);
    const mounts: Record<string, string> = { '/': dir, '/fixtures/': fixturesDir, '/tfjs-wasm/': `${wasmDist}/` };
    if (existsSync(vggWeightsPath)) mounts['/weights/'] = dirname(vggWeightsPath);
    // An hour at most: the whole file takes minutes; the timer only guards against a lost close().
    const server = await startStaticServer(mounts, 60 * 60_000);
    cleanup.push(() => server.close());
    // One browser for both backends: the WebGPU flags do not change the wasm page.
    const browser = await launchChromium(webgpuSetup.args);
    return { dir, server, browser };
  } catch (e) {
    for (const f of cleanup.reverse()) await f();
    throw e;
  }
}

async function closeSession(s: Session): Promise<void> {
  await s.browser.close();
  await s.server.close();
  await rm(s.dir, { recursive: true, force: true });
}

/** Opens the page for one backend and waits until it has loaded fixtures, weights and the backend. */
async function openPage(s: Session, backend: string): Promise<{ page: Page; ready: PageReady }> {
  const page = await s.browser.context.newPage();
  // Errors inside the page would otherwise only show up as a vague evaluate failure.
  page.on('pageerror', (e) => console.warn(`[chromium ${backend}] page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') console.warn(`[chromium ${backend}] console.error: ${m.text()}`);
  });
  await page.goto(`${s.server.origin}/?backend=${backend}&adapter=${webgpuSetup.adapter}`);
  await page.waitForFunction(() => 'ready' in ((window as unknown as { __strotssParity?: object }).__strotssParity ?? {}));
  const ready = await page.evaluate(() => (window as unknown as { __strotssParity: ParityPageApi }).__strotssParity.ready);
  return { page, ready };
}

const skipAll = fileSkipReason();
// CI installs Chromium (.ci/run) and sets this, so there a missing browser fails instead of skipping.
if (skipAll && process.env.STROTSS_REQUIRE_CHROMIUM === '1') throw new Error(`STROTSS_REQUIRE_CHROMIUM=1 but ${skipAll}`);
if (skipAll) console.warn(`browser parity (Chromium): skipped: ${skipAll}`);
else if (!existsSync(vggWeightsPath)) console.warn(`browser parity: VGG19 weights not found at ${vggWeightsPath}: VGG and end-to-end cases skipped`);

const session = skipAll ? undefined : await openSession();
afterAll(async () => {
  if (!session) return;
  // CPU time of Chromium (GPU process included) and of this test process, for the CI budget.
  const browserCpu = await session.browser.cpuSeconds();
  const own = process.cpuUsage();
  const ownSeconds = (own.user + own.system) / 1e6;
  console.log(
    `browser parity CPU time: Chromium ${browserCpu === undefined ? 'n/a' : `${browserCpu.toFixed(0)} s`}, ` +
      `test process ${ownSeconds.toFixed(0)} s, ${session.server.requests()} requests served`,
  );
  await closeSession(session);
});

/** Worst check per backend and stage, as the ratio error / tolerance (the table for bench/RESULTS.md). */
const worst = new Map<string, { ratio: number; id: string; name: string; kind: string; error: number; tolerance: number }>();
const seconds = new Map<string, number>();

for (const backend of BACKENDS) {
  const opened = session ? await openPage(session, backend) : undefined;
  const unavailable = opened?.ready.unavailable;
  if (unavailable) console.warn(`browser parity on ${backend}: skipped: Chromium offers no ${backend} here (${unavailable})`);
  if (!opened || unavailable !== undefined) {
    describe.skip(`reference parity in Chromium on ${backend} (${skipAll ?? unavailable})`, () => {
      it('needs Chromium and the reference fixtures', () => undefined);
    });
    continue;
  }
  describe(`reference parity in Chromium on ${backend}`, () => {
    const { page, ready } = opened;
    if (ready.adapter) console.log(`browser parity on ${backend}: adapter ${ready.adapter}`);
    it('runs on the requested backend and has cases to run', () => {
      expect(ready.backend).toBe(backend);
      expect(ready.cases.length).toBeGreaterThan(0);
    });
    // Every WebGPU adapter Chromium offers on a machine without a GPU is a software one.
    const skipHeavy = backend === 'webgpu' && !runHeavy;
    const heavy = ready.cases.filter(heavyOnSoftwareWebGpu).map((c) => c.id);
    if (skipHeavy && heavy.length > 0) {
      console.warn(
        `browser parity on webgpu: skipped ${heavy.join(', ')}: too slow for CI on a software WebGPU adapter ` +
          `(${ready.adapter}); STROTSS_BROWSER_WEBGPU_HEAVY=1 runs them (the same cases run on wasm here and on webgpu in Node)`,
      );
    }
    for (const c of ready.cases) {
      const slow = heavyOnSoftwareWebGpu(c);
      it.skipIf(skipHeavy && slow)(c.id, { timeout: slow ? 120 * 60_000 : 5 * 60_000 }, async () => {
        const outcome: CaseOutcome = await page.evaluate((id) => (window as unknown as { __strotssParity: ParityPageApi }).__strotssParity.run(id), c.id);
        seconds.set(`${backend}\t${c.stage}`, (seconds.get(`${backend}\t${c.stage}`) ?? 0) + outcome.seconds);
        expect(outcome.backend).toBe(backend);
        expect(outcome.results.length).toBeGreaterThan(0);
        for (const r of outcome.results) {
          const ratio = r.tolerance === 0 ? (r.error === 0 ? 0 : Infinity) : r.error / r.tolerance;
          const key = `${backend}\t${c.stage}`;
          if (!worst.has(key) || ratio > worst.get(key)!.ratio) worst.set(key, { ratio, id: c.id, name: r.name, kind: r.kind, error: r.error, tolerance: r.tolerance });
          expect.soft(r.error, `${c.id} ${r.name} (${r.kind}, tolerance ${r.tolerance})`).toBeLessThanOrEqual(r.tolerance);
        }
        expect(outcome.leakedTensors, 'tensors leaked by the case').toBe(0);
      });
    }
    it('worst error per stage (report)', () => {
      const rows = [...worst.entries()]
        .filter(([k]) => k.startsWith(`${backend}\t`))
        .map(([k, w]) => {
          const stage = k.split('\t')[1];
          const error = w.error === 0 ? '0' : w.error.toExponential(2);
          return `| ${backend}-in-Chromium | ${stage} | ${w.id} | ${w.name} | ${w.kind} | ${error} | ${w.tolerance} | ${seconds.get(k)?.toFixed(1)} s |`;
        });
      console.log(
        `worst errors in Chromium on ${backend}${ready.adapter ? ` (${ready.adapter})` : ''}:\n` +
          '| backend | stage | case | output | kind | worst error | tolerance | time |\n|---|---|---|---|---|---|---|---|\n' +
          rows.join('\n'),
      );
      expect(rows.length).toBeGreaterThan(0);
    });
  });
}
