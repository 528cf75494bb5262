/**
 * Cell geometry and periodic neighbour lists on the wasm core (f64, deterministic): neighbour
 * lists in CSR form, the minimum-image displacement (CDVAE's d_min target), wrapping, minimum
 * interatomic distance, cell volume and density. Batch functions take many crystals per call.
 *
 * Conventions: lattices are row-major `Float64Array(9)` whose rows are the vectors a, b, c (Å);
 * Cartesian = frac · L. An image S (3 integers) of atom j sits at x_j + S·L. For an edge with
 * receiver i, sender j and image S the vector is **r_ij = x_j − x_i + S·L** (as vesin) and the
 * distance |r_ij|. Self-images (i, i, S ≠ 0) are edges; (i, i, 0) never is.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { wrapFrac } from "../crystal/lattice.ts";
import { callBatch, callChunks, callCore, GeometryError, packCrystals } from "./wasm.ts";
import { neighborArgs, NL_ACTION, searchPacked } from "./_neighbors.ts";
import { niggliReduce } from "./lattice.ts";
import { minPairDistanceCells } from "./_min_distance_cells.ts";

export { GeometryError } from "./wasm.ts";
export { DEFAULT_MAX_EDGES } from "./_neighbors.ts";

/**
 * Which periodic images a search considers:
 * - `"all"`: every image within the cutoff, on any cell (1-atom, skewed, needle-thin). A pair is
 *   kept when d² ≤ r² + 1e-8 Å², pymatgen's `numerical_tol`, so the (i, j, S) triples equal
 *   pymatgen's `Structure.get_neighbor_list(r)`.
 * - `"adjacent"`: the cell and its 26 neighbours only, S ∈ {−1, 0, 1}³ around the coordinates as
 *   given, kept when 1e-4 Å² < d² ≤ r² (so coincident atoms are dropped too), as CDVAE's
 *   `radius_graph_pbc`. Not the true neighbourhood of thin or skewed cells; CDVAE's decoder graph
 *   uses it to match the reference.
 */
export type ImageSearch = "all" | "adjacent";

/** Options of {@linkcode neighborList} and {@linkcode neighborListMany}. */
export interface NeighborOptions {
  /** Radius in Å, finite and ≥ 0. */
  cutoff: number;
  /**
   * Keep only the k nearest neighbours per receiver, nearest first. Ties: distances within 1e-8 Å
   * of each other (chained in sorted order) count as equal and are ordered by sender index, then
   * image (lexicographic), the rule of cdvae-reference-audit.md decision 6.
   */
  maxNeighbors?: number;
  /** Which images to search; `"all"` by default. */
  images?: ImageSearch;
  /** Also return the edge vectors (default `true`); `false` saves 24 bytes per edge. */
  vectors?: boolean;
  /** Refuse with a `"too-large"` error instead of returning more edges than this (default 2²⁴). */
  maxEdges?: number;
}

/**
 * A neighbour list in CSR form, grouped by receiver. Receiver i owns edges
 * `offsets[i]..offsets[i + 1]`; edge e has sender `senders[e]`, image `images[3e..3e+3]`, distance
 * `distances[e]` and vector `vectors[3e..3e+3]` = x_j − x_i + S·L. Without `maxNeighbors` a
 * receiver's edges are ordered by sender (a sender's images in a fixed order that depends only on
 * the lattice); with it, nearest first.
 */
export interface NeighborList {
  /** `[N + 1]` edge offsets by receiver. */
  offsets: Uint32Array;
  /** `[E]` sender atom index of each edge. */
  senders: Uint32Array;
  /** `[3E]` image S of each edge's sender. */
  images: Int32Array;
  /** `[E]` edge lengths (Å). */
  distances: Float64Array;
  /** `[3E]` edge vectors r_ij (Å); empty when `vectors: false`. */
  vectors: Float64Array;
}

