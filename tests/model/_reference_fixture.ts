/**
 * Shared loader of the reference-output fixture (tests/fixtures/cdvae_reference/, see its README):
 * the JSON inputs and outputs, the weights, the graphs rebuilt from the fixture's edge lists, and a
 * tolerance check. Used by tests/model/reference_test.ts and tests/nn/gemnet_reference_test.ts.
 *
 * @module
 */

import { latticeFromParameters } from "../../src/crystal/lattice.ts";
import { decodeSafetensors, type HostTensor } from "../../src/model/safetensors.ts";
import type { DecoderGraph } from "../../src/nn/gemnet_graph.ts";
import type { GraphBatch } from "../../src/nn/graph.ts";

/** The fixture folder. */
export const FIXTURE_DIR: URL = new URL("../fixtures/cdvae_reference/", import.meta.url);

/** Whether the fixture is there (tests are ignored otherwise). */
export const present: boolean = await Deno.stat(new URL("outputs.json", FIXTURE_DIR)).then(
  () => true,
  () => false,
);

/** A JSON value. */
export type Json = number | string | boolean | Json[] | { [k: string]: Json };
/** The fixture's JSON, read by key (its README documents every key and shape). */
// deno-lint-ignore no-explicit-any
export type Any = any;

/** The two fixture batches. */
export const DATASETS = ["perov_5", "mp_20"] as const;

/** Nested arrays → one flat row-major array. */
export const flat = (x: Json): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

/** `inputs.json` and `outputs.json` (undefined when the fixture is absent). */
export const [inputs, outputs]: [Any, Any] = present
  ? await Promise.all(
    ["inputs.json", "outputs.json"].map(async (f) =>
      JSON.parse(await Deno.readTextFile(new URL(f, FIXTURE_DIR)))
    ),
  ) as [Any, Any]
  : [undefined, undefined];

let weights: Map<string, HostTensor> | undefined;

/** The decoded `weights.safetensors` (F16 upcast to f32), read once. */
export async function referenceWeights(): Promise<Map<string, HostTensor>> {
  weights ??= decodeSafetensors(await Deno.readFile(new URL("weights.safetensors", FIXTURE_DIR))).tensors;
  return weights;
}

/** The GemNet Gaussian centres, buffers of the reference that the fixture redrew as well. */
export function gemnetCentres(tensors: Map<string, HostTensor>): { rbf: Float64Array; cbf: Float64Array } {
  return {
    rbf: Float64Array.from(tensors.get("decoder.gemnet.radial_basis.rbf.offset")!.data),
    cbf: Float64Array.from(tensors.get("decoder.gemnet.cbf_basis3.radial_basis.rbf.offset")!.data),
  };
}

/** `[B + 1]` atom offsets of a batch from its per-crystal counts. */
export function offsetsOf(counts: readonly number[]): Uint32Array {
  const out = new Uint32Array(counts.length + 1);
  counts.forEach((c, b) => out[b + 1] = out[b] + c);
  return out;
}

/**
 * A graph batch from an edge list `[neighbours; centres]` with neighbour image offsets, sorted
 * stably into CSR by centre; vectors x_j + S·L − x_i in f64.
 *
 * @returns The graph and `perm`: our edge k is the list's edge `perm[k]`
 */
