import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { tf } from '../src/tfjs.js';
import {
  describeBackends,
  listBackends,
  registerBackend,
  resolveBackend,
  type StrotssBackend,
} from '../src/backend.js';
import { BackendUnavailableError } from '../src/errors.js';

// The registry is module-global (and shared by every test in this file): each test uses its own ids.
let counter = 0;
const uid = (name: string) => `test-${name}-${++counter}`;

/** Registers TF.js' plain cpu backend, with all its kernels, under another name. */
function registerTfCpuAs(name: string): void {
  if (tf.findBackendFactory(name)) return;
  tf.registerBackend(name, () => new MathBackendCPU(), -1);
  for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: name });
}

interface TestBackend extends StrotssBackend {
  initCalls: number;
  supportCalls: number;
}

/**
 * A real StrotssBackend that wraps the TF.js cpu backend under its own id. `supported` false makes
 * isSupported() say no (with `reason`); `failInit` makes the first `failInit` init() calls throw.
 */
function cpuBackend(
  id: string,
  priority: number,
  behaviour: { supported?: boolean | 'throws'; reason?: string; failInit?: number; initError?: string } = {},
): TestBackend {
  const b: TestBackend = {
    id,
    priority,
    precision: 'fp32',
    description: `TF.js cpu as ${id}`,
    initCalls: 0,
    supportCalls: 0,
    async isSupported() {
      b.supportCalls++;
      if (behaviour.supported === 'throws') throw new Error(`probe of ${id} exploded`);
      return behaviour.supported ?? true;
    },
    async init() {
      b.initCalls++;
      if (behaviour.failInit && b.initCalls <= behaviour.failInit) {
        throw new Error(behaviour.initError ?? `init of ${id} failed`);
      }
      registerTfCpuAs(id);
      if (!(await tf.setBackend(id))) throw new Error(`tf.setBackend('${id}') failed`);
    },
  };
  if (behaviour.reason !== undefined) b.unsupportedReason = async () => behaviour.reason;
  return b;
}

