/**
 * The periodic k-nearest-neighbour table of points in cells (kernel `decoder_graph`, registered
 * here with its reference `_cpu_graph.ts` and `shaders/decoder_graph.wgsl`): the building block of
 * the decoder graph rebuilt on the device each Langevin step. Plain arrays in, a fixed-width table
 * out.
 *
 * @module
 */

import type { Tensor } from "../../compute/tensor.ts";
import {
  checkIndex,
  defineKernel,
  expectRank,
  grid1d,
  launch,
  out,
  registerKernel,
} from "../../compute/kernels.ts";
import { decoderGraph } from "./_cpu_graph.ts";

// One invocation per receiver; the wasm backend runs the reference (the CPU sampler builds its
// graph with the wasm geometry core instead).
registerKernel({
  ...defineKernel(
    "decoder_graph",
    "decoder_graph.wgsl",
    "decoder_graph",
    "frac crystal offsets lattices edges geom count",
    "n k r2:f32",
    decoderGraph,
    "K",
  ),
  wasmUsesReference: true,
});

/** Largest `maxNeighbors` of {@linkcode neighborTable}: the kernel keeps its list in a private array. */
export const MAX_TABLE_NEIGHBORS = 32;

/** Sender of an unused slot of a {@linkcode NeighborTable} row. */
export const NO_SENDER = 0xffffffff;

/** Options of {@linkcode neighborTable}. */
export interface NeighborTableOptions {
  /** Radius (same unit as the lattices); a pair is kept when 1e-4 < d² ≤ cutoff². */
  cutoff: number;
  /** Neighbours kept per point, nearest first, 1..{@linkcode MAX_TABLE_NEIGHBORS}; the table's width. */
  maxNeighbors: number;
}

/** The table of {@linkcode neighborTable}: K = `maxNeighbors` slots per point, used ones first. */
export interface NeighborTable {
  /** `[N, K, 2]` u32: global sender j and image code s = 9(S₀+1) + 3(S₁+1) + (S₂+1). */
  edges: Tensor;
  /** `[N, K, 4]` f32: edge vector r_ij = (f_j − f_i + S)·L and its length. */
  geom: Tensor;
  /** `[N]` u32: used slots per point. */
  count: Tensor;
}

/**
 * For every point i, the `maxNeighbors` nearest points j of its own cell over the 27 images
 * S ∈ {−1, 0, 1}³ (CDVAE's `radius_graph_pbc`), nearest first, exact f32 ties by (j, S). Computed
 * in f32 on the backend; nothing is read back.
 *
 * @param frac `[N, 3]` f32 fractional coordinates (used as given, not wrapped)
 * @param crystal `[N]` u32 cell of each point
 * @param offsets `[B + 1]` u32: cell b owns points offsets[b]..offsets[b + 1]
 * @param lattices `[B, 9]` f32 cells, rows = vectors
 * @param opts Cutoff and cap
 * @returns The table (new tensors the caller disposes)
 * @throws {RangeError} When `maxNeighbors` is not an integer in 1..32 or the cutoff is negative
 * @example One atom in a 3 Å cube: its 6 face images, then 6 of the 12 edge images
 * ```ts
 * import { getBackend } from "../../compute/backend.ts";
 * import { Tensor } from "../../compute/tensor.ts";
 * import { neighborTable } from "./neighbors.ts";
 * import { assertEquals } from "../../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const t = neighborTable(
 *   Tensor.from(be, new Float32Array(3), [1, 3]),
 *   Tensor.from(be, new Uint32Array([0])),
 *   Tensor.from(be, new Uint32Array([0, 1])),
 *   Tensor.from(be, new Float32Array([3, 0, 0, 0, 3, 0, 0, 0, 3]), [1, 9]),
 *   { cutoff: 7, maxNeighbors: 12 },
 * );
 * assertEquals([...await t.count.read()], [12]);
 * assertEquals((await t.edges.read()).filter((_, e) => e % 2 === 1).slice(0, 6), new Uint32Array([4, 10, 12, 14, 16, 22]));
 * ```
 */
export function neighborTable(
  frac: Tensor,
  crystal: Tensor,
  offsets: Tensor,
  lattices: Tensor,
  opts: NeighborTableOptions,
): NeighborTable {
  const what = "build the neighbour table";
  const k = opts.maxNeighbors;
  if (!Number.isInteger(k) || k < 1 || k > MAX_TABLE_NEIGHBORS) {
    throw new RangeError(`Cannot ${what}: maxNeighbors must be an integer in 1..32, got "${k}"`);
  }
  if (!(opts.cutoff >= 0) || !Number.isFinite(opts.cutoff)) {
    throw new RangeError(`Cannot ${what}: cutoff must be finite and ≥ 0, got "${opts.cutoff}"`);
  }
  expectRank(frac, 2, what);
  expectRank(lattices, 2, what);
  [crystal, offsets].forEach((t) => checkIndex(t, what));
  const n = frac.shape[0], be = frac.backend;
  const table = {
    edges: out(be, [n, k, 2], "u32"),
    geom: out(be, [n, k, 4]),
    count: out(be, [n], "u32"),
  };
  const bufs = [frac, crystal, offsets, lattices, table.edges, table.geom, table.count];
  // K (table width) is a constant: the private list is sized by it, one pipeline per width.
  launch(be, "decoder_graph", bufs, { n, k, r2: opts.cutoff * opts.cutoff }, grid1d(n), { K: k });
  return table;
}
