/**
 * A small seedable random generator for host-side draws (shuffling, noise levels, the noise the
 * training step adds on the host), with a state that can be saved and restored so a resumed run
 * continues bit for bit. xoshiro128** (Blackman & Vigna): 128-bit state, fast in 32-bit JS.
 *
 * @module
 */

/**
 * xoshiro128** generator.
 *
 * @example Same seed, same numbers; restored state continues the stream
 * ```ts
 * import { HostRng } from "./host_rng.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const a = new HostRng(7), b = new HostRng(7);
 * assertEquals(a.next(), b.next());
 * const c = HostRng.fromState(a.state());
 * assertEquals(c.uniform(), a.uniform());
 * ```
 */
export class HostRng {
  #s = new Uint32Array(4);
  #spare: number | undefined;

  /** Seeds the state with splitmix32 from one integer. */
  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.#s.every((v) => v === 0)) this.#s[0] = 1;
  }

  /** A generator continuing from a saved {@linkcode HostRng.state}. */
  static fromState(state: readonly number[]): HostRng {
    const r = new HostRng(0);
    r.#s.set(state.slice(0, 4));
    r.#spare = state.length > 4 ? state[4] : undefined;
    return r;
  }

  /** The state as plain numbers (JSON-safe). */
  state(): number[] {
    return this.#spare === undefined ? [...this.#s] : [...this.#s, this.#spare];
  }

  /** Next 32-bit unsigned integer. */
  next(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, the second value kept for the next call). */
  normal(): number {
    if (this.#spare !== undefined) {
      const v = this.#spare;
      this.#spare = undefined;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform(), r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>, offset = 0, count = weights.length - offset): number {
    let total = 0;
    for (let i = 0; i < count; i++) total += weights[offset + i];
    let u = this.uniform() * total;
    for (let i = 0; i < count; i++) {
      u -= weights[offset + i];
      if (u < 0) return i;
    }
    for (let i = count - 1; i >= 0; i--) if (weights[offset + i] > 0) return i;
    return count - 1;
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
