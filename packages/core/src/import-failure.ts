/** Why a dynamic import failed, in one line: not installed vs. installed but unloadable (e.g. libtensorflow, a native binary). */
export function importFailureReason(specifier: string, error: unknown): string {
  const e = error as { code?: string; message?: string } | undefined;
  const first = String(e?.message ?? error).split('\n')[0];
  // Node sets a code; Vite's module runner (vitest) throws a plain `Could not resolve "x" imported by "y".`
  const notFound =
    e?.code === 'ERR_MODULE_NOT_FOUND' ||
    e?.code === 'MODULE_NOT_FOUND' ||
    (e?.code == null && /^(Could not resolve|Cannot find (module|package)|Failed to load url) /.test(first));
  // Not installed only when the missing module is the package itself, not one of its files or
  // dependencies (e.g. tfjs-node's native tfjs_binding.node, or a missing peer).
  const missing = /["']([^"']+)["']/.exec(first)?.[1];
  if (notFound && (missing === undefined || missing === specifier)) return `${specifier} is not installed (npm install ${specifier})`;
  return `${specifier} is installed but failed to load: ${first}`;
}
