/** How one computed array is compared to the reference (the fixtures' tolerance kinds). */
export type ErrorKind = 'max_abs' | 'max_abs_over_max_ref' | 'rel' | 'rel_l2' | 'mean_abs' | 'exact';

/** One comparison: the error measured, the tolerance, and whether it passed. */
export interface CheckResult {
  name: string;
  kind: ErrorKind | 'nan_positions' | 'group_sum' | 'exact_zero';
  error: number;
  tolerance: number;
  pass: boolean;
  note?: string;
}

type Numeric = ArrayLike<number>;

/** The error of `got` vs `want` under `kind` (NaN positions must agree; they are excluded from the numbers). */
export function measureError(got: Numeric, want: Numeric, kind: ErrorKind): number {
  if (got.length !== want.length) return Number.POSITIVE_INFINITY;
  let maxAbs = 0;
  let maxRef = 0;
  let sumAbs = 0;
  let sumSqDiff = 0;
  let sumSqRef = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      if (Number.isNaN(w) !== Number.isNaN(g)) return Number.POSITIVE_INFINITY;
      continue;
    }
    const d = Math.abs(g - w);
    if (kind === 'exact' && d !== 0) return d;
    maxAbs = Math.max(maxAbs, d);
    maxRef = Math.max(maxRef, Math.abs(w));
    sumAbs += d;
    sumSqDiff += d * d;
    sumSqRef += w * w;
  }
  switch (kind) {
    case 'exact':
    case 'max_abs':
      return maxAbs;
    case 'max_abs_over_max_ref':
      return maxRef === 0 ? maxAbs : maxAbs / maxRef;
    case 'rel':
      return maxRef === 0 ? maxAbs : maxAbs / maxRef;
    case 'rel_l2':
      return sumSqRef === 0 ? Math.sqrt(sumSqDiff) : Math.sqrt(sumSqDiff / sumSqRef);
    case 'mean_abs':
      return sumAbs / Math.max(got.length, 1);
  }
}

/** Compares and packages the result. */
export function check(name: string, got: Numeric, want: Numeric, kind: ErrorKind, tolerance: number, note?: string): CheckResult {
  const error = measureError(got, want, kind);
  return { name, kind, error, tolerance, pass: error <= tolerance, note };
}
