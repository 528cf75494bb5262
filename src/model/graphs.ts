/**
 * Builds the networks' {@linkcode GraphBatch} from crystals with the wasm geometry core.
 *
 * @module
 */

import type { Crystal } from "../crystal/crystal.ts";
import { neighborListMany, type NeighborOptions } from "../core/geometry.ts";
import { crystalOfAtoms, type GraphBatch } from "../nn/graph.ts";
import { buildDecoderGraph, type DecoderGraph, type DecoderGraphOptions } from "../nn/gemnet_graph.ts";
import { CDVAE_DECODER_GRAPH, CDVAE_ENCODER_CRYSTALNN } from "./config.ts";
import { crystalNNNeighborsMany } from "../core/crystalnn.ts";

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

/**
 * The reference encoder's graph: CrystalNN neighbours (CDVAE's settings: no distance cutoffs,
 * x_diff_weight −1, no porous adjustment) made into a pymatgen `StructureGraph` — each bond
 * normalised to (lower index → higher index, image of the higher), a self-bond to the image whose
 * first non-zero component is positive, duplicates dropped — then every bond (a → b, S) gives the
 * edge b→a with image S and its mirror a→b with −S, as the reference's `build_crystal_graph`.
 *
 * @param h The crystals (fractional coordinates as the model sees them)
 * @returns The graph, edges grouped by receiver in the bonds' order
 */
export function crystalNNGraph(h: HostCrystals): GraphBatch {
  const crystals = unpackHost(h);
  const lists = crystalNNNeighborsMany(crystals, CDVAE_ENCODER_CRYSTALNN);
  const recv: number[] = [], send: number[] = [], img: number[] = [];
  lists.forEach((nn, b) => {
    const base = h.atomOffsets[b];
    const seen = new Set<string>();
    for (let i = 0; i + 1 < nn.offsets.length; i++) {
      for (let e = nn.offsets[i]; e < nn.offsets[i + 1]; e++) {
        let from = i, to = nn.sites[e], S = [nn.images[3 * e], nn.images[3 * e + 1], nn.images[3 * e + 2]];
        if (to < from) [from, to, S] = [to, from, S.map((x) => -x)];
        else if (to === from) {
          if (S.every((x) => x === 0)) continue; // pymatgen ignores a bond to itself
          if (S.find((x) => x !== 0)! < 0) S = S.map((x) => -x);
        }
        const key = `${from},${to},${S}`;
        if (seen.has(key)) continue;
        seen.add(key);
        recv.push(base + from, base + to);
        send.push(base + to, base + from);
        img.push(...S, -S[0], -S[1], -S[2]);
      }
    }
  });
  const n = h.numbers.length, m = recv.length;
  const edgeOffsets = new Uint32Array(n + 1);
  for (const r of recv) edgeOffsets[r + 1]++;
  for (let i = 0; i < n; i++) edgeOffsets[i + 1] += edgeOffsets[i];
  const fill = edgeOffsets.slice(0, n);
  const senders = new Uint32Array(m), images = new Int32Array(3 * m);
  const vectors = new Float64Array(3 * m), distances = new Float64Array(m);
  const crystalOf = crystalOfAtoms(h);
  for (let e = 0; e < m; e++) {
    const i = recv[e], j = send[e], k = fill[i]++;
    senders[k] = j;
    const L = h.lattices.subarray(9 * crystalOf[i], 9 * crystalOf[i] + 9);
    let d2 = 0;
    for (let c = 0; c < 3; c++) {
      images[3 * k + c] = img[3 * e + c];
    }
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let r = 0; r < 3; r++) {
        v += (h.frac[3 * j + r] + img[3 * e + r] - h.frac[3 * i + r]) * L[3 * r + c];
      }
      vectors[3 * k + c] = v;
      d2 += v * v;
    }
    distances[k] = Math.sqrt(d2);
  }
  return {
    numCrystals: h.atomOffsets.length - 1,
    atomOffsets: h.atomOffsets,
    numbers: h.numbers,
    edgeOffsets,
    senders,
    images,
    vectors,
    distances,
  };
}

/** The encoder's graph as the config asks: CrystalNN (the reference) or a capped radius graph. */
export function encoderGraph(
  h: HostCrystals,
  enc: { graph: "radius" | "crystalnn"; cutoff: number; maxNeighbors: number },
): GraphBatch {
  return enc.graph === "crystalnn"
    ? crystalNNGraph(h)
    : buildGraph(h, { cutoff: enc.cutoff, maxNeighbors: enc.maxNeighbors });
}

/**
 * The decoder graph of a batch of crystals: the neighbour list (by default the reference's,
 * {@linkcode CDVAE_DECODER_GRAPH}: 7 Å, 20 nearest, 27 images) then `buildDecoderGraph` (src/nn/gemnet_graph.ts).
 *
 * @param crystals The batch (atoms numbered crystal after crystal)
 * @param neighbors Neighbour-list options (an uncapped list for an order-independent graph)
 * @param opts Symmetrisation, see `DecoderGraphOptions`
 * @returns The decoder graph
 *
 * @example Simple cubic, one atom: its six images at 3 Å, each its own reverse's partner
 * ```ts
 * import { decoderGraphOf } from "./graphs.ts";
 * import { assertEquals } from "../../tests/_assert.ts";
 * const c = { lattice: new Float64Array([3, 0, 0, 0, 3, 0, 0, 0, 3]), frac: new Float64Array(3),
 *   numbers: new Uint8Array([84]) };
 * const g = decoderGraphOf([c], { cutoff: 3.5, images: "adjacent" });
 * assertEquals(g.sources.length, 6);
 * assertEquals(g.kmax, 5);
 * ```
 */
export function decoderGraphOf(
  crystals: readonly Crystal[],
  neighbors: Readonly<NeighborOptions> = CDVAE_DECODER_GRAPH,
  opts: DecoderGraphOptions = {},
): DecoderGraph {
  const nl = neighborListMany(crystals, { ...neighbors, vectors: true });
  const numbers = new Uint8Array(nl.offsets.length - 1);
  let a = 0;
  for (const c of crystals) for (const z of c.numbers) numbers[a++] = z;
  return buildDecoderGraph({
    numCrystals: crystals.length,
    atomOffsets: nl.atomOffsets,
    numbers,
    edgeOffsets: nl.offsets,
    senders: nl.senders,
    images: nl.images,
    vectors: nl.vectors,
    distances: nl.distances,
  }, opts);
}
