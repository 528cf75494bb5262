/**
 * GemNet-T's decoder graph built on the device from a {@linkcode NeighborTable}: the reference's
 * re-symmetrisation, edges grouped by target, the reverse-edge map, the padded triplet slots and
 * the radial and angular bases (`shaders/decoder_edges.wgsl`). With `neighborTable` this is the
 * whole graph of a Langevin step without the host; the only value read back is the pair
 * (edge count, triplet width) that sizes the tensors. The result is the host's
 * `buildDecoderGraph` (src/nn/gemnet_graph.ts) of the same table, edge for edge, in f32.
 *
 * @module
 */

import type { NeighborTable } from "./neighbors.ts";
import type { Tensor } from "./tensor.ts";
import { checkIndex, expectRank, grid1d, launch, out } from "./_launch.ts";

/** The decoder graph of {@linkcode symmetricDecoderGraph}: E edges grouped by target. */
export interface DeviceDecoderGraph {
  /** E. */
  numEdges: number;
  /** Kmax: triplet slots per edge, max(1, largest in-degree − 1). */
  kmax: number;
  /** `[E]` u32 source atom s. */
  sources: Tensor;
  /** `[E]` u32 target atom t (non-decreasing). */
  targets: Tensor;
  /** `[N + 1]` u32: target t owns edges targetOffsets[t]..targetOffsets[t + 1]. */
  targetOffsets: Tensor;
  /** `[E]` u32 reverse edge. */
  idSwap: Tensor;
  /** `[E, 4]` f32: unit vector V (source image → target) and length D. */
  edgeGeometry: Tensor;
  /** `[E·Kmax]` u32 id3_ba of each slot (padding: 0). */
  tripletEdges: Tensor;
  /** `[E, Kmax]` f32 cos φ_cab of each slot (padding: 0). */
  tripletCosines: Tensor;
  /** `[E]` u32 valid slots of each edge. */
  tripletCounts: Tensor;
  /** Frees every tensor. */
  dispose(): void;
}

/**
 * Re-symmetrises a neighbour table as the reference's GemNet-T does and lays out its triplets.
 *
 * @param table The table of `neighborTable` (K slots per atom, used ones first)
 * @param range `[N, 2]` u32: the first and one-past-last atom of each atom's crystal
 * @returns The graph (new tensors the caller disposes)
 * @throws {TypeError} When `range` does not match the table
 */
export async function symmetricDecoderGraph(
  table: NeighborTable,
  range: Tensor,
): Promise<DeviceDecoderGraph> {
  const what = "build the decoder graph";
  expectRank(table.edges, 3, what);
  checkIndex(range, what);
  const [n, k] = table.edges.shape, be = range.backend;
  if (range.size !== 2 * n) {
    throw new TypeError(`Cannot ${what}: range has ${range.size} entries, expected 2 per atom (${2 * n})`);
  }
  const deg = out(be, [n], "u32"), sizes = out(be, [2], "u32");
  const targetOffsets = out(be, [n + 1], "u32");
  const temps = [deg, sizes];
  // What the caller will own; freed here instead if a step fails.
  const owned: Tensor[] = [targetOffsets];
  try {
    launch(be, "edges_degree", [table.edges, range, deg], { n, k }, grid1d(n));
    launch(be, "edges_offsets", [deg, targetOffsets, sizes], { n }, [1, 1]);
    const [e, kmax] = await sizes.read();
    const g = {
      sources: out(be, [e], "u32"),
      targets: out(be, [e], "u32"),
      idSwap: out(be, [e], "u32"),
      edgeGeometry: out(be, [e, 4]),
      tripletEdges: out(be, [e * kmax], "u32"),
      tripletCosines: out(be, [e, kmax]),
      tripletCounts: out(be, [e], "u32"),
    };
    owned.push(...Object.values(g));
    const slot = out(be, [n * k, 2], "u32");
    temps.push(slot);
    if (e > 0) {
      const fillBufs = [
        table.edges,
        table.geom,
        range,
        targetOffsets,
        g.sources,
        g.targets,
        g.edgeGeometry,
        slot,
      ];
      launch(be, "edges_fill", fillBufs, { n, k }, grid1d(n));
      launch(be, "edges_swap", [slot, g.idSwap], { n, k }, grid1d(n * k));
      const tripBufs = [
        g.targets,
        targetOffsets,
        g.edgeGeometry,
        g.tripletEdges,
        g.tripletCosines,
        g.tripletCounts,
      ];
      launch(be, "triplet_slots", tripBufs, { e, kmax }, grid1d(e));
    }
    return { numEdges: e, kmax, ...g, targetOffsets, dispose: () => owned.forEach((t) => t.dispose()) };
  } catch (err) {
    owned.forEach((t) => t.dispose());
    throw err;
  } finally {
    temps.forEach((t) => t.dispose());
  }
}

