// The STROTSS objective (spec §9) and its gradient w.r.t. the output samples A as ONNX nodes. Each
// function mirrors the core op of the same name (packages/core/src/ops: distances.ts, remd.ts,
// losses.ts, objective.ts) operation for operation, forward and hand-written backward, so that
// the native backend reproduces the TF.js backends' values to float32 rounding.
import type { OnnxGraph, Value } from './onnx-graph.js';

/** The inputs of one region's objective. */
export interface ObjectiveInputs {
  /** Output samples `[n, d]`. */
  A: Value;
  /** Content samples Ĉ `[n, d]`. */
  C: Value;
  /** Style samples `[m, d]`, their row norms `[m, 1]`, mean `[1, d]`, covariance `[d, d]`, RGB columns `[m, 3]`. */
  B: Value;
  bNorms: Value;
  styleMean: Value;
  styleCovariance: Value;
  bRgb: Value;
  /** `[3]`: α, max(α, 1), α + 2, each rounded to float32 on the host as TF.js does with JS numbers. */
  alpha: Value;
  /** The upstream gradient of this region's loss (1, or 1/R when R regions are averaged). */
  lossWeight: Value;
}

/** The four terms, the combined loss (scalars) and dLoss/dA `[n, d]` (already times `lossWeight`). */
export interface ObjectiveOutputs {
  loss: Value;
  content: Value;
  remd: Value;
  moment: Value;
  palette: Value;
  gradA: Value;
}

/** Euclidean norm of each row, `[n, 1]` (rowNorms). */
function rowNorms(g: OnnxGraph, x: Value): Value {
  return g.sqrt(g.sum(g.square(x), [1], true));
}

/** Sum of every element of a 2-D value, rows first (sumAll; MLAS sums are blocked, so no staging is needed for accuracy). */
function meanAll(g: OnnxGraph, x: Value, count: Value): Value {
  return g.div(g.sum(g.sum(x, [1], false), [0], false), count);
}

/** 1 − x·y/(‖x‖‖y‖ [+ ε]) → `[n, m]` (cosineDistanceMatrix). */
function cosineDistanceMatrix(g: OnnxGraph, x: Value, y: Value, epsilon: number, yNorms?: Value): Value {
  const dots = g.matMulABt(x, y);
  const xn = rowNorms(g, x);
  const yn = g.transpose(yNorms ?? rowNorms(g, y));
  const similarity = epsilon === 0 ? g.div(g.div(dots, xn), yn) : g.div(dots, g.add(g.mul(xn, yn), g.float(epsilon)));
  return g.sub(g.float(1), similarity);
}

/** Gradient of the cosine distance of row pairs w.r.t. the first rows (cosineDistancePairGrad). */
function cosinePairGrad(g: OnnxGraph, x: Value, y: Value, epsilon: number): Value {
  const xn = rowNorms(g, x);
  const yn = rowNorms(g, y);
  const dots = g.sum(g.mul(x, y), [1], true);
  const denom = g.add(g.mul(xn, yn), g.float(epsilon));
  const towardsY = g.div(y, denom);
  const alongX = g.mul(x, g.div(g.mul(dots, yn), g.mul(xn, g.square(denom))));
  return g.sub(alongX, towardsY);
}

const SQ_MIN = 1e-5;
const SQ_MAX = 1e5;

/** sqrt(clamp(‖x−y‖², 1e-5, 1e5)/d) in the expanded form → `[n, m]` (rmsEuclideanDistanceMatrix, d = 3). */
function rmsEuclideanDistanceMatrix(g: OnnxGraph, x: Value, y: Value, d: number): Value {
  const xs = g.sum(g.square(x), [1], true);
  const ys = g.transpose(g.sum(g.square(y), [1], true));
  const sq = g.sub(g.add(xs, ys), g.mul(g.float(2), g.matMulABt(x, y)));
  return g.sqrt(g.div(g.clip(sq, SQ_MIN, SQ_MAX), g.float(d)));
}

