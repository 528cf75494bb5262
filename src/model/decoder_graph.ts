/**
 * The decoder's graph built on a compute backend (`shaders/decoder_graph.wgsl`) instead of the
 * wasm geometry core. {@linkcode uploadBatch} puts a batch on the device once and
 * {@linkcode decoderGraphResident} builds GemNet-T's graph of its current coordinates there (the
 * resident Langevin loop's graph, src/model/sampler.ts); {@linkcode decoderGraphOnDevice} reads the
 * neighbour table back and compacts it into the {@linkcode GraphBatch} that `buildGraph`
 * (graphs.ts) returns, so the two can be compared.
 *
 * @module
 */

import type { Backend } from "../compute/backend.ts";
import { crystalRanges, type DeviceDecoderGraph, symmetricDecoderGraph } from "./device/decoder_edges.ts";
import { type NeighborTable, neighborTable, NO_SENDER } from "./device/neighbors.ts";
import { Tensor } from "../compute/tensor.ts";
import { CDVAE_DECODER_GRAPH } from "./config.ts";
import { crystalOfAtoms, type GraphBatch } from "../nn/graph.ts";
import type { HostCrystals } from "./graphs.ts";

/** Options of {@linkcode decoderGraphOnDevice}: the decoder's cutoff (Å) and cap (≤ 32). */
export interface DeviceGraphOptions {
  /** Radius in Å (default 7). */
  cutoff?: number;
  /** Nearest neighbours kept per receiver, 1..32 (default 20). */
  maxNeighbors?: number;
}

/**
 * The decoder graph of a batch (CDVAE's 27 images, the `maxNeighbors` nearest within the cutoff,
 * nearest first), computed in f32 on `be` and read back once. It equals
 * `buildGraph(h, { cutoff, maxNeighbors, images: "adjacent" })` up to f32 rounding: distances within
 * about 1e-5 Å, and the same edges in the same order except where two candidates' distances are
 * within f32 rounding of each other or of the cutoff (exact ties in symmetric crystals included:
 * the wasm core treats distances within 1e-8 Å as tied, f32 only exactly equal ones).
 *
 * @param be The backend that runs the kernel
 * @param h The crystals
 * @param opts Cutoff and cap
 * @returns The graph, edges by receiver, vectors r_ij = x_j + S·L − x_i
 * @example Two atoms of CsCl: 8 nearest at the cube corners
 * ```ts
 * import { getBackend } from "../compute/backend.ts";
 * import { decoderGraphOnDevice } from "./decoder_graph.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const be = await getBackend({ prefer: "reference" });
 * const h = {
 *   atomOffsets: new Uint32Array([0, 2]),
 *   numbers: new Uint8Array([55, 17]),
 *   frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
 *   lattices: new Float64Array([4, 0, 0, 0, 4, 0, 0, 0, 4]),
 * };
 * const g = await decoderGraphOnDevice(be, h, { maxNeighbors: 8 });
 * assertEquals([...g.edgeOffsets], [0, 8, 16]);
 * assertEquals([...g.senders.subarray(0, 8)], [1, 1, 1, 1, 1, 1, 1, 1]);
 * ```
 */
export async function decoderGraphOnDevice(
  be: Backend,
  h: HostCrystals,
  opts: DeviceGraphOptions = {},
): Promise<GraphBatch> {
  const k = opts.maxNeighbors ?? CDVAE_DECODER_GRAPH.maxNeighbors!;
  const batch = uploadBatch(be, h);
  try {
    const t = decoderTable(batch, opts);
    try {
      const [edges, geom, count] = await Promise.all([t.edges.read(), t.geom.read(), t.count.read()]);
      return {
        numCrystals: h.atomOffsets.length - 1,
        atomOffsets: h.atomOffsets,
        numbers: h.numbers,
        ...compact(edges, geom, count, k),
      };
    } finally {
      Object.values(t).forEach((x) => x.dispose());
    }
  } finally {
    batch.dispose();
  }
}

