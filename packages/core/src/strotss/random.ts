/** A seeded pseudo-random source: uniform floats in [0, 1). */
export interface Random {
  next(): number;
}

/** The four 32-bit words of an sfc32 generator: where its sequence stands (for checkpoints). */
export type RandomState = [number, number, number, number];

/** A {@link Random} whose position can be read and set, so a resumed run draws the same numbers. */
export interface StatefulRandom extends Random {
  /** The generator's current state (a copy). */
  getState(): RandomState;
  /** Moves the generator to `state` (from {@link StatefulRandom.getState}). */
  setState(state: Readonly<RandomState>): void;
}

/** sfc32 seeded through splitmix32: fast, 128-bit state, good enough for shuffles (not cryptographic). */
export function seededRandom(seed: number): StatefulRandom {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return {
    next() {
      const t = (((a + b) >>> 0) + d) >>> 0;
      d = (d + 1) >>> 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) >>> 0;
      c = ((c << 21) | (c >>> 11)) >>> 0;
      c = (c + t) >>> 0;
      return t / 4294967296;
    },
    getState: () => [a, b, c, d],
    setState([a0, b0, c0, d0]) {
      [a, b, c, d] = [a0 >>> 0, b0 >>> 0, c0 >>> 0, d0 >>> 0];
    },
  };
}

/** Uniform integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates). */
export function randomPermutation(random: Random, n: number): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
