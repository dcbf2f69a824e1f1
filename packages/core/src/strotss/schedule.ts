/** One scale of the coarse-to-fine schedule (spec §4). */
export interface ScalePlan {
  /** 1-based. */
  index: number;
  longSide: number;
  /** Content weight α_s = 16·w / 2^(s−1). */
  alpha: number;
  learningRate: number;
  iterations: number;
  isFirst: boolean;
  isLast: boolean;
}

/** Inputs of the schedule. */
export interface ScheduleOptions {
  /** Long side of the output (the last scale). */
  size: number;
  /** User content weight w (α starts at 16·w). */
  contentWeight: number;
  iterations: number;
  /** Number of scales; default: long sides 64·2^k up to `size` (size 512 → 64, 128, 256, 512). */
  scales?: number;
}

/** Default number of scales for an output long side: ⌊log2(size/64)⌋ + 1, at least 1. */
export function defaultScaleCount(size: number): number {
  return Math.max(1, Math.floor(Math.log2(size / 64)) + 1);
}

/** The scale plan: long sides halving down from `size`, α halving per scale, lr 2e-3 then 1e-3 at the last (spec §4). */
export function scaleSchedule(options: ScheduleOptions): ScalePlan[] {
  const count = options.scales ?? defaultScaleCount(options.size);
  const plans: ScalePlan[] = [];
  for (let s = 1; s <= count; s++) {
    plans.push({
      index: s,
      longSide: Math.round(options.size / 2 ** (count - s)),
      alpha: (16 * options.contentWeight) / 2 ** (s - 1),
      learningRate: s === count ? 1e-3 : 2e-3,
      iterations: options.iterations,
      isFirst: s === 1,
      isLast: s === count,
    });
  }
  return plans;
}
