/**
 * The plain-array input of the graph networks: a batch of periodic graphs with atoms numbered
 * globally (crystal after crystal) and edges grouped by receiver. `src/model/` builds it with the
 * wasm geometry core; the networks only read it (geometry needs no gradient: the decoder
 * predicts scores directly), so bases, angles and triplets are computed on the host in f64.
 *
 * Edge convention (as `src/core/geometry.ts`): edge e has receiver i (the CSR row), sender j and
 * image S; its vector is r_ij = x_j + S·L − x_i (Å), pointing from the receiver to the sender.
 *
 * @module
 */

/** A batch of periodic graphs. */
export interface GraphBatch {
  /** Number of crystals B. */
  numCrystals: number;
  /** `[B + 1]`: crystal b owns atoms `atomOffsets[b]..atomOffsets[b + 1]`. */
  atomOffsets: Uint32Array;
  /** `[N]` atomic numbers 1…100 (the networks embed `number − 1`). */
  numbers: Uint8Array;
  /** `[N + 1]`: receiver i owns edges `edgeOffsets[i]..edgeOffsets[i + 1]`. */
  edgeOffsets: Uint32Array;
  /** `[E]` sender atom (global index, in the receiver's crystal). */
  senders: Uint32Array;
  /** `[3E]` image offset S of each edge's sender (integers). */
  images: Int32Array;
  /** `[3E]` edge vectors r_ij (Å). */
  vectors: Float64Array;
  /** `[E]` edge lengths |r_ij| (Å). */
  distances: Float64Array;
}

/** Number of atoms N of a batch. */
export function atomTotal(g: Pick<GraphBatch, "atomOffsets">): number {
  return g.atomOffsets[g.atomOffsets.length - 1];
}

/** `[E]` receiver of each edge, expanded from the CSR offsets. */
export function receiversOf(g: Pick<GraphBatch, "edgeOffsets">): Uint32Array {
  const n = g.edgeOffsets.length - 1;
  const out = new Uint32Array(g.edgeOffsets[n]);
  for (let i = 0; i < n; i++) out.fill(i, g.edgeOffsets[i], g.edgeOffsets[i + 1]);
  return out;
}

/** `[N]` crystal of each atom, expanded from the atom offsets. */
export function crystalOfAtoms(g: Pick<GraphBatch, "atomOffsets">): Uint32Array {
  const b = g.atomOffsets.length - 1;
  const out = new Uint32Array(g.atomOffsets[b]);
  for (let c = 0; c < b; c++) out.fill(c, g.atomOffsets[c], g.atomOffsets[c + 1]);
  return out;
}