/** Gradient of the RMS Euclidean distance of row pairs w.r.t. the first rows; 0 where the clamp is active (rmsEuclideanPairGrad). */
function rmsPairGrad(g: OnnxGraph, x: Value, y: Value, d: number): Value {
  const sq = g.sub(g.add(g.sum(g.square(x), [1], true), g.sum(g.square(y), [1], true)), g.mul(g.float(2), g.sum(g.mul(x, y), [1], true)));
  const inRange = g.cast(g.and(g.greaterOrEqual(sq, g.float(SQ_MIN)), g.lessOrEqual(sq, g.float(SQ_MAX))), 'float32');
  const dist = g.sqrt(g.div(g.clip(sq, SQ_MIN, SQ_MAX), g.float(d)));
  return g.mul(g.sub(x, y), g.div(inRange, g.mul(dist, g.float(d))));
}

/**
 * A ground metric for the relaxed EMD: its cost matrix `[n, m]`, and the gradient w.r.t. X of the
 * costs picked by the minima — row i's own nearest Y (`nearestY` `[n]`) weighted `rowWeight`, and
 * each Y's nearest X row (`nearestX` `[m]`, summed per X row) weighted `colWeight`.
 */
interface Metric {
  matrix(x: Value, y: Value): Value;
  pickedGradient(x: Value, y: Value, nearestY: Value, nearestX: Value, rowWeight: Value, colWeight: Value, costShape: Value): Value;
}

/**
 * `[n, m]` with `values` `[m]` at (nearestX[j], j) and 0 elsewhere: the per-Y-row amounts laid out so
 * that summing them per X row is a product (each column holds one entry, so the scatter writing them
 * has no collisions). ONNX Runtime 1.30's ScatterND with reduction 'add' loses updates to colliding
 * rows when it runs on several threads; this form is exact and deterministic.
 */
function perXRow(g: OnnxGraph, costShape: Value, nearestX: Value, values: Value): Value {
  return g.scatterElements(g.zerosOfShape(costShape), g.unsqueeze(nearestX, [0]), g.unsqueeze(values, [0]), 0);
}

/** The picked-cost gradient through any pair gradient: rows gathered, pair gradients, per-X-row sums (as relaxedEmd does). */
function pairwisePickedGradient(g: OnnxGraph, pairGrad: (x: Value, y: Value) => Value): Metric['pickedGradient'] {
  return (x, y, nearestY, nearestX, rowWeight, colWeight, costShape) => {
    const gradRows = g.mul(pairGrad(x, g.gather(y, nearestY, 0)), rowWeight);
    const perY = g.mul(pairGrad(g.gather(x, nearestX, 0), y), colWeight);
    const ones = g.op('Expand', [g.float(1), g.slice(g.shape(nearestX), [0], [1], [0])]);
    const gradCols = g.matMul(perXRow(g, costShape, nearestX, ones), perY); // [n, m]·[m, d]: d is 3 here
    return g.add(gradRows, gradCols);
  };
}

/**
 * The cosine metric of the style REMD with Y's row norms given (constant per scale). Its picked-cost
 * gradient is cosineDistancePairGrad, x·(x·y)‖y‖/(‖x‖D²) − y/D with D = ‖x‖‖y‖ + ε, rearranged so
 * that no `[m, d]` pair is formed: the dot products come from the cost's own x·yᵀ, and the Y side
 * sums per X row as x_i·Σa_j − Σ b_j·y_j, the latter one `[n, m]·[m, d]` product (the reference's
 * own backward is that dense product).
 */
