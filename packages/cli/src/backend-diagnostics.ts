import { listBackends } from '@strotss/core';
import type { CliIO } from './main.js';

/**
 * Prints what third-party code printed while each registered backend was probed or started (captured by
 * the backend, e.g. Dawn's Vulkan warnings), every line as `strotss: [<id> diagnostics] <line>` on stderr.
 * Backends with nothing captured print nothing. For --verbose only.
 */
export function printBackendDiagnostics(io: CliIO): void {
  for (const backend of listBackends()) {
    let text: string | undefined;
    try {
      text = backend.diagnostics?.();
    } catch (e) {
      text = `(diagnostics unavailable: ${(e as Error).message})`;
    }
    if (!text?.trim()) continue;
    for (const line of text.replace(/\s+$/, '').split(/\r?\n/)) io.stderr(`strotss: [${backend.id} diagnostics] ${line}\n`);
  }
}
