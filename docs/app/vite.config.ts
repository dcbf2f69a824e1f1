// The demo app's build: a static site in dist/ (relative URLs, so it can be served from any folder).
import { defineConfig } from 'vite';

export default defineConfig({
  base: './',
  // React's automatic JSX runtime, without a plugin (no Fast Refresh needed for a demo).
  oxc: { jsx: { runtime: 'automatic' } },
  // The hook's worker imports code-split modules (TF.js backends): module workers keep ES format.
  worker: { format: 'es' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
  server: { fs: { allow: ['../..'] } },
});
