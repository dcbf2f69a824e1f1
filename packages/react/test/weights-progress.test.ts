// @vitest-environment happy-dom
// The hook exposes weights download progress: a job whose weights come from vggWeightsLoader (downloading
// from a 127.0.0.1 server) shows `weights` rising to the full size before it runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { act, createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { vggWeightsLoader, type RgbaImage, type WeightsProgressEvent } from '@strotss/core';
import '@strotss/backend-node'; // registers the cpu backend the job resolves
import { useStyleTransfer, type UseStyleTransfer } from '../src/index.js';
import { startWeightsServer, type WeightsServer } from '../../../test-support/weights-http-server.js';
import { vgg16TestFile } from '../../../test-support/vgg16-test-file.js';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const CONV_BYTES = 58_858_752;

function grey(width: number, height: number): RgbaImage {
  return { width, height, data: new Uint8ClampedArray(width * height * 4).fill(128) };
}

let server: WeightsServer;
beforeAll(async () => {
  await import('@tensorflow/tfjs-backend-cpu');
  server = await startWeightsServer(vgg16TestFile(3));
});
afterAll(async () => {
  await server.close();
});

describe('useStyleTransfer with a downloading weights loader', () => {
  it('exposes {loaded, total} of the download in `weights`', async () => {
    const events: WeightsProgressEvent[] = [];
    const seen: Array<{ loaded: number; total: number }> = [];
    const weights = vggWeightsLoader({ url: server.url, onProgress: (e) => events.push(e) });
    let current: UseStyleTransfer | undefined;
    function Probe() {
      current = useStyleTransfer({ weights, model: 'vgg16', size: 32, iterations: 1, backend: 'cpu', seed: 1 });
      if (current.weights) seen.push(current.weights);
      return null;
    }
    const root = createRoot(document.createElement('div'));
    act(() => root.render(createElement(Probe)));
    let finished: Promise<unknown> | undefined;
    act(() => {
      finished = current!.start(grey(32, 32), grey(32, 32));
    });
    for (let i = 0; i < 1500 && current!.weights?.loaded !== CONV_BYTES; i++) await act(() => new Promise((r) => setTimeout(r, 20)));
    // The download is done: stop the job before it optimises anything (cancellation is a status).
    act(() => current!.cancel());
    await act(async () => {
      await finished;
    });
    expect(current!.error).toBeUndefined();
    expect(current!.weights).toEqual({ loaded: CONV_BYTES, total: CONV_BYTES });
    expect(seen[0].loaded).toBeLessThan(CONV_BYTES);
    expect(events.at(-1)).toEqual({ type: 'weights', loaded: CONV_BYTES, total: CONV_BYTES });
    // happy-dom sends a CORS preflight (OPTIONS) before each ranged GET; the GETs are the header and the convs.
    expect(server.log.filter((r) => r.method === 'GET').map((r) => r.status)).toEqual([206, 206]);
    act(() => root.unmount());
  });
});