function cosineMetric(g: OnnxGraph, epsilon: number, yNorms: Value): Metric {
  let dots: Value | undefined;
  let xNorms: Value | undefined;
  return {
    matrix: (x, y) => {
      dots = g.matMulABt(x, y);
      xNorms = rowNorms(g, x);
      const yn = g.transpose(yNorms);
      const similarity =
        epsilon === 0 ? g.div(g.div(dots, xNorms), yn) : g.div(dots, g.add(g.mul(xNorms, yn), g.float(epsilon)));
      return g.sub(g.float(1), similarity);
    },
    pickedGradient: (x, y, nearestY, nearestX, rowWeight, colWeight, costShape) => {
      const eps = g.float(epsilon);
      // a = (x·y)‖y‖/(‖x‖D²) and b = 1/D for each picked pair, `[k, 1]`.
      const coefficients = (pairDots: Value, xn: Value, yn: Value) => {
        const denom = g.add(g.mul(xn, yn), eps);
        return { a: g.div(g.mul(pairDots, yn), g.mul(xn, g.square(denom))), b: g.div(g.float(1), denom) };
      };
      // X side: row i against its nearest Y.
      const rowDots = g.gatherElements(dots!, g.unsqueeze(nearestY, [1]), 1); // [n, 1]
      const row = coefficients(rowDots, xNorms!, g.gather(yNorms, nearestY, 0));
      const gradRows = g.mul(g.sub(g.mul(x, row.a), g.mul(g.gather(y, nearestY, 0), row.b)), rowWeight);
      // Y side: each Y row j against its nearest X row i = nearestX[j], summed per i.
      const colDots = g.transpose(g.gatherElements(dots!, g.unsqueeze(nearestX, [0]), 0)); // [m, 1]
      const col = coefficients(colDots, g.gather(xNorms!, nearestX, 0), yNorms);
      const sumA = g.sum(perXRow(g, costShape, nearestX, g.reshape(g.mul(col.a, colWeight), [-1])), [1], true); // [n, 1]
      const sumBY = g.matMul(perXRow(g, costShape, nearestX, g.reshape(g.mul(col.b, colWeight), [-1])), y); // [n, d]
      return g.add(gradRows, g.sub(g.mul(x, sumA), sumBY));
    },
  };
}

/** Index of the minimum along `axis`; with `nanAware`, the first NaN wins, as PyTorch's min (argMinTorch). */
function argMinTorch(g: OnnxGraph, cost: Value, axis: number, nanAware: boolean): Value {
  const argMin = g.argMin(cost, axis);
  if (!nanAware) return argMin;
  const nan = g.cast(g.isNaN(cost), 'int64');
  return g.where(g.cast(g.reduceMax(nan, [axis], false), 'bool'), g.argMax(nan, axis), argMin);
}

/**
 * max(a, b) propagating NaN (PyTorch's): ONNX Max of NaN is implementation-defined, so a·0 + b·0
 * (0 unless either is NaN) is added to it.
 */
function maxPropagatingNaN(g: OnnxGraph, a: Value, b: Value): Value {
  const zero = g.float(0);
  return g.add(g.max(a, b), g.add(g.mul(a, zero), g.mul(b, zero)));
}

/** Weights PyTorch's max(a, b) gives its inputs' gradients: 1/0, 0/1, ½/½ at a tie, 1/1 with NaN (maxBranchWeights). */
function maxBranchWeights(g: OnnxGraph, a: Value, b: Value): [Value, Value] {
  const tie = g.cast(g.equal(a, b), 'float32');
  const half = g.mul(g.float(0.5), tie);
  const wa = g.sub(g.sub(g.float(1), g.cast(g.less(a, b), 'float32')), half);
  const wb = g.sub(g.sub(g.float(1), g.cast(g.greater(a, b), 'float32')), half);
  return [wa, wb];
}

/**
 * Relaxed EMD max(mean_i min_j K_ij, mean_j min_i K_ij) (spec §9.2) and its gradient w.r.t. X,
 * through the selected minima only, times `dy` (relaxedEmd).
 */
