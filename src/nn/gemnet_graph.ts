/**
 * The decoder's interaction graph, host side: the reference's re-symmetrisation of the capped
 * neighbour list by atom index (cdvae-reference-audit.md D2), the reverse-edge map `idSwap` and
 * the triplets of GemNet-T in the padded [E, Kmax] layout of its efficient bilinear layer.
 *
 * Edge conventions (those of the reference's `GemNetT`, `gemnet.py`):
 *
 * ```
 *   source s (neighbour, carries the image S)  ──edge e = s→t──▶  target t (centre)
 *   D_e = |x_s + S·L − x_t|        V_e = (x_t − x_s − S·L) / D_e   (unit, source image → target)
 * ```
 *
 * A {@linkcode GraphBatch} edge (receiver i, sender j, image S, r_ij = x_j + S·L − x_i) is the
 * reference's edge s = j → t = i with the same S, D = |r_ij| and V = −r_ij / D. Messages are
 * aggregated into the target, and the decoder's score of atom t is Σ_{e: s→t} F_e·V_e.
 *
 * Triplets (b → a ← c): for each edge e = c→a (`id3_ca`), every other edge b→a into the same
 * target (`id3_ba`), distinct by edge id, so periodic images of one atom stay distinct and b = c
 * is allowed. cos φ_cab = clamp(V_ca·V_ba, −1, 1) is the true angle at a.
 *
 * @module
 */

import { atomTotal, type GraphBatch } from "./graph.ts";

/** Options of {@linkcode buildDecoderGraph}. */
export interface DecoderGraphOptions {
  /**
   * Apply the reference's re-symmetrisation (default true): keep a directed edge s→t of the
   * (capped) list iff s < t, or s = t with a lexicographically negative image, then add the
   * mirror t→s (image −S, V → −V) of every survivor. The pair {a < b} is then an edge in both
   * directions iff a's image is in b's list, so the result depends on atom order.
   *
   * With `false` the list is used as given, and it must already be symmetric (every (i, j, S)
   * has its (j, i, −S)), as an uncapped radius graph is; this makes the graph independent of atom
   * order. On an uncapped list both settings give the same edges.
   */
  symmetrize?: boolean;
}

/** GemNet-T's graph of a batch; edges are grouped by target (CSR), see the module comment. */
export interface DecoderGraph {
  /** Number of crystals B. */
  numCrystals: number;
  /** `[B + 1]`: crystal b owns atoms `atomOffsets[b]..atomOffsets[b + 1]`. */
  atomOffsets: Uint32Array;
  /** `[N + 1]`: target t owns edges `targetOffsets[t]..targetOffsets[t + 1]`. */
  targetOffsets: Uint32Array;
  /** `[E]` source atom s (global index). */
  sources: Uint32Array;
  /** `[E]` target atom t (global index; non-decreasing). */
  targets: Uint32Array;
  /** `[3E]` image S carried by the source (integers). */
  images: Int32Array;
  /** `[E]` D = |x_s + S·L − x_t| (Å). */
  distances: Float64Array;
  /** `[3E]` unit vectors V from the source image to the target. */
  directions: Float64Array;
  /** `[E]` the reverse edge: `idSwap[e]` is t→s with image −S (an involution). */
  idSwap: Uint32Array;
  /** Kmax: padded triplet slots per edge, max(1, largest in-degree − 1). */
  kmax: number;
  /** `[E]` valid triplet slots of each edge (in-degree of its target − 1); the rest are padding. */
  tripletCounts: Uint32Array;
  /** `[E·Kmax]` id3_ba of slot (e, k) (padding: 0, which its zero basis coefficient cancels). */
  tripletEdges: Uint32Array;
  /** `[E·Kmax]` cos φ_cab of slot (e, k) (padding: 0). */
  tripletCosines: Float64Array;
}

/** True when the image (a, b, c) is lexicographically negative (the reference's `cell_earlier`). */
function imageEarlier(a: number, b: number, c: number): boolean {
  return a < 0 || (a === 0 && (b < 0 || (b === 0 && c < 0)));
}