/**
 * The neighbour lists of a batch as one CSR list over all atoms (crystal after crystal, global
 * atom indices, so senders of crystal b lie in its own atom range).
 */
export interface NeighborListBatch extends NeighborList {
  /** `[M + 1]`: crystal b owns atoms (receivers) `atomOffsets[b]..atomOffsets[b + 1]`. */
  atomOffsets: Uint32Array;
}

/**
 * Periodic neighbour list of one crystal: every (sender, image) within `cutoff` of each atom, or
 * the `maxNeighbors` nearest. See the module comment for the edge convention.
 *
 * @param c The crystal (at least one atom)
 * @param opts Cutoff, optional cap, image search, outputs
 * @returns The list in CSR form by receiver
 * @throws {GeometryError} `"bad-parameter"` (cutoff NaN or negative, bad cap), `"degenerate-lattice"`,
 *   `"non-finite"`, `"no-atoms"`, `"too-large"` (cell too thin for the cutoff, more than `maxEdges` edges)
 * @example Simple cubic: six neighbours at 3 Å, all images of the one atom
 * ```ts
 * import assert from "node:assert";
 * const c = {
 *   lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]),
 *   frac: new Float64Array([0, 0, 0]),
 *   numbers: new Uint8Array([84]),
 * };
 * const nl = neighborList(c, { cutoff: 3.5 });
 * assert.deepStrictEqual([...nl.offsets], [0, 6]);
 * assert.ok(nl.distances.every((d) => Math.abs(d - 3) < 1e-12));
 * assert.deepStrictEqual([...nl.vectors.subarray(0, 3)].map(Math.abs).sort(), [0, 0, 3]);
 * ```
 */
export function neighborList(c: Crystal, opts: NeighborOptions): NeighborList {
  const { atomOffsets: _, ...list } = neighborListMany([c], opts);
  return list;
}

/**
 * Periodic neighbour lists of many crystals, one CSR list over all their atoms (global indices).
 * One call into the core handles thousands of crystals.
 *
 * @param crystals The crystals (each with at least one atom)
 * @param opts As {@linkcode neighborList}; `maxEdges` caps the whole batch
 * @returns The list and the atom offsets of each crystal
 * @throws {GeometryError} For the first crystal that fails; `index` says which
 * @example A 7 Å graph of two copies of a crystal, 20 nearest over the 27 adjacent images
 * ```ts
 * import assert from "node:assert";
 * const c = {
 *   lattice: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([55, 17]),
 * };
 * const nl = neighborListMany([c, c], { cutoff: 7, maxNeighbors: 20, images: "adjacent" });
 * assert.deepStrictEqual([...nl.atomOffsets], [0, 2, 4]);
 * assert.strictEqual(nl.offsets[4], 4 * 20);
 * assert.ok(nl.senders.subarray(nl.offsets[2]).every((j) => j >= 2));
 * ```
 */
export function neighborListMany(crystals: readonly Crystal[], opts: NeighborOptions): NeighborListBatch {
  const args = neighborArgs(opts);
  const parts: NeighborListBatch[] = [];
  let edges = 0;
  for (const [offset, batch] of callChunks(crystals)) {
    const packed = packCrystals(batch, NL_ACTION);
    const { result: r } = searchPacked(packed, args, args.maxEdges - edges, offset);
    try {
      parts.push({
        atomOffsets: packed.offsets,
        offsets: r.take_offsets(),
        senders: r.take_senders(),
        images: r.take_images(),
        distances: r.take_distances(),
        vectors: r.take_vectors(),
      });
    } finally {
      r.free();
    }
    edges += parts[parts.length - 1].senders.length;
  }
  return parts.length === 1 ? parts[0] : concat(parts);
}

