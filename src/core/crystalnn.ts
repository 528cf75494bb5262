/**
 * CrystalNN neighbours (pymatgen 2022.11.7 `CrystalNN`) and the structure fingerprint CDVAE's COV
 * metrics use (matminer 0.8.0 `CrystalNNFingerprint.from_preset("ops")`, mean over sites), on the
 * wasm core. The steps (metrics-reference-crystalnn.md):
 *
 * 1. per site, the Voronoi cell of the site among every periodic image within 7 Å (pymatgen's
 *    `VoronoiNN` on that finite set; the cutoff doubles while the cell is unbounded, up to the
 *    longest cell diagonal, where the crystal fails);
 * 2. each facet's solid angle Ω gives a weight Ω/Ω_max, then (fingerprint settings) × Ω/area (porous
 *    adjustment), × 1 + 3·√(|ΔX|/3.3) (Pauling electronegativities), renormalised, × a cosine
 *    distance cutoff on covalent radii (sum + 0.5 … + 1.0 Å), rounded to 3 decimals;
 * 3. the distinct weights define coordination-number probabilities (semicircle integral);
 * 4. the encoder graph keeps the neighbours of the most probable CN; the fingerprint holds, for CN
 *    1–24, the CN probability and the probability times each local-structure order parameter
 *    (61 values per site).
 *
 * Element facts (covalent radii, electronegativities) are embedded in the core from
 * `data/elements/crystalnn.json`. Where the reference raises (a cell unbounded at the largest
 * cutoff: kind `"no-convergence"`; an element without any radius, Z ≥ 97, in the fingerprint:
 * kind `"bad-parameter"`) these functions throw a {@linkcode GeometryError}; CDVAE counts such
 * crystals as invalid, which {@linkcode crystalNNFingerprintMany} reproduces with
 * `{ failures: "null" }`. Noble gases have no electronegativity and simply skip that factor.
 *
 * @example The fingerprint of rock salt: octahedral CN 6 on both sites
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const h = 2.82;
 * const nacl = {
 *   lattice: new Float64Array([0, h, h, h, 0, h, h, h, 0]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * const fp = crystalNNFingerprint(nacl);
 * assert(fp.length === 61);
 * const i = FINGERPRINT_LABELS.indexOf("octahedral CN_6");
 * assert(Math.abs(fp[i] - 1) < 1e-9);
 * ```
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { callBatch, callChunks, packCrystals } from "./wasm.ts";

/** Values per site and per structure of the "ops" fingerprint. */
export const FINGERPRINT_LENGTH = 61;

const OPS_BY_CN: readonly (readonly string[])[] = [
  ["single bond"],
  ["L-shaped", "water-like", "bent 120 degrees", "bent 150 degrees", "linear"],
  ["trigonal planar", "trigonal non-coplanar", "T-shaped"],
  ["square co-planar", "tetrahedral", "rectangular see-saw-like", "see-saw-like", "trigonal pyramidal"],
  ["pentagonal planar", "square pyramidal", "trigonal bipyramidal"],
  ["hexagonal planar", "octahedral", "pentagonal pyramidal"],
  ["hexagonal pyramidal", "pentagonal bipyramidal"],
  ["body-centered cubic", "hexagonal bipyramidal"],
  ["q2", "q4", "q6"],
  ["q2", "q4", "q6"],
  ["q2", "q4", "q6"],
  ["cuboctahedral", "q2", "q4", "q6"],
];

/** matminer's feature labels, `"{op} CN_{cn}"` (the CN probability is `"wt CN_{cn}"`). */
export const FINGERPRINT_LABELS: readonly string[] = Array.from({ length: 24 }, (_, k) => k + 1).flatMap((
  cn,
) => [
  `wt CN_${cn}`,
  ...(OPS_BY_CN[cn - 1] ?? []).map((op) => `${op} CN_${cn}`),
]);

