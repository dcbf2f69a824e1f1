/** Imports a module by name; injectable so the optional-dependency paths can be tested where they are absent. */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

// Shared with @strotss/backend-node: one rule for 'not installed' vs 'failed to load'.
export { importFailureReason } from '@strotss/core';
