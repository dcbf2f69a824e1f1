import { expect, it } from 'vitest';
import { describeBackends, resolveBackend } from '@strotss/core';
import { registerOptionalBackends } from '../src/optional-backends.js';

it('lists webgpu as unavailable, with the reason, when @strotss/backend-webgpu cannot be imported', async () => {
  const absent = Object.assign(new Error("Cannot find package '@strotss/backend-webgpu' imported from /x/main.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  await registerOptionalBackends(async () => Promise.reject(absent));
  const webgpu = (await describeBackends()).find((b) => b.id === 'webgpu');
  expect(webgpu).toMatchObject({
    priority: 25,
    available: false,
    reason: '@strotss/backend-webgpu is not installed (npm install @strotss/backend-webgpu)',
  });
  await expect(resolveBackend('webgpu')).rejects.toThrow('webgpu: @strotss/backend-webgpu is not installed');
});