/** CrystalNN's parameters (pymatgen's, camel-cased). */
export interface CrystalNNOptions {
  /** Offsets (Å) added to the covalent-radius sum for the cosine distance cutoff; `null` skips it. */
  distanceCutoffs?: readonly [number, number] | null;
  /** Electronegativity weight; the step runs only when > 0. */
  xDiffWeight?: number;
  /** Multiply weights by Ω/area (favours near neighbours in open structures). */
  porousAdjustment?: boolean;
  /** Starting radius (Å) of the Voronoi candidates. */
  searchCutoff?: number;
  /**
   * `"most-probable"` (pymatgen `get_nn_info`, the default): the neighbours of the most probable
   * CN; `"all"`: every neighbour `get_nn_data` keeps.
   */
  neighbors?: "most-probable" | "all";
}

/**
 * `CrystalNN()` with pymatgen's defaults: the values of unset options, and what the fingerprint uses.
 * (A model that wants other settings, such as CDVAE's encoder graph, passes them.)
 */
export const CRYSTALNN_DEFAULTS: Readonly<CrystalNNOptions> = Object.freeze({
  distanceCutoffs: [0.5, 1] as const,
  xDiffWeight: 3,
  porousAdjustment: true,
  searchCutoff: 7,
});

/** CrystalNN neighbours of one crystal, CSR by site. */
export interface CrystalNNNeighbors {
  /** `[N+1]`: site i owns neighbours `offsets[i]..offsets[i+1]`. */
  offsets: Uint32Array;
  /** Neighbour site index (the first site the neighbour is a periodic image of). */
  sites: Uint32Array;
  /** `[3·E]` image of each neighbour relative to the stored fractional coordinates of its site. */
  images: Int32Array;
  /** CrystalNN's rounded weight of each neighbour (pymatgen's `get_nn_info` reports 1 instead). */
  weights: Float64Array;
  /** `[N+1]`: site i owns CN entries `cnOffsets[i]..cnOffsets[i+1]`. */
  cnOffsets: Uint32Array;
  /** Coordination numbers with non-zero probability (ascending, 0 last), per site. */
  cnNumbers: Uint32Array;
  /** Their probabilities. */
  cnWeights: Float64Array;
}

function packNumbers(crystals: readonly Crystal[], offsets: Uint32Array): Uint8Array {
  const numbers = new Uint8Array(offsets[crystals.length]);
  crystals.forEach((c, i) => numbers.set(c.numbers, offsets[i]));
  return numbers;
}

function resolve(opts: CrystalNNOptions): Required<CrystalNNOptions> {
  return {
    distanceCutoffs: opts.distanceCutoffs === undefined
      ? CRYSTALNN_DEFAULTS.distanceCutoffs!
      : opts.distanceCutoffs,
    xDiffWeight: opts.xDiffWeight ?? CRYSTALNN_DEFAULTS.xDiffWeight!,
    porousAdjustment: opts.porousAdjustment ?? CRYSTALNN_DEFAULTS.porousAdjustment!,
    searchCutoff: opts.searchCutoff ?? CRYSTALNN_DEFAULTS.searchCutoff!,
    neighbors: opts.neighbors ?? "most-probable",
  };
}

const NN_ACTION = "find CrystalNN neighbours of";

/**
 * CrystalNN neighbours of every site, with pymatgen's `CrystalNN()` settings unless `opts` says
 * otherwise ({@linkcode CRYSTALNN_DEFAULTS}).
 *
 * @param c The crystal
 * @param opts CrystalNN parameters; unset ones take {@linkcode CRYSTALNN_DEFAULTS}' values
 * @returns Neighbours (site, image, weight) per site and CN probabilities, CSR by site
 * @throws {GeometryError} Of kind `"no-convergence"` (a Voronoi cell unbounded at the largest
 *   cutoff), `"bad-parameter"` (atomic number outside 1–118, an element without radius when distance
 *   cutoffs are on, bad options), `"degenerate-lattice"`, `"non-finite"`, `"no-atoms"`, `"too-large"`
 * @example Perovskite SrTiO3: Ti is octahedral, Sr has 12 oxygens
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const sto = {
 *   lattice: new Float64Array([3.905, 0, 0, 0, 3.905, 0, 0, 0, 3.905]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0.5, 0, 0.5, 0, 0.5, 0.5]),
 *   numbers: new Uint8Array([38, 22, 8, 8, 8]),
 * };
 * const nn = crystalNNNeighbors(sto);
 * assertEquals(nn.offsets[1] - nn.offsets[0], 12);
 * assertEquals(nn.offsets[2] - nn.offsets[1], 6);
 * ```
 */