export function graphFromEdgeList(
  atomOffsets: Uint32Array,
  numbers: Uint8Array,
  frac: ArrayLike<number>,
  lattices: readonly ArrayLike<number>[],
  edgeIndex: number[][],
  toJimages: Json,
): { g: GraphBatch; perm: Uint32Array } {
  const [nbr, ctr] = edgeIndex;
  const jimg = flat(toJimages);
  const b = lattices.length, n = atomOffsets[b], ne = ctr.length;
  const crystalOf = new Uint32Array(n);
  for (let c = 0; c < b; c++) crystalOf.fill(c, atomOffsets[c], atomOffsets[c + 1]);
  const edgeOffsets = new Uint32Array(n + 1);
  for (const i of ctr) edgeOffsets[i + 1]++;
  for (let i = 0; i < n; i++) edgeOffsets[i + 1] += edgeOffsets[i];
  const at = edgeOffsets.slice(0, n);
  const senders = new Uint32Array(ne), images = new Int32Array(3 * ne), perm = new Uint32Array(ne);
  const vectors = new Float64Array(3 * ne), distances = new Float64Array(ne);
  for (let e = 0; e < ne; e++) {
    const i = ctr[e], j = nbr[e], p = at[i]++;
    const l = lattices[crystalOf[i]];
    if (crystalOf[j] !== crystalOf[i]) throw new RangeError(`edge ${e} joins two crystals`);
    senders[p] = j;
    perm[p] = e;
    let d2 = 0;
    for (let k = 0; k < 3; k++) {
      images[3 * p + k] = jimg[3 * e + k];
      let v = 0;
      for (let r = 0; r < 3; r++) v += (frac[3 * j + r] + jimg[3 * e + r] - frac[3 * i + r]) * l[3 * r + k];
      vectors[3 * p + k] = v;
      d2 += v * v;
    }
    distances[p] = Math.sqrt(d2);
  }
  return {
    g: { numCrystals: b, atomOffsets, numbers, edgeOffsets, senders, images, vectors, distances },
    perm,
  };
}

/** The true crystals of a fixture batch (f64 lattices and coordinates of `inputs.json`). */
export function fixtureCrystals(
  inp: Any,
): { atomOffsets: Uint32Array; numbers: Uint8Array; frac: Float64Array; lattices: Float64Array[] } {
  const crystals: Any[] = inp.crystals;
  return {
    atomOffsets: offsetsOf(crystals.map((c) => c.num_atoms)),
    numbers: Uint8Array.from(crystals.flatMap((c) => c.atom_types)),
    frac: Float64Array.from(crystals.flatMap((c) => flat(c.frac_coords))),
    lattices: crystals.map((c) => Float64Array.from(flat(c.lattice))),
  };
}

/** The encoder's CrystalNN graph of a fixture batch (`batch.edge_index`, `batch.to_jimages`). */
export function encoderGraph(inp: Any): { g: GraphBatch; perm: Uint32Array } {
  const c = fixtureCrystals(inp);
  return graphFromEdgeList(
    c.atomOffsets,
    c.numbers,
    c.frac,
    c.lattices,
    inp.batch.edge_index,
    inp.batch.to_jimages,
  );
}

/**
 * The batch as the reference's decoder saw it: its lattices (from the f32 lengths and angles),
 * the noisy coordinates and types, and the raw capped 20-NN list.
 */
export function rawDecoderGraph(
  inp: Any,
  tf: Any,
): { g: GraphBatch; lattices: Float64Array[]; frac: number[] } {
  const counts: number[] = inp.batch.num_atoms;
  const lattices = counts.map((_, b) => {
    const [a, bb, c] = tf.decoder_lengths[b], [alpha, beta, gamma] = tf.decoder_angles[b];
    return latticeFromParameters({ a, b: bb, c, alpha, beta, gamma });
  });
  const frac = flat(tf.noisy_frac_coords);
  const numbers = Uint8Array.from(tf.noisy_atom_types as number[]);
  const raw = tf.decoder_graph_raw;
  const { g } = graphFromEdgeList(offsetsOf(counts), numbers, frac, lattices, raw.edge_index, raw.to_jimages);
  return { g, lattices, frac };
}

const key = (s: number, t: number, im: ArrayLike<number>) => `${s},${t},${im[0]},${im[1]},${im[2]}`;

/** ours[k] = our edge index of the reference's decoder edge k (after re-symmetrisation), −1 if absent. */
export function matchEdges(graph: DecoderGraph, ref: Any): Int32Array {
  const mine = new Map<string, number>();
  for (let e = 0; e < graph.sources.length; e++) {
    mine.set(key(graph.sources[e], graph.targets[e], graph.images.subarray(3 * e)), e);
  }
  const [s, t]: number[][] = ref.edge_index;
  const img = flat(ref.to_jimages);
  return Int32Array.from(s, (_, k) => mine.get(key(s[k], t[k], img.slice(3 * k, 3 * k + 3))) ?? -1);
}
