// Browser entry of the parity suite (bundled by esbuild at test time, served from 127.0.0.1).
// `?backend=webgpu|wasm` picks the TF.js backend; the page loads the reference fixtures and the
// VGG19 weights with fetch and exposes the suite on `window.__strotssParity` for playwright.
import { ReferenceFixtures, referenceParityCases, type CheckResult, type ParityCase } from '@strotss/core/testing';
import { tf, loadVggWeights, fetchByteSource, registerBackend, resolveBackend, VGG19_CAFFE } from '@strotss/core';
import { createWebGpuBackend, describeAdapter, type AdapterSource, type Gpu } from '@strotss/backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmKernels } from '@strotss/backend-node/wasm-kernels';
import type { PageReady, CaseOutcome, ParityPageApi } from './protocol.js';

/** Server paths of the page's resources (see static-server.ts). */
const PATHS = { fixtures: '/fixtures/', weights: '/weights/model.json', wasm: '/tfjs-wasm/' };

/** Returns the bytes of one fixture file, or throws naming the URL and HTTP status. */
async function readFixture(file: string): Promise<Uint8Array> {
  const url = new URL(PATHS.fixtures + file, location.href).toString();
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url} failed: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

const params = new URLSearchParams(location.search);

/**
 * The adapter the page asks for: `core` (the package's default: navigator.gpu's high-performance
 * adapter; SwiftShader here) or `compatibility` (WebGPU compatibility mode; with Chromium's
 * --use-webgpu-adapter=opengles, Dawn's OpenGL ES backend on ANGLE/Mesa).
 */
function adapterSource(featureLevel: string): AdapterSource | undefined {
  if (featureLevel === 'core') return undefined;
  if (featureLevel !== 'compatibility') throw new Error(`unknown adapter "${featureLevel}" in the page URL: use core or compatibility`);
  const gpu = (navigator as { gpu?: Gpu }).gpu;
  return {
    name: 'navigator.gpu (compatibility)',
    find: async () => {
      const adapter = await gpu?.requestAdapter({ featureLevel: 'compatibility' });
      if (!adapter) throw new Error('navigator.gpu.requestAdapter({featureLevel: "compatibility"}) returned no adapter');
      return { adapter, label: `navigator.gpu (compatibility): ${describeAdapter(adapter)}`, installGlobals: () => undefined };
    },
  };
}

// The same backend as the package registers, re-registered only to choose the adapter
// (?adapter=core|compatibility); the rest is the package's own browser path (navigator.gpu).
const webgpuBackend = createWebGpuBackend({ adapterSource: adapterSource(params.get('adapter') ?? 'core') });
registerBackend(webgpuBackend);

/** Selects `backend` in TF.js; for webgpu through the package's own registration (what users get). */
async function activate(backend: string): Promise<string | undefined> {
  if (backend === 'webgpu') {
    if (!(await webgpuBackend.isSupported())) return (await webgpuBackend.unsupportedReason?.()) ?? 'not supported';
    await resolveBackend('webgpu');
    return undefined;
  }
  if (backend === 'wasm') {
    // Served from node_modules/@tensorflow/tfjs-backend-wasm/dist/. The page is not
    // cross-origin isolated, so TF.js picks the SIMD build without threads (one core, as in CI).
    setWasmPaths(new URL(PATHS.wasm, location.href).toString());
    // The wasm variants of the core's named kernels (more accurate sums and covariances, exact
    // sign), as backend-node registers them in Node: browser-safe, imported from its subpath.
    registerWasmKernels('wasm');
    if (!(await tf.setBackend('wasm'))) throw new Error('tf.setBackend("wasm") failed');
    return undefined;
  }
  throw new Error(`unknown backend "${backend}" in the page URL: use ?backend=webgpu or ?backend=wasm`);
}

/** Loads everything, then resolves with the cases this page can run (or why it cannot run). */
async function prepare(backend: string): Promise<{ ready: PageReady; cases: Map<string, ParityCase> }> {
  const cases = new Map<string, ParityCase>();
  const unavailable = await activate(backend);
  if (unavailable) return { ready: { backend, unavailable, cases: [], weights: false }, cases };
  const fx = await ReferenceFixtures.load(readFixture);
  const weightsUrl = new URL(PATHS.weights, location.href).toString();
  const haveWeights = (await fetch(weightsUrl, { method: 'HEAD' })).ok;
  const vgg = haveWeights ? { preset: VGG19_CAFFE, weights: await loadVggWeights(VGG19_CAFFE, fetchByteSource(), weightsUrl) } : undefined;
  // WebGPU's argMin reduces in a workgroup tree, so an exact tie may go to either copy of a
  // duplicated row (the suite then compares duplicate-group sums, as the fixtures advise for ties).
  const argMinTies = backend === 'webgpu' ? 'any' : 'first';
  for (const c of referenceParityCases(fx, { vgg, argMinTies })) cases.set(c.id, c);
  const ready: PageReady = {
    backend: tf.getBackend(),
    adapter: backend === 'webgpu' ? webgpuBackend.description : undefined,
    weights: haveWeights,
    cases: [...cases.values()].map((c) => ({ id: c.id, stage: c.stage })),
  };
  return { ready, cases };
}

/** Runs one case and reports its checks plus the tensors it left behind. */
async function runCase(cases: Map<string, ParityCase>, id: string): Promise<CaseOutcome> {
  const c = cases.get(id);
  if (!c) throw new Error(`no parity case "${id}" in this page (known: ${[...cases.keys()].join(', ')})`);
  const before = tf.memory().numTensors;
  const start = performance.now();
  const results: CheckResult[] = await c.run();
  const seconds = (performance.now() - start) / 1000;
  return { backend: tf.getBackend(), results, leakedTensors: tf.memory().numTensors - before, seconds };
}

const backend = params.get('backend') ?? '';
const prepared = prepare(backend);
const api: ParityPageApi = {
  ready: prepared.then((p) => p.ready),
  run: async (id) => runCase((await prepared).cases, id),
};
(window as unknown as { __strotssParity: ParityPageApi }).__strotssParity = api;
