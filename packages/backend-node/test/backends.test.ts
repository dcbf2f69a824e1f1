import { describe, expect, it } from 'vitest';
import { resolveBackend, tf } from '@strotss/core';
// Importing the package registers tensorflow → wasm → cpu with the core.
import {
  createCpuBackend,
  createTensorflowBackend,
  createNativeBackend,
  createWasmBackend,
  importFailureReason,
  type ModuleImporter,
} from '@strotss/backend-node';

const GPU = '@tensorflow/tfjs-node-gpu';
const NODE = '@tensorflow/tfjs-node';

/** An error shaped like Node's failed ESM resolution. */
function notFound(specifier: string, code = 'ERR_MODULE_NOT_FOUND'): Error {
  return Object.assign(new Error(`Cannot find package '${specifier}' imported from /somewhere/backends.js`), { code });
}

describe('importFailureReason', () => {
  it('ERR_MODULE_NOT_FOUND / MODULE_NOT_FOUND → not installed, with the install command', () => {
    expect(importFailureReason(NODE, notFound(NODE))).toBe(`${NODE} is not installed (npm install ${NODE})`);
    expect(importFailureReason(GPU, notFound(GPU, 'MODULE_NOT_FOUND'))).toBe(`${GPU} is not installed (npm install ${GPU})`);
  });

  it("Vite / vitest's module runner (no code): `Could not resolve \"x\"` → not installed", () => {
    const error = new Error(`Could not resolve "${NODE}" imported by "@strotss/backend-node".`);
    expect(importFailureReason(NODE, error)).toBe(`${NODE} is not installed (npm install ${NODE})`);
  });

  it('a missing file or dependency of an installed package is not "not installed"', () => {
    // tfjs-node whose native binding was never downloaded (CommonJS require inside the package).
    const binding = Object.assign(
      new Error(`Cannot find module '/app/node_modules/${NODE}/lib/napi-v8/tfjs_binding.node'\nRequire stack:\n- /app/node_modules/${NODE}/dist/index.js`),
      { code: 'MODULE_NOT_FOUND' },
    );
    expect(importFailureReason(NODE, binding)).toBe(
      `${NODE} is installed but failed to load: Cannot find module '/app/node_modules/${NODE}/lib/napi-v8/tfjs_binding.node'`,
    );
    // A missing peer of the package.
    const peer = Object.assign(new Error(`Cannot find package '@tensorflow/tfjs-core' imported from /app/node_modules/${NODE}/dist/index.js`), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    expect(importFailureReason(NODE, peer)).toMatch(/is installed but failed to load: Cannot find package '@tensorflow\/tfjs-core'/);
  });

  it('any other error → installed but failed to load, first line of the message only', () => {
    const error = new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory\n    at Module._extensions..node\n    at more');
    expect(importFailureReason(GPU, error)).toBe(
      `${GPU} is installed but failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory`,
    );
    const coded = Object.assign(new Error('The specified procedure could not be found.'), { code: 'ERR_DLOPEN_FAILED' });
    expect(importFailureReason(NODE, coded)).toBe(`${NODE} is installed but failed to load: The specified procedure could not be found.`);
  });

  it('non-Error values are stringified', () => {
    expect(importFailureReason(NODE, 'weird failure')).toBe(`${NODE} is installed but failed to load: weird failure`);
    expect(importFailureReason(NODE, undefined)).toBe(`${NODE} is installed but failed to load: undefined`);
    expect(importFailureReason(NODE, null)).toBe(`${NODE} is installed but failed to load: null`);
  });
});

describe('createTensorflowBackend', () => {
  it('here (no tfjs-node installed): unsupported, and the reason names both packages as not installed', async () => {
    const backend = createTensorflowBackend();
    expect(backend.id).toBe('tensorflow');
    expect(await backend.isSupported()).toBe(false);
    const reason = await backend.unsupportedReason?.();
    expect(reason).toBeDefined();
    expect(reason).toContain(`${GPU} is not installed`);
    expect(reason).toContain(`${NODE} is not installed`);
    expect(reason).not.toContain('failed to load');
    await expect(backend.init()).rejects.toThrow(/not installed/);
  });

  it('with tfjs-node-gpu present but libtensorflow missing: "installed but failed to load: libtensorflow…"', async () => {
    const calls: string[] = [];
    const importer: ModuleImporter = async (specifier) => {
      calls.push(specifier);
      if (specifier === GPU) throw new Error('libtensorflow.so.2: cannot open shared object file: No such file or directory');
      throw notFound(specifier);
    };
    const backend = createTensorflowBackend(importer);
    expect(await backend.isSupported()).toBe(false);
    const reason = await backend.unsupportedReason!();
    expect(reason).toBe(
      `${GPU} is installed but failed to load: libtensorflow.so.2: cannot open shared object file: No such file or directory; ` +
        `${NODE} is not installed (npm install ${NODE})`,
    );
    await expect(backend.init()).rejects.toThrow(`${GPU} is installed but failed to load: libtensorflow.so.2`);
    // The probe runs once, GPU package first.
    expect(calls).toEqual([GPU, NODE]);
  });

  it('falls back to tfjs-node when tfjs-node-gpu is absent; init checks that a tensorflow backend was registered', async () => {
    const calls: string[] = [];
    const importer: ModuleImporter = async (specifier) => {
      calls.push(specifier);
      if (specifier === GPU) throw notFound(specifier);
      return {}; // "loads" but registers nothing
    };
    const backend = createTensorflowBackend(importer);
    expect(await backend.isSupported()).toBe(true);
    expect(await backend.unsupportedReason!()).toBeUndefined();
    await expect(backend.init()).rejects.toThrow(`${NODE} loaded but registered no 'tensorflow' backend`);
    expect(calls).toEqual([GPU, NODE]);
  });

  it('stops at tfjs-node-gpu when it loads', async () => {
    const calls: string[] = [];
    const backend = createTensorflowBackend(async (specifier) => {
      calls.push(specifier);
      return {};
    });
    expect(await backend.isSupported()).toBe(true);
    expect(calls).toEqual([GPU]);
  });

  it("resolveBackend('auto') here skips tensorflow with that reason and lands on native (onnxruntime-node is installed)", async () => {
    const { backend, skipped } = await resolveBackend('auto');
    expect(backend.id).toBe('native');
    expect(skipped.map((s) => s.id)).toEqual(['tensorflow']);
    expect(skipped[0].reason).toContain(`${GPU} is not installed`);
    expect(skipped[0].reason).toContain(`${NODE} is not installed`);
    expect(tf.getBackend()).toBe('native');
  });
});

describe('wasm and cpu backends', () => {
  it('priorities: tensorflow > native > wasm > cpu', () => {
    expect(createTensorflowBackend().priority).toBeGreaterThan(createNativeBackend(async () => undefined).priority);
    expect(createNativeBackend(async () => undefined).priority).toBeGreaterThan(createWasmBackend().priority);
    expect(createWasmBackend().priority).toBeGreaterThan(createCpuBackend().priority);
  });

  it("resolveBackend('wasm') initialises TF.js wasm and computes", async () => {
    const { backend, skipped } = await resolveBackend('wasm');
    expect(backend.id).toBe('wasm');
    expect(skipped).toEqual([]);
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.tidy(() => tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])));
    expect(Array.from(await y.data())).toEqual([19, 22, 43, 50]);
    y.dispose();
  });

  it("resolveBackend('cpu') initialises TF.js cpu and computes", async () => {
    const { backend } = await resolveBackend('cpu');
    expect(backend.id).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    const y = tf.tidy(() => tf.add(tf.tensor1d([1, 2]), tf.tensor1d([3, 4])));
    expect(Array.from(await y.data())).toEqual([4, 6]);
    y.dispose();
  });

  it("resolveBackend(['tensorflow', 'cpu']) reports tensorflow and uses cpu", async () => {
    const { backend, skipped } = await resolveBackend(['tensorflow', 'cpu']);
    expect(backend.id).toBe('cpu');
    expect(skipped.map((s) => s.id)).toEqual(['tensorflow']);
  });

  it('a wasm backend whose module cannot be imported fails init with that error', async () => {
    const wasm = createWasmBackend(async () => {
      throw notFound('@tensorflow/tfjs-backend-wasm');
    });
    expect(await wasm.isSupported()).toBe(true);
    await expect(wasm.init()).rejects.toThrow(/Cannot find package '@tensorflow\/tfjs-backend-wasm'/);
  });
});
