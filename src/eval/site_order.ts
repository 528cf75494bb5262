/**
 * CDVAE's ground truths in the site order they have there.
 *
 * pymatgen's `StructureMatcher.get_rms_dist` depends on the site order of its second structure: the
 * first of its rarest-species sites is the anchor, and only translations that put the anchor on an
 * atom of its element are tried. Reconstructions of near-cubic perovskites often sit near a
 * threshold, so another anchor can mean another RMS, or a miss instead of a match
 * (`../shared/data/matcher-cases/recon_disagreements.json`: 3 of 100 Perov-5 reconstructions).
 *
 * CDVAE reads every dataset CIF with pymatgen (`build_crystal` → `Structure.from_str`), whose
 * `CifParser` returns `struct.get_sorted_structure()`: the sites sorted with Python's `sorted` by
 * `Site.__lt__` (the species' electronegativity, then the symbol), with fractional coordinates
 * wrapped into [0, 1) (`i - floor(i)`). Our CIF reader keeps file order, so the reconstruction
 * metric puts each ground truth in pymatgen's order first ({@linkcode pymatgenCifOrder}).
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { ELEMENT_SYMBOLS, PAULING_ELECTRONEGATIVITY } from "../crystal/elements.ts";

/** Below this length CPython's `list.sort` is one natural run extended by binary insertion (minrun = n). */
const CPYTHON_MIN_MERGE = 64;

/**
 * pymatgen's `Site.__lt__` for plain elements: lower electronegativity first, then the symbol in
 * code-point order. An element without an electronegativity (He, Ne, Ar, Z ≥ 104) compares as
 * pymatgen's NaN does: neither lower nor higher, so the symbols decide.
 */
function siteLess(za: number, zb: number): boolean {
  const xa = PAULING_ELECTRONEGATIVITY[za], xb = PAULING_ELECTRONEGATIVITY[zb];
  if (xa < xb) return true;
  if (xa > xb) return false;
  return ELEMENT_SYMBOLS[za] < ELEMENT_SYMBOLS[zb];
}

/**
 * The permutation Python's `sorted(sites)` applies, as indices into `numbers`. Below 64 items
 * CPython's timsort is one natural run (a strictly descending one reversed) extended by binary
 * insertion, and that is reproduced step for step, so even the NaN comparisons of noble gases come
 * out as in pymatgen. Longer lists use a stable sort: identical whenever the comparison is a total
 * order (every element with an electronegativity).
 *
 * @param numbers Atomic numbers, one per site
 * @returns `perm` with site `perm[k]` in place `k`
 *
 * @example Equal elements keep their order; argon has no electronegativity, so symbols decide
 * ```ts
 * import { pymatgenSortPermutation } from "./site_order.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * assertEquals(pymatgenSortPermutation([8, 38, 8, 22]), [1, 3, 0, 2]); // Sr 0.95, Ti 1.54, O 3.44
 * // Ar against anything compares symbols: Ar before F ("Ar" < "F") and before Li ("Ar" < "Li"),
 * // although Li (0.98) comes before F (3.98)
 * assertEquals(pymatgenSortPermutation([18, 9, 3]), [0, 2, 1]);
 * ```
 */
export function pymatgenSortPermutation(numbers: ArrayLike<number>): number[] {
  const n = numbers.length;
  const idx = Array.from({ length: n }, (_, i) => i);
  const lt = (a: number, b: number) => siteLess(numbers[a], numbers[b]);
  if (n >= CPYTHON_MIN_MERGE) {
    return idx.sort((a, b) => (lt(a, b) ? -1 : lt(b, a) ? 1 : 0));
  }
  if (n < 2) return idx;
  // count_run: the longest non-descending or strictly descending prefix.
  let run = 2;
  if (lt(idx[1], idx[0])) {
    while (run < n && lt(idx[run], idx[run - 1])) run++;
    idx.splice(0, run, ...idx.slice(0, run).reverse());
  } else {
    while (run < n && !lt(idx[run], idx[run - 1])) run++;
  }
  // binarysort: insert each later item after the last equal one (stable).
  for (let start = run; start < n; start++) {
    const pivot = idx[start];
    let l = 0, r = start;
    while (l < r) {
      const p = l + ((r - l) >> 1);
      if (lt(pivot, idx[p])) r = p;
      else l = p + 1;
    }
    idx.splice(start, 1);
    idx.splice(l, 0, pivot);
  }
  return idx;
}

/**
 * The crystal as pymatgen's CIF parser returns it, hence as CDVAE's datasets hold it: sites sorted
 * by electronegativity, then symbol (Python's stable sort), fractional coordinates wrapped into
 * [0, 1). The lattice is shared, not copied; `props` are kept.
 *
 * @param c A crystal in any site order
 * @returns A new crystal with the same sites in pymatgen's order
 *
 * @example Perovskite sites come out A, B, then the anions
 * ```ts
 * import { pymatgenCifOrder } from "./site_order.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([-0.05, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
 *   numbers: new Uint8Array([31, 39, 8, 16, 8]), // Ga Y O S O
 * };
 * const s = pymatgenCifOrder(c);
 * assertEquals([...s.numbers], [39, 31, 16, 8, 8]); // Y 1.22 < Ga 1.81 < S 2.58 < O 3.44
 * assertEquals(s.frac[3], 0.95);
 * ```
 */
export function pymatgenCifOrder(c: Crystal): Crystal {
  const perm = pymatgenSortPermutation(c.numbers);
  const frac = new Float64Array(c.frac.length);
  const numbers = new Uint8Array(c.numbers.length);
  perm.forEach((src, dst) => {
    numbers[dst] = c.numbers[src];
    for (let k = 0; k < 3; k++) {
      const x = c.frac[3 * src + k];
      frac[3 * dst + k] = x - Math.floor(x);
    }
  });
  return { ...c, frac, numbers };
}
