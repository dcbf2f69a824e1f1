// @vitest-environment node
// Server rendering: the package imports without a window and renders the idle state.
import { describe, expect, it } from 'vitest';
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';

describe('@strotss/react on a server', () => {
  it('imports with no window and renders idle', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const { useStyleTransfer } = await import('@strotss/react');
    function App() {
      const { status, progress } = useStyleTransfer({ weights: { download: {} } });
      return createElement('p', null, `${status} ${progress}`);
    }
    expect(renderToString(createElement(App))).toBe('<p>idle 0</p>');
  });
});