/**
 * Builds the decoder graph from a neighbour list (for the reference's graph: the wasm core's list
 * with the decoder's cutoff and cap turned into a {@linkcode GraphBatch}; `decoderGraphOf` in
 * src/model/graphs.ts does both).
 *
 * @param g The neighbour list, edges grouped by receiver
 * @param opts Whether to re-symmetrise as the reference does (default) or take `g` as symmetric
 * @returns Edges grouped by target, reverse-edge map and padded triplets
 * @throws {RangeError} With `symmetrize: false`, when an edge has no reverse in `g`
 *
 * @example A pair of atoms seeing each other once: two directed edges, no triplets
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const graph = buildDecoderGraph({
 *   numCrystals: 1, atomOffsets: new Uint32Array([0, 2]), numbers: new Uint8Array([6, 8]),
 *   edgeOffsets: new Uint32Array([0, 0, 1]), senders: new Uint32Array([0]),
 *   images: new Int32Array(3), vectors: new Float64Array([-1, 0, 0]), distances: new Float64Array([1]),
 * });
 * assertEquals([...graph.sources], [1, 0]);
 * assertEquals([...graph.targets], [0, 1]);
 * assertEquals([...graph.idSwap], [1, 0]);
 * assertEquals([...graph.directions].map((x) => x + 0), [-1, 0, 0, 1, 0, 0]);
 * assertEquals([...graph.tripletCounts], [0, 0]);
 * ```
 */
export function buildDecoderGraph(g: GraphBatch, opts: DecoderGraphOptions = {}): DecoderGraph {
  const n = atomTotal(g);
  const recv = g.edgeOffsets;
  const symmetrize = opts.symmetrize ?? true;
  // Which listed edges become directed edges: the reference's survivors (then mirrored), or all.
  const kept: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let e = recv[i]; e < recv[i + 1]; e++) {
      const j = g.senders[e];
      if (
        !symmetrize || j < i ||
        (j === i && imageEarlier(g.images[3 * e], g.images[3 * e + 1], g.images[3 * e + 2]))
      ) {
        kept.push(e);
      }
    }
  }
  const m = kept.length, ne = symmetrize ? 2 * m : m;
  // Directed edges before grouping by target, as (source, target, image, D, V).
  const d: DirectedEdges = {
    src: new Uint32Array(ne),
    tgt: new Uint32Array(ne),
    img: new Int32Array(3 * ne),
    dist: new Float64Array(ne),
    dir: new Float64Array(3 * ne),
  };
  let at = 0;
  const push = (s: number, t: number, e: number, sign: number) => {
    d.src[at] = s;
    d.tgt[at] = t;
    for (let k = 0; k < 3; k++) {
      d.img[3 * at + k] = sign * g.images[3 * e + k];
      // V = −r_ij / D for the edge as listed; the mirror points the other way.
      d.dir[3 * at + k] = (-sign * g.vectors[3 * e + k]) / g.distances[e];
    }
    d.dist[at++] = g.distances[e];
  };
  let swapOf: Int32Array;
  if (symmetrize) {
    let i = 0;
    for (const e of kept) {
      while (recv[i + 1] <= e) i++;
      push(g.senders[e], i, e, 1);
    }
    i = 0;
    for (const e of kept) {
      while (recv[i + 1] <= e) i++;
      push(i, g.senders[e], e, -1);
    }
    swapOf = new Int32Array(2 * m);
    for (let k = 0; k < m; k++) [swapOf[k], swapOf[m + k]] = [m + k, k];
  } else {
    const key = (s: number, t: number, a: number, b: number, c: number) => `${s},${t},${a},${b},${c}`;
    const index = new Map<string, number>();
    let i = 0;
    for (const e of kept) {
      while (recv[i + 1] <= e) i++;
      const im = g.images;
      index.set(key(g.senders[e], i, im[3 * e], im[3 * e + 1], im[3 * e + 2]), at);
      push(g.senders[e], i, e, 1);
    }
    swapOf = new Int32Array(ne);
    for (let e = 0; e < ne; e++) {
      const r = index.get(key(d.tgt[e], d.src[e], -d.img[3 * e], -d.img[3 * e + 1], -d.img[3 * e + 2]));
      if (r === undefined) {
        throw new RangeError(
          `Cannot build the decoder graph: edge ${d.src[e]}→${d.tgt[e]} image [${
            d.img.slice(3 * e, 3 * e + 3)
          }] has no reverse edge, so the list is not symmetric (use symmetrize: true)`,
        );
      }
      swapOf[e] = r;
    }
  }
  return groupByTarget(g, n, d, swapOf);
}

/** Directed edges in the order they were made, before grouping by target. */
interface DirectedEdges {
  src: Uint32Array;
  tgt: Uint32Array;
  img: Int32Array;
  dist: Float64Array;
  dir: Float64Array;
}