/** Joins chunk results, shifting atom indices and offsets. */
function concat(parts: NeighborListBatch[]): NeighborListBatch {
  const sum = (f: (p: NeighborListBatch) => number) => parts.reduce((s, p) => s + f(p), 0);
  const nAtoms = sum((p) => p.offsets.length - 1), nEdges = sum((p) => p.senders.length);
  const out: NeighborListBatch = {
    atomOffsets: new Uint32Array(sum((p) => p.atomOffsets.length - 1) + 1),
    offsets: new Uint32Array(nAtoms + 1),
    senders: new Uint32Array(nEdges),
    images: new Int32Array(3 * nEdges),
    distances: new Float64Array(nEdges),
    vectors: new Float64Array(sum((p) => p.vectors.length)),
  };
  let crystals = 0, atoms = 0, edges = 0, vecs = 0;
  for (const p of parts) {
    for (let b = 1; b < p.atomOffsets.length; b++) out.atomOffsets[crystals + b] = atoms + p.atomOffsets[b];
    for (let i = 1; i < p.offsets.length; i++) out.offsets[atoms + i] = edges + p.offsets[i];
    for (let e = 0; e < p.senders.length; e++) out.senders[edges + e] = atoms + p.senders[e];
    out.images.set(p.images, 3 * edges);
    out.distances.set(p.distances, edges);
    out.vectors.set(p.vectors, vecs);
    crystals += p.atomOffsets.length - 1;
    atoms += p.offsets.length - 1;
    edges += p.senders.length;
    vecs += p.vectors.length;
  }
  return out;
}

/** Options of {@linkcode minImageDisplacement}. */
export interface MinImageOptions {
  /** `"adjacent"` (default): the 27 images S ∈ {−1, 0, 1}³, as CDVAE; `"all"`: the exact minimum image. */
  images?: ImageSearch;
}

/**
 * Per atom, the shortest vector (x_b + S·L) − x_a from atom a of `fracA` to an image of the same
 * atom in `fracB` (Å, 3 numbers per atom). CDVAE's coordinate target d_min is
 * `minImageDisplacement(noisy, true, lattice)`: from the noisy position to the nearest image of
 * the true one, over the reference's 27 images by default. Exact ties keep the lexicographically
 * smallest S.
 *
 * @param fracA Fractional coordinates, flat N×3
 * @param fracB Fractional coordinates, flat N×3
 * @param lattice Row-major 3×3, rows = vectors (Å)
 * @param opts Which images to search
 * @returns Cartesian displacements, flat N×3
 * @throws {GeometryError} `"bad-shape"`, `"non-finite"`, `"degenerate-lattice"`, `"too-large"`
 * @example Across the cell boundary
 * ```ts
 * import assert from "node:assert";
 * const L = new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]);
 * const d = minImageDisplacement(new Float64Array([0.9, 0, 0]), new Float64Array([0.1, 0, 0]), L);
 * assert.ok(Math.abs(d[0] - 0.8) < 1e-12 && d[1] === 0 && d[2] === 0);
 * ```
 */
export function minImageDisplacement(
  fracA: Float64Array,
  fracB: Float64Array,
  lattice: Float64Array,
  opts: MinImageOptions = {},
): Float64Array {
  return minImageDisplacementMany(lattice, fracA, fracB, new Uint32Array([0, fracA.length / 3 | 0]), opts);
}

/**
 * {@linkcode minImageDisplacement} for a batch in packed form: lattices `[9M]`, coordinates
 * `[3N]` crystal after crystal, `atomOffsets` `[M + 1]`.
 *
 * @param lattices `M` lattices, row-major
 * @param fracA Fractional coordinates of all atoms
 * @param fracB Fractional coordinates of all atoms, same layout
 * @param atomOffsets Crystal b owns atoms `atomOffsets[b]..atomOffsets[b + 1]`
 * @param opts Which images to search
 * @returns Cartesian displacements `[3N]`
 * @throws {GeometryError} For the first crystal that fails
 * @example Two crystals in one call
 * ```ts
 * import assert from "node:assert";
 * const L = [2, 0, 0, 0, 2, 0, 0, 0, 2];
 * const d = minImageDisplacementMany(
 *   new Float64Array([...L, ...L]),
 *   new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   new Float64Array([0.75, 0, 0, 0.5, 0.5, 0.25]),
 *   new Uint32Array([0, 1, 2]),
 * );
 * assert.deepStrictEqual([...d], [-0.5, 0, 0, 0, 0, -0.5]);
 * ```
 */