/** A batch's geometry on a backend, as the graph kernels read it (f32 coordinates and cells). */
export interface DeviceBatch {
  /** `[N, 3]` f32 fractional coordinates. */
  frac: Tensor;
  /** `[N]` u32 crystal of each atom. */
  crystal: Tensor;
  /** `[B + 1]` u32 atom offsets. */
  offsets: Tensor;
  /** `[B, 9]` f32 lattices, rows = vectors. */
  lattices: Tensor;
  /** `[N, 2]` u32 first and one-past-last atom of each atom's crystal. */
  range: Tensor;
  /** Frees the tensors. */
  dispose(): void;
}

/**
 * Uploads a batch's coordinates, cells and atom indices once (the resident sampler keeps them and
 * updates `frac` in place).
 *
 * @param be The backend
 * @param h The crystals (their atomic numbers are not uploaded)
 * @returns The tensors, freed by `dispose()`
 */
export function uploadBatch(be: Backend, h: Omit<HostCrystals, "numbers">): DeviceBatch {
  const b = h.atomOffsets.length - 1, n = h.atomOffsets[b];
  const t = {
    frac: Tensor.from(be, Float32Array.from(h.frac), [n, 3]),
    crystal: Tensor.from(be, crystalOfAtoms(h)),
    offsets: Tensor.from(be, h.atomOffsets.slice()),
    lattices: Tensor.from(be, Float32Array.from(h.lattices), [b, 9]),
    range: Tensor.from(be, crystalRanges(h.atomOffsets)),
  };
  return { ...t, dispose: () => Object.values(t).forEach((x) => x.dispose()) };
}

/** The `[N, K]` neighbour table of the decoder's graph (defaults: 7 Å, 20 nearest). */
function decoderTable(batch: DeviceBatch, opts: DeviceGraphOptions): NeighborTable {
  return neighborTable(batch.frac, batch.crystal, batch.offsets, batch.lattices, {
    cutoff: opts.cutoff ?? CDVAE_DECODER_GRAPH.cutoff,
    maxNeighbors: opts.maxNeighbors ?? CDVAE_DECODER_GRAPH.maxNeighbors!,
  });
}

/**
 * GemNet-T's graph of the batch's current coordinates, built on the device without reading the
 * table back: the neighbour table, then {@linkcode symmetricDecoderGraph}.
 *
 * @param batch The uploaded batch
 * @param opts Cutoff and cap
 * @returns The graph (the caller disposes it)
 */
export async function decoderGraphResident(
  batch: DeviceBatch,
  opts: DeviceGraphOptions = {},
): Promise<DeviceDecoderGraph> {
  const table = decoderTable(batch, opts);
  try {
    return await symmetricDecoderGraph(table, batch.range);
  } finally {
    Object.values(table).forEach((t) => t.dispose());
  }
}

/** The used slots of a `[N, K]` table as CSR by receiver, in slot order (nearest first). */
function compact(
  edges: ArrayLike<number>,
  geom: ArrayLike<number>,
  count: ArrayLike<number>,
  k: number,
): Pick<GraphBatch, "edgeOffsets" | "senders" | "images" | "vectors" | "distances"> {
  const n = count.length, edgeOffsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) edgeOffsets[i + 1] = edgeOffsets[i] + count[i];
  const m = edgeOffsets[n];
  const senders = new Uint32Array(m), images = new Int32Array(3 * m);
  const vectors = new Float64Array(3 * m), distances = new Float64Array(m);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < count[i]; t++) {
      const slot = i * k + t, e = edgeOffsets[i] + t, s = edges[2 * slot + 1];
      if (edges[2 * slot] === NO_SENDER) {
        throw new Error(`Cannot read the decoder graph: slot ${t} of atom ${i} is empty`);
      }
      senders[e] = edges[2 * slot];
      images.set([Math.floor(s / 9) - 1, (Math.floor(s / 3) % 3) - 1, (s % 3) - 1], 3 * e);
      for (let c = 0; c < 3; c++) vectors[3 * e + c] = geom[4 * slot + c];
      distances[e] = geom[4 * slot + 3];
    }
  }
  return { edgeOffsets, senders, images, vectors, distances };
}
