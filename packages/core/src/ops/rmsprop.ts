import { tf } from '../tfjs.js';
import { runNamedKernel, StrotssKernel } from './kernels.js';

/** PyTorch RMSprop defaults (spec §10): decay 0.99, ε 1e-8 added outside the square root. */
export interface RmspropOptions {
  learningRate: number;
  decay?: number;
  epsilon?: number;
  /** Running averages to continue from (a checkpoint's), one per parameter; default zeros (a fresh optimiser). */
  squareAvg?: readonly tf.Tensor[];
}

/**
 * RMSprop with PyTorch's formula (TF.js' own puts ε inside the sqrt and decays 0.9):
 * v ← ρ·v + (1−ρ)·g², θ ← θ − lr · g / (√v + ε), fresh v = 0. State is owned here; call `dispose()`.
 */
export class TorchRmsprop {
  private readonly squareAvg: tf.Tensor[];
  private readonly lr: number;
  private readonly decay: number;
  private readonly epsilon: number;

  constructor(params: readonly tf.Tensor[], options: RmspropOptions) {
    this.lr = options.learningRate;
    this.decay = options.decay ?? 0.99;
    this.epsilon = options.epsilon ?? 1e-8;
    this.squareAvg = params.map((p, i) => tf.keep(options.squareAvg ? tf.clone(options.squareAvg[i]) : tf.zerosLike(p)));
  }

  /** Returns the updated parameters (new tensors; the caller disposes the old ones) and updates the running averages. */
  step(params: readonly tf.Tensor[], grads: readonly tf.Tensor[]): tf.Tensor[] {
    return params.map((p, i) => {
      const [next, avg] = rmspropStep(p, grads[i], this.squareAvg[i], { learningRate: this.lr, decay: this.decay, epsilon: this.epsilon });
      this.squareAvg[i].dispose();
      this.squareAvg[i] = tf.keep(avg);
      return next;
    });
  }

  /** The running squared-gradient averages, one per parameter (read-only views). */
  get state(): readonly tf.Tensor[] {
    return this.squareAvg;
  }

  /** Frees the optimiser state. */
  dispose(): void {
    for (const v of this.squareAvg) v.dispose();
  }
}

/**
 * One RMSprop step of parameter `p` with gradient `g` and running average `v` → `[p', v']`:
 * v' = ρ·v + (1−ρ)·g², p' = p − lr · g / (√v' + ε). A named kernel (a backend may fuse the chain).
 */
export function rmspropStep(p: tf.Tensor, g: tf.Tensor, v: tf.Tensor, options: Required<Omit<RmspropOptions, 'squareAvg'>>): [tf.Tensor, tf.Tensor] {
  const { learningRate, decay, epsilon } = options;
  return runNamedKernel(StrotssKernel.RmspropStep, { p, g, v }, { learningRate, decay, epsilon }, () =>
    tf.tidy(() => {
      const avg = tf.add(tf.mul(v, decay), tf.mul(tf.mul(g, g), 1 - decay));
      const denom = tf.add(tf.sqrt(avg), epsilon);
      return [tf.add(p, tf.mul(tf.div(g, denom), -learningRate)), avg];
    }),
  ) as [tf.Tensor, tf.Tensor];
}
