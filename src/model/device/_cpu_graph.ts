/**
 * Plain-TS reference of `shaders/decoder_graph.wgsl` (the k nearest periodic neighbours over the
 * 27 images), in f32 arithmetic step by step (`Math.fround`), so that it orders candidates as the
 * GPU does rather than as f64 would.
 *
 * @module
 */

import type { CpuKernel } from "../../compute/kernels.ts";

/** CDVAE drops pairs with d² at or below this (Å²): the atom itself and coincident atoms. */
const MIN_D2 = Math.fround(1e-4);
/** Sender of an unused table slot. */
const NONE = 0xffffffff;

const f = Math.fround;

/** v = (f_j − f_i + S)·L in f32, L rows = vectors; `out` receives v. */
function imageVector(
  frac: ArrayLike<number>,
  L: ArrayLike<number>,
  i: number,
  j: number,
  s: number,
  out: number[],
) {
  const S = [Math.floor(s / 9) - 1, (Math.floor(s / 3) % 3) - 1, (s % 3) - 1];
  const d = [0, 1, 2].map((c) => f(f(frac[3 * j + c] - frac[3 * i + c]) + S[c]));
  for (let c = 0; c < 3; c++) out[c] = f(f(f(d[0] * L[c]) + f(d[1] * L[3 + c])) + f(d[2] * L[6 + c]));
}

/**
 * edges [N, K, 2] (sender, image code), geom [N, K, 4] (r_ij, |r_ij|), count [N] from frac [N, 3],
 * crystal [N], offsets [B + 1], lattices [B, 9]; parameters n, k, r2 and the constant K.
 */
export const decoderGraph: CpuKernel = ([frac, crystal, offsets, lattices, edges, geom, count], p) => {
  const { n, r2, K } = p, k = Math.min(p.k, K);
  const v = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const b = crystal[i], a0 = offsets[b], a1 = offsets[b + 1];
    const L = lattices.subarray(9 * b, 9 * b + 9);
    const d2s: number[] = [], keys: number[] = [];
    for (let j = a0; j < a1; j++) {
      for (let s = 0; s < 27; s++) {
        imageVector(frac, L, i, j, s, v);
        const d2 = f(f(f(v[0] * v[0]) + f(v[1] * v[1])) + f(v[2] * v[2]));
        if (d2 <= MIN_D2 || d2 > r2) continue;
        // Candidates come in ascending (sender, image): insert after every d² ≤ this one.
        let q = d2s.length;
        while (q > 0 && d2s[q - 1] > d2) q--;
        if (q >= k) continue;
        d2s.splice(q, 0, d2);
        keys.splice(q, 0, (j - a0) * 27 + s);
        if (d2s.length > k) d2s.pop(), keys.pop();
      }
    }
    count[i] = d2s.length;
    for (let t = 0; t < K; t++) {
      const e = i * K + t;
      if (t < d2s.length) {
        const j = a0 + Math.floor(keys[t] / 27), s = keys[t] % 27;
        imageVector(frac, L, i, j, s, v);
        edges.set([j, s], 2 * e);
        geom.set([v[0], v[1], v[2], Math.sqrt(d2s[t])], 4 * e);
      } else {
        edges.set([NONE, 0], 2 * e);
        geom.fill(0, 4 * e, 4 * e + 4);
      }
    }
  }
};