function relaxedEmd(g: OnnxGraph, x: Value, y: Value, metric: Metric, nanAware: boolean, dy: Value): { value: Value; grad: Value } {
  const cost = metric.matrix(x, y); // [n, m]
  const nearestY = argMinTorch(g, cost, 1, nanAware); // [n]
  const nearestX = argMinTorch(g, cost, 0, nanAware); // [m]
  const rowMins = g.gatherElements(cost, g.unsqueeze(nearestY, [1]), 1); // [n, 1]
  const colMins = g.gatherElements(cost, g.unsqueeze(nearestX, [0]), 0); // [1, m]
  const meanRows = g.mean(rowMins, [0, 1], false);
  const meanCols = g.mean(colMins, [0, 1], false);
  const value = maxPropagatingNaN(g, meanRows, meanCols);
  const [wa, wb] = maxBranchWeights(g, meanRows, meanCols);
  const n = g.cast(g.slice(g.shape(x), [0], [1], [0]), 'float32');
  const m = g.cast(g.slice(g.shape(y), [0], [1], [0]), 'float32');
  // Each X row pays its own nearest Y; each Y row's nearest X pays too (several Y may pick one X).
  const grad = metric.pickedGradient(x, y, nearestY, nearestX, g.div(wa, n), g.div(wb, m), g.shape(cost));
  return { value, grad: g.mul(grad, dy) };
}

/** Self-similarity content loss (spec §9.5, the code's ×N) and its gradient times `dy` (selfSimilarityLoss). */
function selfSimilarityLoss(g: OnnxGraph, A: Value, C: Value, epsilon: number, dy: Value): { value: Value; grad: Value } {
  const content = cosineDistanceMatrix(g, C, C, epsilon);
  const dc = g.div(content, g.sum(content, [0], true));
  const norms = rowNorms(g, A); // [n, 1]
  const normsT = g.transpose(norms);
  const dots = g.matMulABt(A, A);
  const normProducts = epsilon === 0 ? g.mul(norms, normsT) : g.add(g.mul(norms, normsT), g.float(epsilon));
  const distances = g.sub(g.float(1), epsilon === 0 ? g.div(g.div(dots, norms), normsT) : g.div(dots, normProducts));
  const columnSums = g.sum(distances, [0], true); // [1, n]
  const normalised = g.div(distances, columnSums);
  const diff = g.sub(normalised, dc);
  const n = g.cast(g.slice(g.shape(A), [0], [1], [0]), 'float32');
  const value = g.mul(meanAll(g, g.abs(diff), g.mul(n, n)), n);
  // Backward: one N×N×d product, (U + Uᵀ)·A, as the core's hand-written gradient.
  const dNormalised = g.div(g.sign(diff), n);
  const h = g.div(g.sub(dNormalised, g.sum(g.mul(dNormalised, normalised), [0], true)), columnSums);
  const u = g.div(g.neg(h), normProducts);
  const v = g.div(g.mul(g.neg(h), dots), g.square(normProducts));
  const dq = g.neg(g.matMul(g.add(v, g.transpose(v)), norms));
  const fromDots = g.matMul(g.add(u, g.transpose(u)), A);
  const fromNorms = g.mul(A, g.div(dq, norms));
  return { value, grad: g.mul(g.add(fromDots, fromNorms), dy) };
}

/** Moment loss against the style's mean and biased covariance (spec §9.3) and its gradient times `dy` (momentLossFromMoments). */
function momentLoss(g: OnnxGraph, A: Value, styleMean: Value, styleCovariance: Value, dy: Value): { value: Value; grad: Value } {
  const shape = g.cast(g.shape(A), 'float32');
  const n = g.slice(shape, [0], [1], [0]);
  const d = g.slice(shape, [1], [2], [0]);
  const mean = g.mean(A, [0], true);
  const centred = g.sub(A, mean);
  const covariance = g.div(g.matMulAtB(centred, centred), n);
  const meanDiff = g.sub(mean, styleMean);
  const covDiff = g.sub(covariance, styleCovariance);
  const value = g.add(meanAll(g, g.abs(meanDiff), d), meanAll(g, g.abs(covDiff), g.mul(d, d)));
  const gMean = g.div(g.sign(meanDiff), d);
  const gCentred = g.matMul(centred, g.sign(covDiff));
  const gCov = g.mul(gCentred, g.div(g.float(2), g.mul(n, g.mul(d, d))));
  const gA = g.add(g.sub(gCov, g.mean(gCov, [0], true)), g.div(gMean, n));
  return { value, grad: g.mul(gA, dy) };
}

