import { describeAdapter, softwareAdapterName, type AdapterChoice, type AdapterSource } from './adapter-source.js';
import type { Gpu, GpuAdapter, GpuRequestAdapterOptions } from './gpu-types.js';
import { importFailureReason, type ModuleImporter } from './import-module.js';

/**
 * Which Dawn adapter to use in Node (env `STROTSS_WEBGPU_ADAPTER`):
 * - `auto` (default): a hardware GPU through Dawn's default backend (Vulkan, Metal, D3D12) only.
 *   Software adapters are far slower than the wasm backend, so `--backend auto` must not pick one.
 * - `any`: a hardware GPU; else Mesa's OpenGL ES in compatibility mode (llvmpipe on CPU-only
 *   machines, the faster software path); else Dawn's default software adapter (e.g. lavapipe);
 *   else SwiftShader. For tests and for checking results where there is no GPU.
 * - `gpu`: Dawn's default adapter, hardware or not.
 * - `opengles`: Mesa/EGL OpenGL ES, WebGPU compatibility mode (sets `EGL_PLATFORM=surfaceless` when unset).
 * - `swiftshader`: SwiftShader's Vulkan ICD (`STROTSS_SWIFTSHADER_ICD`, default Chromium's copy).
 */
export type DawnAdapterKind = 'auto' | 'any' | 'gpu' | 'opengles' | 'swiftshader';

const KINDS: readonly DawnAdapterKind[] = ['auto', 'any', 'gpu', 'opengles', 'swiftshader'];

/** Where SwiftShader's Vulkan ICD manifest usually is (Debian's chromium, Google Chrome). */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** Options of {@link dawnAdapterSource}; every field defaults to the environment variable named. */
export interface DawnAdapterOptions {
  /** `STROTSS_WEBGPU_ADAPTER`, default 'auto'. */
  kind?: DawnAdapterKind;
  /** Extra `create()` flags for dawn.node (`STROTSS_WEBGPU_DAWN_FLAGS`, space-separated), e.g. `adapter=NVIDIA`. */
  dawnFlags?: string[];
  /** SwiftShader's `vk_swiftshader_icd.json` (`STROTSS_SWIFTSHADER_ICD`). */
  swiftshaderIcd?: string;
  /** Environment read for the defaults above; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Loads the `webgpu` package; injectable for tests. */
  importModule?: ModuleImporter;
  /**
   * Probe the adapters in a child Node process first (default true): Dawn, Vulkan loaders and Mesa
   * print warnings straight to the process's stderr (e.g. "XDG_RUNTIME_DIR is invalid", a Vulkan
   * warning with a path from Dawn's build machine) where no JavaScript can catch them. The child's
   * stderr is kept as the source's diagnostics; Dawn is loaded here only when an adapter was found.
   */
  probeInChild?: boolean;
  /** Receives what the child probe printed on stderr (for `--verbose`). */
  onDiagnostics?: (text: string) => void;
}

/** What the child probe reports for one attempt: the adapter's info, or why there is none. */
interface ProbeResult {
  name: string;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  error?: string;
}

/**
 * The child probe: imports dawn.node from argv[1], runs the attempts of $STROTSS_DAWN_PROBE (JSON)
 * and prints one JSON line with each attempt's adapter info or error.
 */
const PROBE_SCRIPT = `
const dawn = await import(process.argv[1]);
const results = [];
for (const attempt of JSON.parse(process.env.STROTSS_DAWN_PROBE)) {
  const saved = {};
  for (const [k, v] of Object.entries(attempt.env ?? {})) { saved[k] = process.env[k]; process.env[k] = v; }
  try {
    const adapter = await dawn.create(attempt.flags).requestAdapter(attempt.request);
    const i = adapter?.info ?? {};
    results.push(adapter ? { name: attempt.name, info: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter ?? adapter.isFallbackAdapter } } : { name: attempt.name, error: 'requestAdapter() returned no adapter' });
  } catch (e) {
    results.push({ name: attempt.name, error: String(e?.message ?? e).split('\\n')[0] });
  }
  for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
}
process.stdout.write(JSON.stringify(results) + '\\n');
process.exit(0);
`;