export function crystalNNNeighbors(c: Crystal, opts: CrystalNNOptions = {}): CrystalNNNeighbors {
  return crystalNNNeighborsMany([c], opts)[0];
}

/**
 * {@linkcode crystalNNNeighbors} for many crystals, in batched calls into the wasm core.
 *
 * @param crystals The crystals
 * @param opts CrystalNN parameters, shared by all crystals
 * @returns One neighbour list per crystal, in order
 * @throws {GeometryError} For the first crystal that fails; `index` is its index
 * @example Simple cubic Po and Al: six neighbours each without distance cutoffs
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const cubic = (a: number, z: number) => ({
 *   lattice: new Float64Array([a, 0, 0, 0, a, 0, 0, 0, a]),
 *   frac: new Float64Array([0, 0, 0]),
 *   numbers: new Uint8Array([z]),
 * });
 * const [po, al] = crystalNNNeighborsMany([cubic(3.35, 84), cubic(3.52, 13)], { distanceCutoffs: null });
 * assertEquals([po.sites.length, al.sites.length], [6, 6]);
 * // pymatgen's default distance cutoffs drop Al's neighbours, 3.52 Å apart.
 * assertEquals(crystalNNNeighborsMany([cubic(3.52, 13)])[0].sites.length, 0);
 * ```
 */
export function crystalNNNeighborsMany(
  crystals: readonly Crystal[],
  opts: CrystalNNOptions = {},
): CrystalNNNeighbors[] {
  const o = resolve(opts);
  const [lo, hi] = o.distanceCutoffs ?? [NaN, NaN];
  const results: CrystalNNNeighbors[] = [];
  for (const [start, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, NN_ACTION);
    const numbers = packNumbers(batch, offsets);
    const status = new Int32Array(batch.length);
    let parts: {
      offsets: Uint32Array;
      sites: Uint32Array;
      images: Int32Array;
      weights: Float64Array;
      cnOffsets: Uint32Array;
      cnNumbers: Uint32Array;
      cnWeights: Float64Array;
    } | undefined;
    callBatch(NN_ACTION, status, (core) => {
      const r = core.crystalnn_neighbors(
        lattices,
        frac,
        numbers,
        offsets,
        lo,
        hi,
        o.xDiffWeight,
        o.porousAdjustment,
        o.searchCutoff,
        o.neighbors !== "all",
        status,
      );
      try {
        if (r.failures === 0) {
          parts = {
            offsets: r.take_offsets(),
            sites: r.take_sites(),
            images: r.take_images(),
            weights: r.take_weights(),
            cnOffsets: r.take_cn_offsets(),
            cnNumbers: r.take_cn_numbers(),
            cnWeights: r.take_cn_weights(),
          };
        }
        return r.failures;
      } finally {
        r.free();
      }
    }, start);
    const p = parts!;
    for (let b = 0; b < batch.length; b++) {
      const a0 = offsets[b], a1 = offsets[b + 1];
      const e0 = p.offsets[a0], e1 = p.offsets[a1];
      const c0 = p.cnOffsets[a0], c1 = p.cnOffsets[a1];
      results.push({
        offsets: p.offsets.slice(a0, a1 + 1).map((x) => x - e0),
        sites: p.sites.slice(e0, e1),
        images: p.images.slice(3 * e0, 3 * e1),
        weights: p.weights.slice(e0, e1),
        cnOffsets: p.cnOffsets.slice(a0, a1 + 1).map((x) => x - c0),
        cnNumbers: p.cnNumbers.slice(c0, c1),
        cnWeights: p.cnWeights.slice(c0, c1),
      });
    }
  }
  return results;
}

const FP_ACTION = "compute the CrystalNN fingerprint of";