/** The reference's colour rotation (spec §9.4), rows of T. */
const COLOUR_ROTATION = [0.57735, 0.57735, 0.57735, -0.57735, 0.788675, -0.211325, -0.57735, -0.211325, 0.788675];

/** Palette loss on the RGB columns (spec §9.4) and its gradient w.r.t. A's first three columns times `dy` (paletteLoss). */
function paletteLoss(g: OnnxGraph, rgb: Value, bRgb: Value, epsilon: number, dy: Value): { value: Value; grad: Value } {
  const rotation = g.float(COLOUR_ROTATION, [3, 3]);
  const rotate = (c: Value) => g.matMul(c, g.transpose(rotation));
  const metric: Metric = {
    matrix: (x, y) => {
      const xr = rotate(x);
      const yr = rotate(y);
      return g.add(cosineDistanceMatrix(g, xr, yr, epsilon), rmsEuclideanDistanceMatrix(g, xr, yr, 3));
    },
    pickedGradient: pairwisePickedGradient(g, (x, y) => {
      const xr = rotate(x);
      const yr = rotate(y);
      return g.matMul(g.add(cosinePairGrad(g, xr, yr, epsilon), rmsPairGrad(g, xr, yr, 3)), rotation);
    }),
  };
  return relaxedEmd(g, rgb, bRgb, metric, epsilon === 0, dy);
}

/**
 * The objective of one region: ℓ_c, ℓ_r, ℓ_m, ℓ_p, their combination (spec §9.6) and dLoss/dA,
 * with the upstream gradients TF.js' autograd gives each term.
 */
export function objectiveGraph(g: OnnxGraph, inputs: ObjectiveInputs, epsilon: number): ObjectiveOutputs {
  const { A } = inputs;
  const alpha = g.slice(inputs.alpha, [0], [1], [0]);
  const maxAlpha = g.slice(inputs.alpha, [1], [2], [0]);
  const normaliser = g.slice(inputs.alpha, [2], [3], [0]);
  // dLoss/d(sum of terms) = w/(α+2); each term's share as autograd passes it down (combineObjective).
  const g0 = g.div(inputs.lossWeight, normaliser);
  const content = g.scope('content', () => selfSimilarityLoss(g, A, inputs.C, epsilon, g.mul(g0, alpha)));
  const remd = g.scope('remd', () => relaxedEmd(g, A, inputs.B, cosineMetric(g, epsilon, inputs.bNorms), epsilon === 0, g0));
  const moment = g.scope('moment', () => momentLoss(g, A, inputs.styleMean, inputs.styleCovariance, g0));
  const palette = g.scope('palette', () => {
    const term = paletteLoss(g, g.slice(A, [0], [3], [1]), inputs.bRgb, epsilon, g.div(g0, maxAlpha));
    // The RGB columns' gradient, zero-padded to every column of A (the slice's gradient).
    const d = g.slice(g.shape(A), [1], [2], [0]);
    const padding = g.zerosOfShape(g.concat([g.slice(g.shape(A), [0], [1], [0]), g.sub(d, g.int64([3]))], 0));
    return { value: term.value, grad: g.concat([term.grad, padding], 1) };
  });
  const style = g.add(moment.value, g.div(palette.value, maxAlpha));
  const loss = g.div(g.add(g.add(g.mul(alpha, content.value), remd.value), style), normaliser);
  const gradA = g.add(g.add(g.add(palette.grad, moment.grad), remd.grad), content.grad);
  return { loss, content: content.value, remd: remd.value, moment: moment.value, palette: palette.value, gradA };
}