/** Runs a tiny computation on the active TF.js backend. */
async function addOnActiveBackend(): Promise<number[]> {
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.tensor1d([10, 20, 30]);
  const c = tf.add(a, b);
  const out = Array.from(await c.data());
  tf.dispose([a, b, c]);
  return out;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('resolveBackend / describeBackends', () => {
  // First, while only failing backends are registered: 'auto' with nothing usable.
  it("'auto' with every backend failing → BackendUnavailableError listing each reason", async () => {
    const unsupported = cpuBackend(uid('nogpu'), -10, { supported: false, reason: 'no GPU adapter here' });
    const broken = cpuBackend(uid('broken'), -5, { failInit: Infinity, initError: 'libfoo.so: cannot open shared object file' });
    registerBackend(unsupported);
    registerBackend(broken);
    const error = await rejection(resolveBackend('auto'));
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const failures = (error as BackendUnavailableError).failures;
    // Tried by priority: broken (-5) before unsupported (-10).
    expect(failures).toEqual([
      { id: broken.id, reason: 'libfoo.so: cannot open shared object file' },
      { id: unsupported.id, reason: 'no GPU adapter here' },
    ]);
    expect(error.message).toContain(`${broken.id}: libfoo.so: cannot open shared object file`);
    expect(error.message).toContain(`${unsupported.id}: no GPU adapter here`);
    expect(error.message).toContain("'auto'");
    expect((error as BackendUnavailableError).code).toBe('BACKEND_UNAVAILABLE');
    expect(unsupported.initCalls).toBe(0);
  });

  it("'auto' picks the highest priority backend that works, and selects it in TF.js", async () => {
    const low = cpuBackend(uid('low'), 1);
    const high = cpuBackend(uid('high'), 2);
    registerBackend(low);
    registerBackend(high);
    const { backend, skipped } = await resolveBackend('auto');
    expect(backend.id).toBe(high.id);
    expect(skipped).toEqual([]);
    expect(tf.getBackend()).toBe(high.id);
    expect(await addOnActiveBackend()).toEqual([11, 22, 33]);
    expect(low.initCalls).toBe(0);
    expect(listBackends().map((b) => b.priority)).toEqual([...listBackends().map((b) => b.priority)].sort((a, b) => b - a));
  });

  it("'auto' skips an unsupported backend with its reason and a throwing init with its message", async () => {
    const unsupported = cpuBackend(uid('unsupported'), 1000, { supported: false, reason: 'needs a GPU' });
    const silent = cpuBackend(uid('silent'), 900, { supported: false }); // no unsupportedReason()
    const throwing = cpuBackend(uid('throwing'), 800, { failInit: Infinity, initError: 'kaboom in init' });
    const probeThrows = cpuBackend(uid('probe'), 700, { supported: 'throws' });
    const ok = cpuBackend(uid('ok'), 600);
    for (const b of [ok, probeThrows, throwing, silent, unsupported]) registerBackend(b);
    const { backend, skipped } = await resolveBackend('auto');
    expect(backend.id).toBe(ok.id);
    expect(tf.getBackend()).toBe(ok.id);
    expect(skipped).toEqual([
      { id: unsupported.id, reason: 'needs a GPU' },
      { id: silent.id, reason: 'not supported here' },
      { id: throwing.id, reason: 'kaboom in init' },
      { id: probeThrows.id, reason: `probe of ${probeThrows.id} exploded` },
    ]);
    expect(unsupported.initCalls).toBe(0);
    expect(throwing.initCalls).toBe(1);
    expect(await addOnActiveBackend()).toEqual([11, 22, 33]);
  });

  it('an unknown id is reported, with the registered ids, and the next preference is used', async () => {
    const ok = cpuBackend(uid('fallback'), -100);
    registerBackend(ok);
    const { backend, skipped } = await resolveBackend(['no-such-backend', ok.id]);
    expect(backend.id).toBe(ok.id);
    expect(skipped).toHaveLength(1);
    expect(skipped[0].id).toBe('no-such-backend');
    expect(skipped[0].reason).toContain("no backend named 'no-such-backend' is registered");
    expect(skipped[0].reason).toContain(ok.id);
  });

  it('an explicit list with every entry failing → BackendUnavailableError listing each', async () => {
    const unsupported = cpuBackend(uid('u'), 5, { supported: false, reason: 'WebGPU is not available' });
    const broken = cpuBackend(uid('b'), 6, { failInit: Infinity, initError: 'wasm file missing' });
    registerBackend(unsupported);
    registerBackend(broken);
    const before = tf.getBackend();
    const error = await rejection(resolveBackend([unsupported.id, broken.id, 'ghost']));
    expect(error).toBeInstanceOf(BackendUnavailableError);
    const failures = (error as BackendUnavailableError).failures;
    expect(failures.map((f) => f.id)).toEqual([unsupported.id, broken.id, 'ghost']);
    expect(failures[0].reason).toBe('WebGPU is not available');
    expect(failures[1].reason).toBe('wasm file missing');
    expect(failures[2].reason).toMatch(/no backend named 'ghost'/);
    for (const line of [`${unsupported.id}: WebGPU is not available`, `${broken.id}: wasm file missing`, "ghost: no backend named 'ghost'"]) {
      expect(error.message).toContain(line);
    }
    // A failed resolution leaves the active backend alone.
    expect(tf.getBackend()).toBe(before);
  });

  it('a single unknown id → BackendUnavailableError', async () => {
    const error = await rejection(resolveBackend('definitely-not-registered'));
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as BackendUnavailableError).failures).toHaveLength(1);
    expect(error.message).toContain("no backend named 'definitely-not-registered'");
  });

  it('initialises a backend once, and switches TF.js back to it on a later resolution', async () => {
    const a = cpuBackend(uid('a'), -200);
    const b = cpuBackend(uid('b'), -201);
    registerBackend(a);
    registerBackend(b);
    await resolveBackend(a.id);
    expect(tf.getBackend()).toBe(a.id);
    await resolveBackend(b.id);
    expect(tf.getBackend()).toBe(b.id);
    await resolveBackend(a.id);
    expect(tf.getBackend()).toBe(a.id);
    expect(a.initCalls).toBe(1);
    expect(b.initCalls).toBe(1);
  });

  it('a failed init is retried on the next resolution', async () => {
    const flaky = cpuBackend(uid('flaky'), -300, { failInit: 1, initError: 'first try fails' });
    registerBackend(flaky);
    const error = await rejection(resolveBackend(flaky.id));
    expect((error as BackendUnavailableError).failures).toEqual([{ id: flaky.id, reason: 'first try fails' }]);
    const { backend } = await resolveBackend(flaky.id);
    expect(backend).toBe(flaky);
    expect(flaky.initCalls).toBe(2);
    expect(tf.getBackend()).toBe(flaky.id);
  });

  it('a backend listed twice is tried once', async () => {
    const broken = cpuBackend(uid('twice'), -400, { failInit: Infinity, initError: 'nope' });
    registerBackend(broken);
    const error = await rejection(resolveBackend([broken.id, broken.id]));
    expect((error as BackendUnavailableError).failures).toEqual([{ id: broken.id, reason: 'nope' }]);
    expect(broken.initCalls).toBe(1);
  });

  it('describeBackends reports availability and reasons by priority, without initialising', async () => {
    const yes = cpuBackend(uid('d-yes'), 50_000);
    const no = cpuBackend(uid('d-no'), 50_001, { supported: false, reason: 'wrong platform' });
    const quiet = cpuBackend(uid('d-quiet'), 50_002, { supported: false });
    const boom = cpuBackend(uid('d-boom'), 50_003, { supported: 'throws' });
    for (const b of [yes, no, quiet, boom]) registerBackend(b);
    const mine = new Set([yes.id, no.id, quiet.id, boom.id]);
    const report = (await describeBackends()).filter((r) => mine.has(r.id));
    expect(report).toEqual([
      { id: boom.id, priority: 50_003, available: false, reason: `probe of ${boom.id} exploded`, description: boom.description },
      { id: quiet.id, priority: 50_002, available: false, reason: 'not supported in this environment', description: quiet.description },
      { id: no.id, priority: 50_001, available: false, reason: 'wrong platform', description: no.description },
      { id: yes.id, priority: 50_000, available: true, reason: undefined, description: yes.description },
    ]);
    for (const b of [yes, no, quiet, boom]) expect(b.initCalls).toBe(0);
    // The whole report is in priority order.
    const all = await describeBackends();
    expect(all.map((r) => r.priority)).toEqual([...all.map((r) => r.priority)].sort((a, b) => b - a));
  });

  it('registerBackend replaces a backend registered under the same id', async () => {
    const id = uid('replace');
    const first = cpuBackend(id, -500, { supported: false, reason: 'old one' });
    const second = cpuBackend(id, -500);
    registerBackend(first);
    registerBackend(second);
    expect(listBackends().filter((b) => b.id === id)).toEqual([second]);
    const { backend } = await resolveBackend(id);
    expect(backend).toBe(second);
    expect(first.supportCalls).toBe(0);
  });
});
