/**
 * GemNet-T's decoder graph built on the device from a {@linkcode NeighborTable}: the reference's
 * re-symmetrisation, edges grouped by target, the reverse-edge map and the padded triplet slots
 * (kernels of `shaders/decoder_edges.wgsl`, registered here with their references `_cpu_edges.ts`;
 * the bases on this graph are src/nn/device/gemnet_bases.ts). With `neighborTable` this is the
 * whole graph of a Langevin step without the host; the only value read back is the pair
 * (edge count, triplet width) that sizes the tensors. The result is the host's
 * `buildDecoderGraph` (src/nn/gemnet_graph.ts) of the same table, edge for edge, in f32.
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
import type { DeviceDecoderGraph } from "../../nn/device/gemnet_bases.ts";
import type { NeighborTable } from "./neighbors.ts";
import * as edges from "./_cpu_edges.ts";

export type { DeviceDecoderGraph } from "../../nn/device/gemnet_bases.ts";

const SHADER = "decoder_edges.wgsl";
// The wasm backend runs the references (its sampler builds the graph on the host).
for (
  const def of [
    defineKernel("edges_degree", SHADER, "edges_degree", "edges range deg", "n k", edges.edgesDegree),
    defineKernel("edges_offsets", SHADER, "edges_offsets", "deg offsets sizes", "n", edges.edgesOffsets),
    defineKernel(
      "edges_fill",
      SHADER,
      "edges_fill",
      "edges geom range offsets src tgt egeom slot",
      "n k",
      edges.edgesFill,
    ),
    defineKernel("edges_swap", SHADER, "edges_swap", "slot swap", "n k", edges.edgesSwap),
    defineKernel(
      "triplet_slots",
      SHADER,
      "triplet_slots",
      "tgt offsets egeom trip cos count",
      "e kmax",
      edges.tripletSlots,
    ),
  ]
) registerKernel({ ...def, wasmUsesReference: true });

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