export function minImageDisplacementMany(
  lattices: Float64Array,
  fracA: Float64Array,
  fracB: Float64Array,
  atomOffsets: Uint32Array,
  opts: MinImageOptions = {},
): Float64Array {
  const action = "compute the minimum-image displacement of";
  const out = new Float64Array(fracA.length);
  const status = new Int32Array(Math.max(atomOffsets.length - 1, 0));
  const adjacent = (opts.images ?? "adjacent") === "adjacent";
  callBatch(
    action,
    status,
    (core) => core.min_image_displacements(lattices, fracA, fracB, atomOffsets, adjacent, out, status),
  );
  return out;
}

/** Options of {@linkcode minDistance}. */
export interface MinDistanceOptions {
  /**
   * Count an atom's own periodic images (default `true`, so a 1-atom cell gives its shortest
   * lattice vector). `false` looks at pairs of distinct atoms only, as CDVAE's validity check
   * (`structure.distance_matrix` with a large diagonal); a 1-atom crystal then gives +∞.
   */
  selfImages?: boolean;
}

/**
 * Smallest interatomic distance over every periodic image (Å), exact on any cell.
 *
 * @param c The crystal
 * @param opts Whether an atom's own images count
 * @returns The distance
 * @throws {GeometryError} `"degenerate-lattice"`, `"non-finite"`, `"no-atoms"`, `"too-large"`
 * @example Rock salt: Na–Cl at half the cubic edge
 * ```ts
 * import assert from "node:assert";
 * const c = {
 *   lattice: new Float64Array([5.6, 0, 0, 0, 5.6, 0, 0, 0, 5.6]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0, 0]),
 *   numbers: new Uint8Array([11, 17]),
 * };
 * assert.ok(Math.abs(minDistance(c) - 2.8) < 1e-12);
 * ```
 */
export function minDistance(c: Crystal, opts: MinDistanceOptions = {}): number {
  return minDistanceMany([c], opts)[0];
}

/**
 * {@linkcode minDistance} of many crystals.
 *
 * @param crystals The crystals
 * @param opts Whether an atom's own images count
 * @returns One distance per crystal
 * @throws {GeometryError} For the first crystal that fails
 * @example
 * ```ts
 * import assert from "node:assert";
 * const one = { lattice: new Float64Array([2, 0, 0, 0, 3, 0, 0, 0, 4]), frac: new Float64Array(3), numbers: new Uint8Array([1]) };
 * assert.deepStrictEqual([...minDistanceMany([one, one], { selfImages: false })], [Infinity, Infinity]);
 * ```
 */
