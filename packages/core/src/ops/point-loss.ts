import { tf } from '../tfjs.js';
import { DEFAULT_COSINE_EPSILON, type CosineOptions } from './distances.js';

/**
 * The point-guidance term (spec §11.2): the mean cosine distance between paired rows of the output
 * hypercolumns A `[k, d]` (at the guided content points) and the style hypercolumns B `[k, d]` (at
 * their style points) → scalar in [0, 2]. In the paper's cost matrix a guided output point may only
 * match its own style point, at cost β·D_cos; this is the mean of those forced matches.
 */
export function pointGuidanceLoss(A: tf.Tensor2D, B: tf.Tensor2D, options: CosineOptions = {}): tf.Scalar {
  const epsilon = options.epsilon ?? DEFAULT_COSINE_EPSILON;
  return tf.tidy(() => {
    const dots = tf.sum(tf.mul(A, B), 1);
    const norms = tf.mul(tf.norm(A, 'euclidean', 1), tf.norm(B, 'euclidean', 1));
    return tf.mean(tf.sub(1, tf.div(dots, tf.add(norms, epsilon)))) as tf.Scalar;
  });
}