/** Options of {@linkcode gaussianRadialBasisOnDevice} (GemNet's `RadialBasis`). */
export interface RadialBasisOptions {
  /** c (Å): distances are scaled by 1/c. */
  cutoff: number;
  /** p of the polynomial envelope (a non-negative integer; 5 in the reference). */
  envelopeExponent: number;
}

/**
 * GemNet's radial basis u(D/c)·exp(−½((D/c − μ_k)/Δ)²), Δ = 1/(K − 1), on the device (the
 * host's `gaussianRadialBasis` in src/nn/gemnet_bases.ts).
 *
 * @param edgeGeometry `[E, 4]` (V, D) of {@linkcode symmetricDecoderGraph}
 * @param centres `[K]` f32 Gaussian centres μ_k, K ≥ 2
 * @param opts Cutoff and envelope
 * @returns `[E, K]`
 */
export function gaussianRadialBasisOnDevice(
  edgeGeometry: Tensor,
  centres: Tensor,
  opts: RadialBasisOptions,
): Tensor {
  const e = edgeGeometry.shape[0], r = centres.size;
  if (r < 2 || !Number.isInteger(opts.envelopeExponent) || opts.envelopeExponent < 0) {
    throw new RangeError(
      `Cannot build the radial basis: need ≥ 2 centres and an integer exponent ≥ 0, got ${r} and "${opts.envelopeExponent}"`,
    );
  }
  const o = out(edgeGeometry.backend, [e, r]);
  if (e === 0) return o;
  const step = 1 / (r - 1);
  const params = { e, r, p: opts.envelopeExponent, inv_cutoff: 1 / opts.cutoff, coeff: -0.5 / (step * step) };
  launch(o.backend, "gemnet_rbf", [edgeGeometry, centres, o], params, grid1d(e * r));
  return o;
}

/**
 * Y_l⁰(cos φ) = √((2l + 1)/4π)·P_l(cos φ), l < `numSpherical`, of every triplet slot, zero on
 * padding: `[E, numSpherical, Kmax]`, the layout of the efficient bilinear layer.
 *
 * @param g The graph of {@linkcode symmetricDecoderGraph}
 * @param numSpherical S
 * @returns `[E, S, Kmax]`
 */
export function sphericalBasisOnDevice(g: DeviceDecoderGraph, numSpherical: number): Tensor {
  const e = g.numEdges, kmax = g.kmax;
  const o = out(g.sources.backend, [e, numSpherical, kmax]);
  if (e === 0) return o;
  const bufs = [g.tripletCosines, g.tripletCounts, o];
  launch(o.backend, "gemnet_cbf", bufs, { e, s: numSpherical, kmax }, grid1d(e * kmax));
  return o;
}

/**
 * `[N, 2]` u32 (first, one-past-last) atom of each atom's crystal: the `range` input of
 * {@linkcode symmetricDecoderGraph}.
 *
 * @param atomOffsets `[B + 1]`: crystal b owns atoms atomOffsets[b]..atomOffsets[b + 1]
 * @returns Host array to upload
 */
export function crystalRanges(atomOffsets: ArrayLike<number>): Uint32Array {
  const b = atomOffsets.length - 1, r = new Uint32Array(2 * atomOffsets[b]);
  for (let c = 0; c < b; c++) {
    for (let i = atomOffsets[c]; i < atomOffsets[c + 1]; i++) {
      r.set([atomOffsets[c], atomOffsets[c + 1]], 2 * i);
    }
  }
  return r;
}
