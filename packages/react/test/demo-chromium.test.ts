// The demo app (docs/app, built by `npm run build`) in Debian's Chromium through playwright-core,
// served from 127.0.0.1 with the shared VGG19 weights: load two images (one chosen, one dropped), start at a small size, see
// progress advance and a preview drawn, cancel, restart, let the run finish, download the PNG and
// check its size; on wasm, and on WebGPU where Chromium offers an adapter. A screenshot of the
// finished demo is saved per backend (path printed).
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { describeAdapter, softwareAdapterName } from '../../backend-webgpu/src/adapter-source.js';
import type { GpuAdapter } from '../../backend-webgpu/src/gpu-types.js';
import { chromiumUnavailableReason, launchChromium, WEBGPU_SETUPS, type LaunchedChromium } from '../../backend-webgpu/test/browser/launch-chromium.js';
import { startStaticServer, type StaticServer } from '../../backend-webgpu/test/browser/static-server.js';
import { sharedDir, vggWeightsPath } from '../../../test-support/reference-parity.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const demoDist = join(root, 'docs/app/dist');
const screenshotsDir = join(root, 'out');
const contentImage = join(sharedDir, 'images/content/chelsea.png');
const styleImage = join(sharedDir, 'images/style/starry_night.jpg');

/** Why the file cannot run here (printed, never silent), or undefined. */
function skipReason(): string | undefined {
  if (!existsSync(join(demoDist, 'index.html'))) return `the demo is not built (${demoDist}/index.html missing; run npm run build)`;
  if (!existsSync(vggWeightsPath)) return `VGG19 weights not found at ${vggWeightsPath}`;
  if (!existsSync(contentImage) || !existsSync(styleImage)) return `shared images not found (${contentImage}, ${styleImage})`;
  return chromiumUnavailableReason();
}

/** Size and iterations per backend: a software WebGPU adapter (SwiftShader) runs the VGG far slower than wasm. */
const RUNS = {
  wasm: { size: 64, finishIterations: 6 },
  webgpu: { size: 32, finishIterations: 2 },
} as const;
type Backend = keyof typeof RUNS;

const skip = skipReason();
if (skip && process.env.STROTSS_REQUIRE_CHROMIUM === '1') throw new Error(`STROTSS_REQUIRE_CHROMIUM=1 but ${skip}`);
if (skip) console.warn(`demo app in Chromium: skipped: ${skip}`);

let server: StaticServer | undefined;
let browser: LaunchedChromium | undefined;
if (!skip) {
  server = await startStaticServer({ '/': demoDist, '/weights/': dirname(vggWeightsPath) }, 30 * 60_000);
  browser = await launchChromium(WEBGPU_SETUPS.swiftshader.args);
}
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** The adapter info a page gets from navigator.gpu, or why it gets none. */
async function pageAdapter(page: Page): Promise<{ adapter?: GpuAdapter; missing?: string }> {
  return page.evaluate(async () => {
    const gpu = (navigator as { gpu?: { requestAdapter(): Promise<{ info?: Record<string, unknown>; isFallbackAdapter?: boolean } | null> } }).gpu;
    if (!gpu) return { missing: 'navigator.gpu is undefined' };
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { missing: 'navigator.gpu.requestAdapter() returned null' };
    const info = adapter.info ?? {};
    const plain = { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description, isFallbackAdapter: info.isFallbackAdapter };
    return { adapter: { info: plain, isFallbackAdapter: adapter.isFallbackAdapter } as never };
  });
}

/**
 * Returns why the WebGPU case is skipped here, or undefined: no adapter, or a software one (SwiftShader)
 * without STROTSS_BROWSER_WEBGPU_HEAVY=1 — measured on 2 shared cores, the demo's two runs at 32 px
 * took 15 min there (first step ≈ 8 min, mostly shader compilation), against 30 s on wasm.
 */
async function webgpuSkipReason(page: Page): Promise<string | undefined> {
  const { adapter, missing } = await pageAdapter(page);
  if (!adapter) return `Chromium offers no WebGPU adapter here (${missing})`;
  const software = softwareAdapterName(adapter);
  if (software && process.env.STROTSS_BROWSER_WEBGPU_HEAVY !== '1') {
    return `the only adapter is a software one (${software}), where the demo's runs take ≈ 15 min; STROTSS_BROWSER_WEBGPU_HEAVY=1 runs them`;
  }
  console.log(`demo app in Chromium on webgpu: adapter ${describeAdapter(adapter)}`);
  return undefined;
}

