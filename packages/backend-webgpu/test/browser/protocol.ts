// What the parity page and the Node-side test exchange through playwright (plain data only).
import type { CheckResult } from '@strotss/core/testing';

/** The page's answer once fixtures, weights and the backend are loaded. */
export interface PageReady {
  /** TF.js' active backend in the page. */
  backend: string;
  /** Why the requested backend cannot run in this browser (then `cases` is empty). */
  unavailable?: string;
  /** The WebGPU adapter (vendor / architecture), webgpu only. */
  adapter?: string;
  /** Whether the VGG weights were served (stage 3 and 7 cases need them). */
  weights: boolean;
  /** Every case of referenceParityCases, in suite order. */
  cases: Array<{ id: string; stage: string }>;
}

/** One case run in the page. */
export interface CaseOutcome {
  backend: string;
  results: CheckResult[];
  /** tf.memory().numTensors after minus before the case. */
  leakedTensors: number;
  /** Wall time of the case in the page, seconds (reported, never asserted). */
  seconds: number;
}

/** `window.__strotssParity`. */
export interface ParityPageApi {
  ready: Promise<PageReady>;
  run(id: string): Promise<CaseOutcome>;
}
