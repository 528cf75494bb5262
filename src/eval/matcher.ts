/**
 * Structure matching for the reconstruction metric: pymatgen's `StructureMatcher.get_rms_dist`
 * (v2020.12.31, as CDVAE pins it) on the wasm core, with CDVAE's `StructureMatcher(stol=0.5,
 * angle_tol=10, ltol=0.3)` and pymatgen's other defaults (`primitive_cell=True`, `scale=True`,
 * `attempt_supercell=False`, species compared by atomic number). The steps
 * (metrics-reference-matcher-magpie.md Part A):
 *
 * 1. each crystal is Niggli-reduced (pymatgen's routine) and reduced to its primitive cell
 *    (0.25 Å tolerance; nearly coincident periodic copies are averaged);
 * 2. both lattices are scaled to the geometric mean of the two volumes;
 * 3. crystals with different site counts or element counts after that do not match;
 * 4. every basis of the larger crystal's lattice within `ltol` (lengths) and `angleTol` of the
 *    other's basis, with determinant ±1 (mirror images included), and every translation that puts
 *    an anchor site on a site of its element is tried: sites are paired by an exact assignment on
 *    minimum-image distances in the average of the two lattices, and the RMS distance after the best
 *    rigid translation is measured in units of (V/N)^(1/3);
 * 5. the smallest RMS is the answer when it is below `stol`.
 *
 * Argument order matters as in pymatgen: CDVAE calls `get_rms_dist(pred, gt)`, so pass the
 * prediction first. Site order matters too: only translations that put the second crystal's first
 * rarest-element site on an atom are tried, so near the thresholds another order can give another
 * answer, as in pymatgen. CDVAE's ground truths come in pymatgen's CIF order (`pymatgenCifOrder` in
 * `site_order.ts`, which the reconstruction metric applies). Lattice strain within the tolerances
 * does not count towards the RMS (distances are measured in the average lattice). Cells for which pymatgen's own Niggli reduction fails give
 * no match, as CDVAE's `try`/`except` does; invalid input throws.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import {
  callCore,
  GeometryError,
  kindOfCode,
  MAX_ATOMS_PER_CALL,
  MAX_CRYSTALS_PER_CALL,
  packCrystals,
} from "../core/wasm.ts";

/** CDVAE's length tolerance (`ltol`): lattice vectors may differ by a factor 1/1.3 … 1.3. */
export const DEFAULT_LTOL = 0.3;
/** CDVAE's site tolerance (`stol`), in units of (V/N)^(1/3): a match needs RMS < 0.5. */
export const DEFAULT_STOL = 0.5;
/** CDVAE's angle tolerance (`angle_tol`), degrees. */
export const DEFAULT_ANGLE_TOL = 10;

/** Options of {@linkcode matchStructures}; the defaults are CDVAE's. */
export interface MatchOptions {
  /** Fractional length tolerance, > 0 (default {@linkcode DEFAULT_LTOL}). */
  ltol?: number;
  /** Site tolerance in units of (V/N)^(1/3), > 0 (default {@linkcode DEFAULT_STOL}). */
  stol?: number;
  /** Angle tolerance in degrees, 0 < angleTol < 180 (default {@linkcode DEFAULT_ANGLE_TOL}). */
  angleTol?: number;
  /** Reduce both crystals to primitive cells first (pymatgen `primitive_cell`, default true). */
  primitiveCell?: boolean;
  /** Scale both lattices to the same volume first (pymatgen `scale`, default true). */
  scale?: boolean;
}

/** The outcome of matching two crystals. */
export interface MatchResult {
  /** Whether the crystals match (pymatgen's `get_rms_dist` is not `None`). */
  match: boolean;
  /** RMS site displacement in units of (V/N)^(1/3), below `stol`; only when `match`. */
  rms?: number;
  /** Largest single site displacement in the same units (may exceed `stol`); only when `match`. */
  maxDist?: number;
}

const FLAG_PRIMITIVE = 1;
const FLAG_SCALE = 2;

