import { tf } from '../tfjs.js';
import type { VggFeatureExtractor } from '../model/vgg.js';
import { DEFAULT_COSINE_EPSILON, type CosineOptions } from '../ops/distances.js';
import type { Locations } from '../ops/hypercolumns.js';
import { hasBackendKernel, StrotssKernel } from '../ops/kernels.js';
import { gradientOfLoss, objectiveTerms, styleKernelInputs, TERM_ORDER, type ObjectiveTerms, type StyleSamples } from '../ops/objective.js';
import { customUnaryOp } from '../ops/reductions.js';
import { pointGuidanceLoss } from '../ops/point-loss.js';

/** One region's samples for an iteration: where to look, the content hypercolumns there, the scale's style samples. */
export interface RegionSamples {
  locations: Locations;
  /** Content hypercolumns Ĉ `[N, d]` at `locations`. */
  content: tf.Tensor2D;
  style: StyleSamples;
}

/** Point guidance for an iteration (spec §11.2): output locations and the style hypercolumns `[k, d]` paired with them. */
export interface PointSamples {
  locations: Locations;
  style: tf.Tensor2D;
  /** β. */
  weight: number;
}

/**
 * One iteration's objective for image X (spec §20): hypercolumns of X at each region's locations,
 * the terms of each region (spec §9), averaged over regions → `[5]` in TERM_ORDER (loss, content,
 * remd, moment, palette), differentiable w.r.t. X through the loss (only: on a backend's fused
 * kernel the other terms' gradients are not taken). A named kernel: a backend may
 * run the VGG forward, the lookups, the terms and the whole backward as one computation. With
 * `points`, a sixth entry holds the point term and the loss gains β·ℓ_points/(α+2); that runs on
 * the ops (the fused kernels know no point term).
 */
export function imageObjective(
  extractor: VggFeatureExtractor,
  image: tf.Tensor4D,
  regions: readonly RegionSamples[],
  alpha: number,
  cosine: CosineOptions = {},
  points?: PointSamples,
): tf.Tensor1D {
  if (points) return imageObjectiveWithPoints(extractor, image, regions, alpha, cosine, points);
  if (hasBackendKernel(StrotssKernel.ImageObjective)) return fusedImageObjective(extractor, image, regions, alpha, cosine);
  return imageObjectiveOnOps(extractor, image, regions, alpha, cosine);
}

/** Mean of each term over the regions, stacked in TERM_ORDER. */
function meanTerms(perRegion: readonly ObjectiveTerms[]): tf.Tensor1D {
  const mean = (k: (typeof TERM_ORDER)[number]) => tf.div(tf.addN(perRegion.map((p) => p[k])), perRegion.length) as tf.Scalar;
  return tf.stack(TERM_ORDER.map(mean)) as tf.Tensor1D;
}

/**
 * {@link imageObjectiveOnOps} plus the point term (spec §11.2): one VGG pass gives the hypercolumns
 * at every region's locations and at the guided points → `[6]` (TERM_ORDER, then ℓ_points), the loss
 * being (the regions' mean loss) + β·ℓ_points/(α+2), the same normaliser as the other terms (§9.6).
 */
export function imageObjectiveWithPoints(
  extractor: VggFeatureExtractor,
  image: tf.Tensor4D,
  regions: readonly RegionSamples[],
  alpha: number,
  cosine: CosineOptions,
  points: PointSamples,
): tf.Tensor1D {
  return tf.tidy(() => {
    const hypercolumns = extractor.hypercolumnsAt(image, [...regions.map((r) => r.locations), points.locations]);
    const perRegion = regions.map((r, i) => objectiveTerms(hypercolumns[i], r.content, r.style, alpha, cosine));
    const terms = meanTerms(perRegion);
    const pointTerm = pointGuidanceLoss(hypercolumns[regions.length], points.style, cosine);
    const loss = tf.add(tf.slice(terms, [0], [1]), tf.mul(pointTerm, points.weight / (alpha + 2)));
    return tf.concat([loss, tf.slice(terms, [1], [TERM_ORDER.length - 1]), tf.reshape(pointTerm, [1])]) as tf.Tensor1D;
  });
}

/** {@link imageObjective} on TF.js ops and autograd. */
export function imageObjectiveOnOps(
  extractor: VggFeatureExtractor,
  image: tf.Tensor4D,
  regions: readonly RegionSamples[],
  alpha: number,
  cosine: CosineOptions = {},
): tf.Tensor1D {
  return tf.tidy(() => {
    const hypercolumns = extractor.hypercolumnsAt(image, regions.map((r) => r.locations));
    return meanTerms(regions.map((r, i) => objectiveTerms(hypercolumns[i], r.content, r.style, alpha, cosine)));
  });
}

/** The backend's ImageObjective kernel (terms and dLoss/dX in one pass) as a differentiable op of X. */
function fusedImageObjective(
  extractor: VggFeatureExtractor,
  image: tf.Tensor4D,
  regions: readonly RegionSamples[],
  alpha: number,
  cosine: CosineOptions,
): tf.Tensor1D {
  const epsilon = cosine.epsilon ?? DEFAULT_COSINE_EPSILON;
  extractor.checkSize(image);
  const regionInputs: tf.NamedTensorMap = {};
  regions.forEach((r, i) => Object.assign(regionInputs, { [`C${i}`]: r.content }, styleKernelInputs(r.style, String(i))));
  const op = customUnaryOp<tf.Tensor4D, tf.Tensor1D>((x, save) => {
    const [terms, gradLoss] = tf.engine().runKernel(
      StrotssKernel.ImageObjective,
      { image: x, ...extractor.weightTensors(), ...regionInputs },
      { preset: extractor.preset, locations: regions.map((r) => r.locations), alpha, epsilon } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    save([gradLoss]);
    return { value: terms as tf.Tensor1D, gradFunc: (dy, [g]) => gradientOfLoss(dy, g) };
  });
  return op(image);
}

