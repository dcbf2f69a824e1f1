import { tf } from '../tfjs.js';

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
      const [next, avg] = tf.tidy(() => {
        const g = grads[i];
        const v = tf.add(tf.mul(this.squareAvg[i], this.decay), tf.mul(tf.mul(g, g), 1 - this.decay));
        const denom = tf.add(tf.sqrt(v), this.epsilon);
        return [tf.add(p, tf.mul(tf.div(g, denom), -this.lr)), v];
      });
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
