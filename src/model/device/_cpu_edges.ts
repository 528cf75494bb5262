/**
 * Plain-TS references of `shaders/decoder_edges.wgsl` (GemNet-T's re-symmetrised decoder graph
 * and triplet slots from a neighbour table; the bases' references are in src/nn/device/), in f32 arithmetic where the kernels compute in
 * f32. The shader's header states the layouts and the order of the edges.
 *
 * @module
 */

import type { CpuKernel } from "../../compute/kernels.ts";

/** Sender of an unused table slot. */
const NONE = 0xffffffff;
const f = Math.fround;

/** The reference's `cell_earlier` rule on image codes (see the shader). */
const kept = (j: number, i: number, code: number) => j < i || (j === i && code < 13);

/** deg [N] from edges [N, K, 2] and range [N, 2]; parameters n, k. */
export const edgesDegree: CpuKernel = ([edges, range, deg], { n, k }) => {
  for (let t = 0; t < n; t++) {
    let d = 0;
    for (let i = range[2 * t]; i < range[2 * t + 1]; i++) {
      for (let s = 0; s < k; s++) {
        const q = i * k + s, j = edges[2 * q];
        if (j === NONE) break;
        const keep = kept(j, i, edges[2 * q + 1]);
        if (keep && i === t) d++;
        if (keep && j === t) d++;
      }
    }
    deg[t] = d;
  }
};

/** offsets [N + 1] (exclusive scan of deg) and sizes [2] = (E, Kmax); parameter n. */
export const edgesOffsets: CpuKernel = ([deg, offsets, sizes], { n }) => {
  let acc = 0, mx = 0;
  for (let t = 0; t < n; t++) {
    offsets[t] = acc;
    acc += deg[t];
    mx = Math.max(mx, deg[t]);
  }
  offsets[n] = acc;
  sizes[0] = acc;
  sizes[1] = Math.max(1, Math.max(mx, 1) - 1);
};

/** src [E], tgt [E], egeom [E, 4] and slot [N·K, 2] from the table; parameters n, k. */
export const edgesFill: CpuKernel = ([edges, geom, range, offsets, src, tgt, egeom, slot], { n, k }) => {
  const put = (p: number, s: number, t: number, q: number, sign: number) => {
    const d = geom[4 * q + 3];
    src[p] = s;
    tgt[p] = t;
    for (let c = 0; c < 3; c++) egeom[4 * p + c] = f(f(sign * geom[4 * q + c]) / d);
    egeom[4 * p + 3] = d;
  };
  for (let t = 0; t < n; t++) {
    let p = offsets[t];
    for (let s = 0; s < k; s++) {
      const q = t * k + s, j = edges[2 * q];
      if (j !== NONE && kept(j, t, edges[2 * q + 1])) {
        put(p, j, t, q, -1);
        slot[2 * q] = p++;
      } else slot[2 * q] = NONE;
    }
    for (let i = range[2 * t]; i < range[2 * t + 1]; i++) {
      for (let s = 0; s < k; s++) {
        const q = i * k + s, j = edges[2 * q];
        if (j === NONE) break;
        if (j === t && kept(j, i, edges[2 * q + 1])) {
          put(p, i, t, q, 1);
          slot[2 * q + 1] = p++;
        }
      }
    }
  }
};

/** idswap [E] from slot [N·K, 2]; parameters n, k. */
export const edgesSwap: CpuKernel = ([slot, swap], { n, k }) => {
  for (let q = 0; q < n * k; q++) {
    const fw = slot[2 * q];
    if (fw === NONE) continue;
    swap[fw] = slot[2 * q + 1];
    swap[slot[2 * q + 1]] = fw;
  }
};

/** trip [E, Kmax], cosines [E, Kmax], counts [E] from tgt, offsets, egeom; parameters e, kmax. */
export const tripletSlots: CpuKernel = ([tgt, offsets, egeom, trip, cos, count], { e, kmax }) => {
  for (let ca = 0; ca < e; ca++) {
    const a = tgt[ca], base = ca * kmax;
    let k = 0;
    for (let ba = offsets[a]; ba < offsets[a + 1]; ba++) {
      if (ba === ca) continue;
      let dot = 0;
      for (let c = 0; c < 3; c++) dot = f(dot + f(egeom[4 * ca + c] * egeom[4 * ba + c]));
      trip[base + k] = ba;
      cos[base + k] = Math.min(1, Math.max(-1, dot));
      k++;
    }
    count[ca] = k;
    trip.fill(0, base + k, base + kmax);
    cos.fill(0, base + k, base + kmax);
  }
};
