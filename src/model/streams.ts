/**
 * Per-crystal random streams: every draw that shapes generated crystal `index` of a run (its latent,
 * its initial composition and coordinates, the noise of its Langevin steps) comes from streams keyed
 * by (seed, index) alone. So a crystal does not depend on which other crystals share its batch, on
 * the batch size or on how a run is split into shards: `generate --shard i/n` processes make exactly
 * the crystals of one unsharded run, and n = 10 makes the first ten crystals of n = 1 000.
 *
 * @module
 */

import { HostRng } from "../compute/host_rng.ts";

/** What a stream is drawn for; each purpose gets its own stream, so adding draws to one never shifts another. */
export const STREAM = {
  /** The prior latent z ~ N(0, I). */
  latent: 0x1a7e47,
  /** Initial composition and coordinates, then the host loop's Langevin noise. */
  dynamics: 0xd1a,
  /** The key of the resident loop's Philox noise (its upper word is the index). */
  deviceNoise: 0x9015e,
} as const;

/** murmur3's 32-bit finaliser: a bijection on u32 that mixes every input bit into every output bit. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The 32-bit seed of crystal `index`'s stream for `purpose` in a run with `seed`. For a fixed seed
 * and purpose it is a bijection of the index (mod 2³²), so no two crystals of a run share a stream.
 *
 * @example Distinct per index, the same on every call
 * ```ts
 * import { crystalSeed, STREAM } from "./streams.ts";
 * import { assert, assertEquals } from "../../tests/_assert.ts";
 * assertEquals(crystalSeed(1, 5, STREAM.latent), crystalSeed(1, 5, STREAM.latent));
 * assert(crystalSeed(1, 5, STREAM.latent) !== crystalSeed(1, 6, STREAM.latent));
 * ```
 */
export function crystalSeed(seed: number, index: number, purpose: number): number {
  const base = fmix32(fmix32((seed >>> 0) ^ purpose) + Math.imul(purpose, 0x61c88647));
  return fmix32((base + Math.imul(index >>> 0, 0x9e3779b1)) >>> 0);
}

/** The host generator of crystal `index`'s stream for `purpose` (see {@linkcode crystalSeed}). */
export function crystalRng(seed: number, index: number, purpose: number): HostRng {
  return new HostRng(crystalSeed(seed, index, purpose));
}

/**
 * Latents of crystals `first … first + n − 1` from the prior N(0, I), `latentDim` values each
 * (row-major `[n·D]`), each row from its crystal's own stream.
 */
export function priorLatents(n: number, latentDim: number, seed: number, first = 0): Float32Array {
  const z = new Float32Array(n * latentDim);
  for (let b = 0; b < n; b++) {
    const rng = crystalRng(seed, first + b, STREAM.latent);
    for (let j = 0; j < latentDim; j++) z[b * latentDim + j] = rng.normal();
  }
  return z;
}