/**
 * CDVAE's structure fingerprint: the mean over sites of matminer's
 * `CrystalNNFingerprint.from_preset("ops").featurize` (labels in {@linkcode FINGERPRINT_LABELS}).
 *
 * @param c The crystal
 * @returns 61 values
 * @throws {GeometryError} Where the reference raises (kinds `"no-convergence"`, `"bad-parameter"`,
 *   see the module comment) and for invalid input
 * @example A simple-cubic cell is octahedral
 * ```ts
 * import { assert } from "../../tests/_assert.ts";
 * const po = {
 *   lattice: new Float64Array([3.2, 0, 0, 0, 3.2, 0, 0, 0, 3.2]),
 *   frac: new Float64Array([0, 0, 0]),
 *   numbers: new Uint8Array([84]),
 * };
 * const fp = crystalNNFingerprint(po);
 * assert(Math.abs(fp[FINGERPRINT_LABELS.indexOf("wt CN_6")] - 1) < 1e-12);
 * ```
 */
export function crystalNNFingerprint(c: Crystal): Float64Array {
  return crystalNNFingerprintMany([c])[0]!;
}

/** Options of {@linkcode crystalNNFingerprintMany}. */
export interface FingerprintManyOptions {
  /**
   * `"throw"` (default): throw for the first crystal that fails. `"null"`: give `null` for each
   * crystal whose fingerprint fails in the core (CDVAE's `try`/`except`: such crystals are invalid);
   * malformed arrays still throw.
   */
  failures?: "throw" | "null";
  /** Return one 61-vector per site (concatenated, `61·N` values) instead of the mean. */
  perSite?: boolean;
}

/**
 * {@linkcode crystalNNFingerprint} for many crystals, in batched calls into the wasm core.
 *
 * @param crystals The crystals
 * @param opts Failure handling and per-site output
 * @returns One fingerprint per crystal (`null` for failed crystals with `failures: "null"`)
 * @throws {GeometryError} For the first failing crystal (with `failures: "throw"`); `index` is its index
 * @example Fingerprints of generated crystals, invalid ones as null
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = {
 *   lattice: new Float64Array([3.35, 0, 0, 0, 3.35, 0, 0, 0, 3.35]),
 *   frac: new Float64Array([0, 0, 0]),
 *   numbers: new Uint8Array([84]),
 * };
 * const bk = { ...c, numbers: new Uint8Array([97]) };
 * const fps = crystalNNFingerprintMany([c, bk], { failures: "null" });
 * assertEquals([fps[0]?.length, fps[1]], [61, null]);
 * ```
 */
export function crystalNNFingerprintMany(
  crystals: readonly Crystal[],
  opts: FingerprintManyOptions = {},
): (Float64Array | null)[] {
  const perSite = opts.perSite ?? false;
  const results: (Float64Array | null)[] = [];
  for (const [start, batch] of callChunks(crystals)) {
    const { lattices, frac, offsets } = packCrystals(batch, FP_ACTION);
    const numbers = packNumbers(batch, offsets);
    const status = new Int32Array(batch.length);
    const rows = perSite ? offsets[batch.length] : batch.length;
    const out = new Float64Array(FINGERPRINT_LENGTH * rows);
    const run = (core: Parameters<Parameters<typeof callBatch>[2]>[0]) =>
      core.crystalnn_fingerprints(lattices, frac, numbers, offsets, perSite, out, status);
    if (opts.failures === "null") {
      // Only call-level problems throw here; per-crystal failures become null below.
      callBatch(FP_ACTION, new Int32Array(0), (core) => Math.min(run(core), 0), start);
    } else {
      callBatch(FP_ACTION, status, run, start);
    }
    for (let b = 0; b < batch.length; b++) {
      if (status[b] !== 0) {
        results.push(null);
        continue;
      }
      const r0 = perSite ? offsets[b] : b, r1 = perSite ? offsets[b + 1] : b + 1;
      results.push(out.slice(FINGERPRINT_LENGTH * r0, FINGERPRINT_LENGTH * r1));
    }
  }
  return results;
}