/**
 * Matches two crystals as CDVAE's reconstruction metric does (pymatgen
 * `StructureMatcher(ltol=0.3, stol=0.5, angle_tol=10).get_rms_dist(a, b)`).
 *
 * @param a The first structure (CDVAE's prediction)
 * @param b The second structure (CDVAE's ground truth)
 * @param opts Tolerances and switches; the defaults are CDVAE's
 * @returns `{ match, rms, maxDist }`; `rms` and `maxDist` only for a match
 * @throws {GeometryError} Of kind `"degenerate-lattice"`, `"non-finite"`, `"no-atoms"`, `"too-large"`
 *   (more than 1024 atoms) or `"bad-parameter"` (atomic number outside 1–118, bad tolerance)
 * @example A rock-salt conventional cell matches its primitive cell
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const conv = {
 *   lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5, 0.5, 0, 0, 0, 0.5, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 11, 11, 11, 17, 17, 17, 17]),
 * };
 * const h = 2.82;
 * const prim = {
 *   lattice: new Float64Array([0, h, h, h, 0, h, h, h, 0]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const r = matchStructures(conv, prim);
 * assert(r.match && r.rms! < 1e-5);
 * ```
 * @example Swapped species do not match
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const sto = (z: number[]) => ({
 *   lattice: new Float64Array([3.905, 0, 0, 0, 3.905, 0, 0, 0, 3.905]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
 *   numbers: new Uint8Array(z),
 * });
 * assertEquals(matchStructures(sto([22, 38, 8, 8, 8]), sto([38, 22, 8, 8, 8])), { match: false });
 * ```
 */
export function matchStructures(a: Crystal, b: Crystal, opts: MatchOptions = {}): MatchResult {
  return matchMany([[a, b]], opts)[0];
}

/**
 * Matches many pairs in batched calls into the wasm core (one crossing per batch).
 *
 * @param pairs `[a, b]` pairs, each in {@linkcode matchStructures}' argument order
 * @param opts Tolerances and switches, shared by all pairs
 * @returns One result per pair, in order
 * @throws {GeometryError} For the first pair with invalid input; `index` is the pair's index
 * @example Match rate and mean RMS, as CDVAE's reconstruction metric reports them
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const cube = (x: number) => ({
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, x, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 * });
 * const results = matchMany([[cube(0.52), cube(0.5)], [cube(0.5), cube(0.5)]]);
 * const matched = results.filter((r) => r.match);
 * assertEquals(matched.length, 2);
 * ```
 */
export function matchMany(
  pairs: readonly (readonly [Crystal, Crystal])[],
  opts: MatchOptions = {},
): MatchResult[] {
  const ltol = opts.ltol ?? DEFAULT_LTOL;
  const stol = opts.stol ?? DEFAULT_STOL;
  const angleTol = opts.angleTol ?? DEFAULT_ANGLE_TOL;
  const flags = ((opts.primitiveCell ?? true) ? FLAG_PRIMITIVE : 0) | ((opts.scale ?? true) ? FLAG_SCALE : 0);
  const results: MatchResult[] = [];
  for (const [start, batch] of pairChunks(pairs)) {
    const crystals = batch.flatMap(([a, b]) => [a, b]);
    let packed;
    try {
      packed = packCrystals(crystals, "match");
    } catch (e) {
      if (!(e instanceof GeometryError) || e.index === undefined) throw e;
      const p = start + (e.index >> 1);
      throw new GeometryError(e.kind, `Cannot match pair ${p}: ${e.message.replace(/^[^:]*: /, "")}`, {
        index: p,
      });
    }
    const { lattices, frac, offsets } = packed;
    const numbers = new Uint8Array(offsets[crystals.length]);
    crystals.forEach((c, i) => numbers.set(c.numbers, offsets[i]));
    const m = batch.length;
    const out = new Float64Array(2 * m);
    const status = new Int32Array(m);
    callCore("match structures", (core) => {
      const ret = core.match_structures_many(
        lattices,
        frac,
        numbers,
        offsets,
        ltol,
        stol,
        angleTol,
        flags,
        out,
        status,
      );
      if (ret === 0) return;
      const reason = core.last_error_message();
      if (ret < 0) throw new GeometryError(kindOfCode(-ret), `Cannot match structures: ${reason}`);
      const i = status.findIndex((s) => s !== 0);
      throw new GeometryError(kindOfCode(status[i]), `Cannot match pair ${start + i}: ${reason}`, {
        index: start + i,
      });
    });
    for (let i = 0; i < m; i++) {
      const rms = out[2 * i];
      results.push(Number.isNaN(rms) ? { match: false } : { match: true, rms, maxDist: out[2 * i + 1] });
    }
  }
  return results;
}

/** Splits pairs into runs within the core's per-call crystal and atom limits (whole pairs only). */
function* pairChunks(
  pairs: readonly (readonly [Crystal, Crystal])[],
): Generator<[number, (readonly [Crystal, Crystal])[]]> {
  let start = 0;
  while (start < pairs.length) {
    let end = start, atoms = 0;
    while (end < pairs.length && 2 * (end - start + 1) <= MAX_CRYSTALS_PER_CALL) {
      atoms += (pairs[end][0].numbers?.length ?? 0) + (pairs[end][1].numbers?.length ?? 0);
      if (atoms > MAX_ATOMS_PER_CALL && end > start) break;
      end++;
    }
    yield [start, pairs.slice(start, end)];
    start = end;
  }
}