/** Reads a PNG's width and height from its IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

const status = (page: Page) => page.getByTestId('status');

/** Waits until the status block's data-status is `value`. */
async function waitForStatus(page: Page, value: string, timeout: number): Promise<void> {
  await page.waitForFunction((v) => document.querySelector('[data-testid=status]')?.getAttribute('data-status') === v, value, { timeout, polling: 100 });
}

/** Drops the file at `path` on the element with data-testid `testId`, as a user dragging it from the desktop would. */
async function dropFile(page: Page, testId: string, path: string, type: string): Promise<void> {
  const base64 = (await readFile(path)).toString('base64');
  const name = path.split('/').at(-1)!;
  await page.evaluate(
    ({ testId, base64, name, type }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], name, { type }));
      const target = document.querySelector(`[data-testid=${testId}]`)!;
      target.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
      target.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    { testId, base64, name, type },
  );
}

/** Opens the demo on the shared weights and loads the two images: the content through its file input, the style by a drop. */
async function openDemo(backend: Backend): Promise<Page> {
  const page = await browser!.context.newPage();
  page.on('pageerror', (e) => console.warn(`[demo ${backend}] page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && console.warn(`[demo ${backend}] console.error: ${m.text()}`));
  await page.goto(`${server!.origin}/?weights=/weights/model.json&model=vgg19-caffe`);
  await page.getByTestId('content-input').setInputFiles(contentImage);
  await dropFile(page, 'style-drop', styleImage, 'image/jpeg');
  await page.getByTestId('size').fill(String(RUNS[backend].size));
  await page.getByTestId('backend').selectOption(backend);
  return page;
}

for (const backend of ['wasm', 'webgpu'] as const) {
  const page = skip ? undefined : await openDemo(backend);
  const unavailable = page && backend === 'webgpu' ? await webgpuSkipReason(page) : undefined;
  if (unavailable) console.warn(`demo app in Chromium on webgpu: skipped: ${unavailable}`);
  const title = `demo app in Chromium on ${backend}${unavailable ? ` (skipped: ${unavailable})` : ''}`;
  describe.skipIf(!page || unavailable !== undefined)(title, () => {
    it('shows the two chosen images', async () => {
      for (const id of ['content-image', 'style-image']) {
        await page!.waitForFunction((t) => (document.querySelector(`[data-testid=${t}]`) as HTMLImageElement)?.naturalWidth > 0, id);
      }
      expect(await page!.getByTestId('content-drop').textContent()).toContain('chelsea.png');
      expect(await page!.getByTestId('style-drop').textContent()).toContain('starry_night.jpg');
    });

    it('starts: progress advances and a preview is drawn; cancel stops it', async () => {
      await page!.getByTestId('iterations').fill('200');
      await page!.getByTestId('start').click();
      await page!.waitForFunction(() => Number(document.querySelector('[data-testid=status]')?.getAttribute('data-progress')) > 0, null, { timeout: 240_000, polling: 100 });
      await page!.waitForFunction(() => Number((document.querySelector('[data-testid=preview]') as HTMLElement)?.dataset.drawn) > 0, null, { timeout: 240_000, polling: 100 });
      const backendText = await page!.getByTestId('backend-text').textContent();
      expect(backendText).toContain(`Backend: ${backend}`);
      expect(backendText).toContain('runs in a Web Worker');
      await page!.getByTestId('cancel').click();
      await waitForStatus(page!, 'cancelled', 240_000);
      expect(await page!.getByTestId('status-text').textContent()).toBe('cancelled');
    }, 600_000);

    it('restarts, finishes, and downloads a PNG of the chosen size', async () => {
      await page!.getByTestId('iterations').fill(String(RUNS[backend].finishIterations));
      await page!.getByTestId('start').click();
      await waitForStatus(page!, 'done', 600_000);
      expect(await status(page!).getAttribute('data-progress')).toBe('1.0000');
      const [download] = await Promise.all([page!.waitForEvent('download'), page!.getByTestId('download').click()]);
      const bytes = await readFile((await download.path())!);
      const [width, height] = pngSize(bytes);
      // chelsea.png is 451×300: the long side becomes the chosen size, the other is truncated (core's scaledSize).
      expect([width, height]).toEqual([RUNS[backend].size, Math.trunc((RUNS[backend].size * 300) / 451)]);
      await mkdir(screenshotsDir, { recursive: true });
      const shot = resolve(screenshotsDir, `demo-chromium-${backend}.png`);
      await page!.screenshot({ path: shot, fullPage: true });
      console.log(`demo app in Chromium on ${backend}: finished; screenshot of the demo at ${shot}; downloaded PNG ${width}×${height}, ${bytes.length} bytes`);
    }, 900_000);
  });
}