/** Stable counting sort of the edges by target, then the triplet slots of each edge. */
function groupByTarget(g: GraphBatch, n: number, d: DirectedEdges, swapOf: Int32Array): DecoderGraph {
  const { src, tgt, img, dist, dir } = d, ne = src.length;
  const targetOffsets = new Uint32Array(n + 1);
  for (const t of tgt) targetOffsets[t + 1]++;
  for (let i = 0; i < n; i++) targetOffsets[i + 1] += targetOffsets[i];
  const at = targetOffsets.slice(0, n);
  const pos = new Uint32Array(ne);
  for (let e = 0; e < ne; e++) pos[e] = at[tgt[e]]++;
  const sources = new Uint32Array(ne), targets = new Uint32Array(ne), idSwap = new Uint32Array(ne);
  const images = new Int32Array(3 * ne),
    distances = new Float64Array(ne),
    directions = new Float64Array(3 * ne);
  for (let e = 0; e < ne; e++) {
    const p = pos[e];
    sources[p] = src[e];
    targets[p] = tgt[e];
    idSwap[p] = pos[swapOf[e]];
    distances[p] = dist[e];
    for (let k = 0; k < 3; k++) {
      images[3 * p + k] = img[3 * e + k];
      directions[3 * p + k] = dir[3 * e + k];
    }
  }
  let deg = 1;
  for (let t = 0; t < n; t++) deg = Math.max(deg, targetOffsets[t + 1] - targetOffsets[t]);
  const kmax = Math.max(1, deg - 1);
  const tripletCounts = new Uint32Array(ne);
  const tripletEdges = new Uint32Array(ne * kmax), tripletCosines = new Float64Array(ne * kmax);
  for (let t = 0; t < n; t++) {
    const lo = targetOffsets[t], hi = targetOffsets[t + 1];
    for (let ca = lo; ca < hi; ca++) {
      let k = 0;
      for (let ba = lo; ba < hi; ba++) {
        if (ba === ca) continue;
        const dot = directions[3 * ca] * directions[3 * ba] +
          directions[3 * ca + 1] * directions[3 * ba + 1] +
          directions[3 * ca + 2] * directions[3 * ba + 2];
        tripletEdges[ca * kmax + k] = ba;
        tripletCosines[ca * kmax + k] = Math.min(1, Math.max(-1, dot));
        k++;
      }
      tripletCounts[ca] = k;
    }
  }
  return {
    numCrystals: g.numCrystals,
    atomOffsets: g.atomOffsets,
    targetOffsets,
    sources,
    targets,
    images,
    distances,
    directions,
    idSwap,
    kmax,
    tripletCounts,
    tripletEdges,
    tripletCosines,
  };
}

/**
 * The triplets as the reference's flat lists (id3_ba, id3_ca, id3_ragged_idx), in slot order
 * (for comparisons with the reference, and tests).
 *
 * @param graph A decoder graph
 * @returns `{ ba, ca, ragged }`, one entry per triplet
 *
 * @example Three atoms around one: 3 in-edges, each with 2 partners
 * ```ts
 * import { assertEquals } from "../../tests/_assert.ts";
 * const graph = buildDecoderGraph({
 *   numCrystals: 1, atomOffsets: new Uint32Array([0, 4]), numbers: new Uint8Array(4).fill(6),
 *   edgeOffsets: new Uint32Array([0, 0, 1, 2, 3]), senders: new Uint32Array([0, 0, 0]),
 *   images: new Int32Array(9), vectors: new Float64Array([-1, 0, 0, 0, -1, 0, 0, 0, -1]),
 *   distances: new Float64Array([1, 1, 1]),
 * });
 * const { ca } = tripletLists(graph);
 * assertEquals(ca.length, 6);
 * ```
 */
export function tripletLists(graph: DecoderGraph): { ba: Uint32Array; ca: Uint32Array; ragged: Uint32Array } {
  const ne = graph.sources.length;
  let total = 0;
  for (let e = 0; e < ne; e++) total += graph.tripletCounts[e];
  const ba = new Uint32Array(total), ca = new Uint32Array(total), ragged = new Uint32Array(total);
  let i = 0;
  for (let e = 0; e < ne; e++) {
    for (let k = 0; k < graph.tripletCounts[e]; k++, i++) {
      ba[i] = graph.tripletEdges[e * graph.kmax + k];
      ca[i] = e;
      ragged[i] = k;
    }
  }
  return { ba, ca, ragged };
}
