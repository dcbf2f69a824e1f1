// Launches Debian's Chromium headless through playwright-core with a fresh profile and no
// outside traffic (no component updates, sync or background networking).
import { chromium, type BrowserContext } from 'playwright-core';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's `chromium` package installs the browser; STROTSS_CHROMIUM overrides it. */
export const chromiumPath = process.env.STROTSS_CHROMIUM ?? '/usr/bin/chromium';

const QUIET_ARGS = [
  '--no-sandbox', // containers and CI runners have no user namespaces for Chromium's sandbox
  '--disable-gpu-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** How the page gets a WebGPU adapter: Chromium's flags and the page's `?adapter=` (its feature level). */
export interface WebGpuSetup {
  args: string[];
  adapter: 'core' | 'compatibility';
}

/** WebGPU in headless Chromium without a GPU, by name (STROTSS_BROWSER_WEBGPU picks one). */
export const WEBGPU_SETUPS: Record<string, WebGpuSetup> = {
  // Dawn's Vulkan backend on SwiftShader (CPU): full WebGPU ("core").
  swiftshader: { args: ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'], adapter: 'core' },
  // Dawn's OpenGL ES backend through ANGLE on EGL (Mesa llvmpipe here): compatibility mode only.
  gles: {
    args: ['--enable-unsafe-webgpu', '--use-gl=angle', '--use-angle=gl-egl', '--use-webgpu-adapter=opengles', '--enable-features=WebGPUCompatibilityMode'],
    adapter: 'compatibility',
  },
};

/** A running browser and how to dispose of it (closes it and deletes its profile). */
export interface LaunchedChromium {
  context: BrowserContext;
  /** CPU seconds (user + system) used so far by this browser's processes (GPU process included); undefined off Linux. */
  cpuSeconds(): Promise<number | undefined>;
  close(): Promise<void>;
}

/**
 * CPU seconds of the processes whose command line names `profile` and of all their descendants
 * (renderers, GPU process, zygotes), including reaped children (Linux /proc), in seconds.
 */
async function profileCpuSeconds(profile: string): Promise<number | undefined> {
  if (process.platform !== 'linux') return undefined;
  const ticksPerSecond = 100; // USER_HZ, 100 on every Linux architecture Chromium ships for
  const procs = new Map<number, { ppid: number; ticks: number; named: boolean }>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      // Fields after the parenthesised command name: ppid is field 4, utime/stime/cutime/cstime 14–17.
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
      procs.set(Number(entry), { ppid: f[1], ticks: f[11] + f[12] + f[13] + f[14], named: cmdline.includes(profile) });
    } catch {
      // The process ended between readdir and read: its time went to its parent's cutime.
    }
  }
  const counts = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = procs.get(p)?.ppid ?? 0, hops++) if (procs.get(p)?.named) return true;
    return false;
  };
  let ticks = 0;
  for (const [pid, info] of procs) if (counts(pid)) ticks += info.ticks;
  return ticks / ticksPerSecond;
}

/** Returns why Chromium cannot be launched here, or undefined when the executable exists. */
export function chromiumUnavailableReason(): string | undefined {
  return existsSync(chromiumPath)
    ? undefined
    : `no Chromium at ${chromiumPath} (Debian: apt-get install chromium; or set STROTSS_CHROMIUM to a Chromium binary)`;
}

/** Starts Chromium headless with a fresh temporary profile and `extraArgs`. */
export async function launchChromium(extraArgs: string[]): Promise<LaunchedChromium> {
  const profile = await mkdtemp(join(tmpdir(), 'strotss-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: [...QUIET_ARGS, ...extraArgs],
    });
    return {
      context,
      cpuSeconds: () => profileCpuSeconds(profile),
      close: async () => {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    throw e;
  }
}