/** How long the child probe may take before it counts as failed. */
const PROBE_TIMEOUT_MS = 60_000;

/** Runs `attempts` in a child Node process; returns each one's result and what the child printed on stderr. */
async function probeInChildProcess(importModule: ModuleImporter, attempts: readonly Attempt[]): Promise<{ results: ProbeResult[]; stderr: string }> {
  const { spawnSync } = (await importModule('node:child_process')) as typeof import('node:child_process');
  const { createRequire } = (await importModule('node:module')) as typeof import('node:module');
  const { pathToFileURL } = (await importModule('node:url')) as typeof import('node:url');
  const webgpu = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  const plain = attempts.map(({ name, flags, request, env }) => ({ name, flags, request, env }));
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE_SCRIPT, webgpu], {
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    env: { ...process.env, STROTSS_DAWN_PROBE: JSON.stringify(plain) },
  });
  const stderr = child.stderr ?? '';
  const line = (child.stdout ?? '').trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !line.startsWith('[')) {
    const why = child.error ? child.error.message : `exit ${child.status ?? child.signal}`;
    throw new Error(`the adapter probe in a child process failed (${why}): ${stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
  }
  return { results: JSON.parse(line) as ProbeResult[], stderr };
}

interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

/** One way to get a Dawn adapter: create() flags, requestAdapter options and the env it needs. */
interface Attempt {
  name: string;
  flags: string[];
  request: GpuRequestAdapterOptions;
  /** Env set while the adapter is created (restored afterwards unless `keepEnv`). */
  env?: Record<string, string>;
  keepEnv?: boolean;
  /** Rejects an adapter with a reason (e.g. a software one when a hardware GPU was asked for). */
  accept?: (adapter: GpuAdapter) => string | undefined;
}

/** Parses `STROTSS_WEBGPU_ADAPTER`; throws naming the bad value and the choices. */
export function parseDawnAdapterKind(value: string | undefined): DawnAdapterKind {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'auto';
  if ((KINDS as readonly string[]).includes(v)) return v as DawnAdapterKind;
  throw new Error(`STROTSS_WEBGPU_ADAPTER is '${value}'; use one of ${KINDS.join(', ')}.`);
}

/**
 * WebGPU in Node through Dawn (the optional `webgpu` package): tries the adapters `kind` allows, in
 * order, and rejects with every attempt's reason when none works.
 */
export function dawnAdapterSource(options: DawnAdapterOptions = {}): AdapterSource {
  const env = options.env ?? process.env;
  const importModule = options.importModule ?? ((s: string) => import(/* @vite-ignore */ s));
  return {
    name: 'Dawn (webgpu package)',
    find: async () => {
      const kind = options.kind ?? parseDawnAdapterKind(env.STROTSS_WEBGPU_ADAPTER);
      const extra = options.dawnFlags ?? (env.STROTSS_WEBGPU_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
      let dawn: DawnModule;
      try {
        dawn = (await importModule('webgpu')) as DawnModule;
      } catch (e) {
        throw new Error(importFailureReason('webgpu', e));
      }
      if (typeof dawn.create !== 'function') throw new Error("the 'webgpu' package loaded but has no create(); install webgpu ^0.6");
      // node:fs through the importer: this file stays free of static Node imports for browser bundlers.
      const { existsSync } = (await importModule('node:fs')) as { existsSync(path: string): boolean };
      const icd = options.swiftshaderIcd ?? env.STROTSS_SWIFTSHADER_ICD ?? SWIFTSHADER_ICDS.find((p) => existsSync(p));
      const reasons: string[] = [];
      let candidates = attempts(kind, extra, icd, reasons);
      if (options.probeInChild ?? true) {
        const { results, stderr } = await probeInChildProcess(importModule, candidates);
        if (stderr.trim()) options.onDiagnostics?.(stderr.trim());
        candidates = candidates.filter((attempt) => {
          const result = results.find((r) => r.name === attempt.name);
          const rejected = !result ? 'not probed' : result.error ?? attempt.accept?.({ info: result.info } as GpuAdapter);
          if (rejected) reasons.push(`${attempt.name}: ${rejected}`);
          return !rejected;
        });
      }
      for (const attempt of candidates) {
        try {
          const choice = await tryAttempt(dawn, attempt);
          if (typeof choice === 'string') reasons.push(`${attempt.name}: ${choice}`);
          else return choice;
        } catch (e) {
          reasons.push(`${attempt.name}: ${(e as Error).message.split('\n')[0]}`);
        }
      }
      const hint = kind === 'auto' ? '; STROTSS_WEBGPU_ADAPTER=any (or opengles, swiftshader) uses a software adapter (slower than wasm)' : '';
      throw new Error(`no WebGPU adapter through Dawn (STROTSS_WEBGPU_ADAPTER=${kind}): ${reasons.join('; ')}${hint}`);
    },
  };
}

/** The attempts of `kind`, in order. */
function attempts(kind: DawnAdapterKind, extra: string[], icd: string | undefined, reasons: string[]): Attempt[] {
  const gpu = (acceptSoftware: boolean): Attempt => ({
    name: acceptSoftware ? "Dawn's default adapter" : 'hardware GPU',
    flags: extra,
    request: { powerPreference: 'high-performance' },
    accept: acceptSoftware ? undefined : (a) => (softwareAdapterName(a) ? `only a software adapter (${softwareAdapterName(a)})` : undefined),
  });
  // Compatibility mode: Mesa's GLES lacks what core WebGPU requires, and tfjs needs none of it.
  const gles: Attempt = {
    name: 'OpenGL ES (compatibility)',
    flags: ['backend=opengles', ...extra],
    request: { featureLevel: 'compatibility', powerPreference: 'high-performance' },
    // EGL reads it when the display opens, which may happen again later: keep it.
    env: { EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' },
    keepEnv: true,
  };
  const swiftshader: Attempt[] = icd
    ? [{ name: 'SwiftShader (Vulkan)', flags: ['backend=vulkan', ...extra], request: {}, env: { VK_ICD_FILENAMES: icd } }]
    : [];
  if (!icd && (kind === 'swiftshader' || kind === 'any')) {
    reasons.push(`SwiftShader: no vk_swiftshader_icd.json (looked in ${SWIFTSHADER_ICDS.join(', ')}; set STROTSS_SWIFTSHADER_ICD)`);
  }
  switch (kind) {
    case 'gpu':
      return [gpu(true)];
    case 'opengles':
      return [gles];
    case 'swiftshader':
      return swiftshader;
    case 'auto':
      return [gpu(false)];
    case 'any':
      return [gpu(false), gles, gpu(true), ...swiftshader];
  }
}

/** Creates a Dawn instance for `attempt` and asks it for an adapter; a string says why not. */
async function tryAttempt(dawn: DawnModule, attempt: Attempt): Promise<AdapterChoice | string> {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(attempt.env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  try {
    const gpu = dawn.create(attempt.flags);
    const adapter = await gpu.requestAdapter(attempt.request);
    if (!adapter) return 'requestAdapter() returned no adapter';
    const rejected = attempt.accept?.(adapter);
    if (rejected) return rejected;
    return {
      adapter,
      label: `Dawn ${attempt.name}: ${describeAdapter(adapter)}`,
      installGlobals: () => installDawnGlobals(dawn, gpu),
    };
  } finally {
    if (!attempt.keepEnv) {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }
}

/**
 * Installs dawn.node's WebGPU classes and constants (GPUBufferUsage, GPUBuffer, …) where missing, and
 * `navigator.gpu`: tfjs-backend-webgpu reads them as globals, as in a browser.
 */
function installDawnGlobals(dawn: DawnModule, gpu: Gpu): void {
  const g = globalThis as Record<string, unknown> & { navigator?: { gpu?: unknown } };
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in g)) g[name] = value;
  if (g.navigator == null) g.navigator = { gpu };
  else if (g.navigator.gpu == null) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true, enumerable: true });
}