export function minDistanceMany(crystals: readonly Crystal[], opts: MinDistanceOptions = {}): Float64Array {
  const action = "compute the minimum distance of";
  const out = new Float64Array(crystals.length).fill(NaN);
  const selfImages = opts.selfImages ?? true;
  // Skewed cells make the core's image search grow as 1/sin²(angle): reduce them first (distances
  // do not depend on the basis). Large crystals go to a cell list; the rest to the core.
  const prepared = crystals.map(reducedIfSkewed);
  const rest: number[] = [];
  for (let i = 0; i < prepared.length; i++) {
    const c = prepared[i];
    const n = c.numbers?.length ?? 0;
    if (n < CELL_LIST_MIN_ATOMS || !c.lattice?.every(Number.isFinite) || !c.frac?.every(Number.isFinite)) {
      rest.push(i);
      continue;
    }
    const wrapped = { ...c, frac: Float64Array.from(c.frac, wrapFrac) };
    const pairs = minPairDistanceCells(wrapped);
    if (pairs === undefined) {
      if (n > MAX_PAIR_SEARCH_ATOMS) {
        throw new GeometryError(
          "too-large",
          `Cannot ${action} crystal ${i}: ${n} atoms in a cell too thin for a cell list; ` +
            `the pair search stops at ${MAX_PAIR_SEARCH_ATOMS} atoms`,
          { index: i },
        );
      }
      rest.push(i);
      continue;
    }
    // An atom's own images: the shortest lattice vector, from the core on one atom.
    out[i] = selfImages
      ? Math.min(
        pairs,
        minDistanceCore(
          [{ ...c, frac: new Float64Array(3), numbers: c.numbers.subarray(0, 1) }],
          true,
          action,
        )[0],
      )
      : pairs;
  }
  const core = minDistanceCore(rest.map((i) => prepared[i]), selfImages, action, rest);
  rest.forEach((i, k) => (out[i] = core[k]));
  return out;
}

/** Crystals from this many atoms on take the cell-list path of {@linkcode minDistanceMany}. */
const CELL_LIST_MIN_ATOMS = 2000;

/** Most atoms the core's quadratic pair search is given (about a minute at 20 000). */
const MAX_PAIR_SEARCH_ATOMS = 20_000;

/** Orthogonality defect |a||b||c|/V above which a cell is Niggli-reduced before distance searches. */
const MAX_ORTHOGONALITY_DEFECT = 4;

function reducedIfSkewed(c: Crystal): Crystal {
  const l = c.lattice;
  if (!(l instanceof Float64Array) || l.length !== 9 || !l.every(Number.isFinite)) return c;
  const len = (k: number) => Math.hypot(l[3 * k], l[3 * k + 1], l[3 * k + 2]);
  const v = Math.abs(
    l[0] * (l[4] * l[8] - l[5] * l[7]) - l[1] * (l[3] * l[8] - l[5] * l[6]) +
      l[2] * (l[3] * l[7] - l[4] * l[6]),
  );
  if (!(v > 0) || len(0) * len(1) * len(2) <= MAX_ORTHOGONALITY_DEFECT * v) return c;
  try {
    return niggliReduce(c).crystal;
  } catch {
    return c; // the core reports the problem itself
  }
}

/** The core's pair search; `indices` map batch positions back to the caller's for errors. */
function minDistanceCore(
  crystals: readonly Crystal[],
  selfImages: boolean,
  action: string,
  indices?: number[],
): Float64Array {
  const out = new Float64Array(crystals.length);
  try {
    for (const [offset, batch] of callChunks(crystals)) {
      const { lattices, frac, offsets } = packCrystals(batch, action);
      const part = new Float64Array(batch.length);
      const status = new Int32Array(batch.length);
      callBatch(
        action,
        status,
        (core) => core.min_distances(lattices, frac, offsets, selfImages, part, status),
        offset,
      );
      out.set(part, offset);
    }
  } catch (e) {
    if (!(e instanceof GeometryError) || e.index === undefined || indices === undefined) throw e;
    const i = indices[e.index];
    throw new GeometryError(e.kind, e.message.replace(/crystal \d+/, `crystal ${i}`), {
      index: i,
      cause: e.cause,
    });
  }
  return out;
}

/**
 * Cell volume |det L| in Å³.
 *
 * @param c The crystal (only its lattice is used)
 * @returns The volume
 * @throws {GeometryError} `"degenerate-lattice"`, `"non-finite"`, `"too-large"`
 * @example
 * ```ts
 * import assert from "node:assert";
 * const c = { lattice: new Float64Array([2, 0, 0, 1, 3, 0, 0.5, 0.5, 4]), frac: new Float64Array(0), numbers: new Uint8Array(0) };
 * assert.ok(Math.abs(cellVolume(c) - 24) < 1e-12);
 * ```
 */
