/**
 * Builds the networks' {@linkcode GraphBatch} from crystals with the wasm geometry core.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { neighborListMany, type NeighborOptions } from "../core/geometry.ts";
import type { GraphBatch } from "../nn/graph.ts";

/** A minimal crystal batch on the host: atoms numbered globally, crystal after crystal. */
export interface HostCrystals {
  /** `[B + 1]` atom offsets. */
  atomOffsets: Uint32Array;
  /** `[N]` atomic numbers. */
  numbers: Uint8Array;
  /** `[3N]` fractional coordinates. */
  frac: Float64Array;
  /** `[9B]` lattices, rows = vectors. */
  lattices: Float64Array;
}

/** Packs crystals into one {@linkcode HostCrystals}. */
export function packHost(crystals: readonly Crystal[]): HostCrystals {
  const atomOffsets = new Uint32Array(crystals.length + 1);
  crystals.forEach((c, b) => atomOffsets[b + 1] = atomOffsets[b] + c.numbers.length);
  const n = atomOffsets[crystals.length];
  const numbers = new Uint8Array(n),
    frac = new Float64Array(3 * n),
    lattices = new Float64Array(9 * crystals.length);
  crystals.forEach((c, b) => {
    numbers.set(c.numbers, atomOffsets[b]);
    frac.set(c.frac, 3 * atomOffsets[b]);
    lattices.set(c.lattice, 9 * b);
  });
  return { atomOffsets, numbers, frac, lattices };
}

/** The crystals of a {@linkcode HostCrystals} (views into its arrays). */
export function unpackHost(h: HostCrystals): Crystal[] {
  const out: Crystal[] = [];
  for (let b = 0; b + 1 < h.atomOffsets.length; b++) {
    const a0 = h.atomOffsets[b], a1 = h.atomOffsets[b + 1];
    out.push({
      lattice: h.lattices.subarray(9 * b, 9 * b + 9),
      frac: h.frac.subarray(3 * a0, 3 * a1),
      numbers: h.numbers.subarray(a0, a1),
    });
  }
  return out;
}

/**
 * The periodic graph of a batch of crystals.
 *
 * @param h The crystals
 * @param opts Neighbour search (cutoff, cap, image rule)
 * @returns The graph, edges by receiver, vectors r_ij = x_j + S·L − x_i
 */
export function buildGraph(h: HostCrystals, opts: NeighborOptions): GraphBatch {
  const nl = neighborListMany(unpackHost(h), { ...opts, vectors: true });
  return {
    numCrystals: h.atomOffsets.length - 1,
    atomOffsets: h.atomOffsets,
    numbers: h.numbers,
    edgeOffsets: nl.offsets,
    senders: nl.senders,
    images: nl.images,
    vectors: nl.vectors,
    distances: nl.distances,
  };
}