export function cellVolume(c: Pick<Crystal, "lattice">): number {
  return cellVolumeMany([c])[0];
}

/**
 * {@linkcode cellVolume} of many crystals.
 *
 * @param crystals The crystals (only their lattices are used)
 * @returns One volume per crystal (Å³)
 * @throws {GeometryError} For the first lattice that fails
 * @example
 * ```ts
 * import assert from "node:assert";
 * const c = { lattice: new Float64Array([1, 0, 0, 0, 2, 0, 0, 0, 3]) };
 * assert.deepStrictEqual([...cellVolumeMany([c, c])], [6, 6]);
 * ```
 */
export function cellVolumeMany(crystals: readonly Pick<Crystal, "lattice">[]): Float64Array {
  const action = "compute the volume of";
  const lattices = new Float64Array(9 * crystals.length);
  crystals.forEach((c, i) => {
    if (c.lattice?.length !== 9) {
      throw new GeometryError("bad-shape", `Cannot ${action} crystal ${i}: lattice must have 9 numbers`, {
        index: i,
      });
    }
    lattices.set(c.lattice, 9 * i);
  });
  const out = new Float64Array(crystals.length);
  const status = new Int32Array(crystals.length);
  callBatch(action, status, (core) => core.cell_volumes(lattices, out, status));
  return out;
}

/**
 * Density in g/cm³, as pymatgen's `Structure.density` (atomic masses from
 * `data/elements/atomic_masses.json`, pymatgen's values).
 *
 * @param c The crystal (at least one atom, atomic numbers 1–118)
 * @returns The density
 * @throws {GeometryError} `"bad-parameter"` for an atomic number outside 1–118, `"no-atoms"`,
 *   `"degenerate-lattice"`, `"non-finite"`
 * @example bcc iron
 * ```ts
 * import assert from "node:assert";
 * const fe = {
 *   lattice: new Float64Array([2.87, 0, 0, 0, 2.87, 0, 0, 0, 2.87]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   numbers: new Uint8Array([26, 26]),
 * };
 * assert.ok(Math.abs(density(fe) - 7.8) < 0.1);
 * ```
 */
export function density(c: Crystal): number {
  return densityMany([c])[0];
}

/**
 * {@linkcode density} of many crystals.
 *
 * @param crystals The crystals
 * @returns One density per crystal (g/cm³)
 * @throws {GeometryError} For the first crystal that fails
 * @example
 * ```ts
 * import assert from "node:assert";
 * const h = { lattice: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), frac: new Float64Array(3), numbers: new Uint8Array([1]) };
 * const [d] = densityMany([h]);
 * assert.ok(Math.abs(d - 1.00794 * 1.66053906892) < 1e-9);
 * ```
 */
export function densityMany(crystals: readonly Crystal[]): Float64Array {
  const action = "compute the density of";
  const out = new Float64Array(crystals.length);
  for (const [offset, batch] of callChunks(crystals)) {
    const { lattices, offsets } = packCrystals(batch, action);
    const numbers = new Uint8Array(offsets[batch.length]);
    batch.forEach((c, i) => numbers.set(c.numbers, offsets[i]));
    const part = new Float64Array(batch.length);
    const status = new Int32Array(batch.length);
    callBatch(action, status, (core) => core.densities(lattices, numbers, offsets, part, status), offset);
    out.set(part, offset);
  }
  return out;
}

/**
 * Atomic masses (u) of elements 1–118 from the core's embedded table; `masses[z - 1]` is element z.
 *
 * @returns 118 masses, as pymatgen's `Element.from_Z(z).atomic_mass`
 * @example
 * ```ts
 * import assert from "node:assert";
 * assert.strictEqual(atomicMasses()[5], 12.0107);
 * ```
 */
export function atomicMasses(): Float64Array {
  return callCore("read the atomic masses", (core) => core.atomic_masses());
}
