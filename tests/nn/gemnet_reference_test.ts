/**
 * The decoder against the reference PyTorch CDVAE (tests/fixtures/cdvae_reference/): the same
 * weights, the same noisy batch and the reference's raw 7 Å / 20-NN graph; compares the
 * re-symmetrised graph (audit D2), intermediate activations, F_st, scores and type logits.
 */

import { AssertionError } from "node:assert";
import { getBackend } from "../../src/compute/backend.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { CDVAE_DECODER_GRAPH, neighborListMany } from "../../src/core/geometry.ts";
import { latticeFromParameters } from "../../src/crystal/lattice.ts";
import { decodeSafetensors, loadIntoStore } from "../../src/model/safetensors.ts";
import { GEMNET_T_DEFAULTS, GemNetT } from "../../src/nn/gemnet.ts";
import { buildDecoderGraph, type DecoderGraph } from "../../src/nn/gemnet_graph.ts";
import type { GraphBatch } from "../../src/nn/graph.ts";
import { indexTensor, ParamStore } from "../../src/nn/module.ts";
import { assert, assertEquals } from "../_assert.ts";

const DIR = new URL("../fixtures/cdvae_reference/", import.meta.url);
const present = await Deno.stat(new URL("outputs.json", DIR)).then(() => true, () => false);

type Json = number | string | boolean | Json[] | { [k: string]: Json };
// deno-lint-ignore no-explicit-any
type Any = any;

const flat = (x: Json): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);

/** Throws unless |a − b| ≤ atol·max|b| + rtol·|b| elementwise. */
function close(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number, msg: string): void {
  assertEquals(a.length, b.length, `${msg}: lengths`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]);
    worst = Math.max(worst, err / (scale || 1));
    if (!(err <= atol * scale + rtol * Math.abs(b[i]))) {
      throw new AssertionError({ message: `${msg}: element ${i}: ${a[i]} vs ${b[i]} (max |ref| ${scale})` });
    }
  }
}

/** The batch as the reference's decoder saw it: lattices, noisy coordinates, the raw capped list. */
function rawGraph(inp: Any, tf: Any): { g: GraphBatch; lattices: Float64Array[]; frac: number[] } {
  const counts: number[] = inp.batch.num_atoms;
  const atomOffsets = new Uint32Array(counts.length + 1);
  counts.forEach((c, b) => atomOffsets[b + 1] = atomOffsets[b] + c);
  const lattices = counts.map((_, b) => {
    const [a, bb, c] = tf.decoder_lengths[b], [alpha, beta, gamma] = tf.decoder_angles[b];
    return latticeFromParameters({ a, b: bb, c, alpha, beta, gamma });
  });
  const frac = flat(tf.noisy_frac_coords);
  const crystalOf = (i: number) => counts.findIndex((_, b) => i < atomOffsets[b + 1]);
  const [nbr, ctr]: number[][] = tf.decoder_graph_raw.edge_index;
  const jimg = flat(tf.decoder_graph_raw.to_jimages);
  const n = atomOffsets[counts.length], ne = ctr.length;
  const edgeOffsets = new Uint32Array(n + 1);
  for (const i of ctr) edgeOffsets[i + 1]++;
  for (let i = 0; i < n; i++) edgeOffsets[i + 1] += edgeOffsets[i];
  const at = edgeOffsets.slice(0, n);
  const senders = new Uint32Array(ne), images = new Int32Array(3 * ne);
  const vectors = new Float64Array(3 * ne), distances = new Float64Array(ne);
  for (let e = 0; e < ne; e++) {
    const i = ctr[e], j = nbr[e], p = at[i]++;
    const l = lattices[crystalOf(i)];
    senders[p] = j;
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
  const numbers = Uint8Array.from(tf.noisy_atom_types as number[]);
  return {
    g: { numCrystals: counts.length, atomOffsets, numbers, edgeOffsets, senders, images, vectors, distances },
    lattices,
    frac,
  };
}

const key = (s: number, t: number, im: ArrayLike<number>) => `${s},${t},${im[0]},${im[1]},${im[2]}`;

/** ours[k] = our edge index of the reference's edge k (after re-symmetrisation). */
function matchEdges(graph: DecoderGraph, ref: Any): Int32Array {
  const mine = new Map<string, number>();
  for (let e = 0; e < graph.sources.length; e++) {
    mine.set(key(graph.sources[e], graph.targets[e], graph.images.subarray(3 * e)), e);
  }
  const [s, t]: number[][] = ref.edge_index;
  const img = flat(ref.to_jimages);
  return Int32Array.from(s, (_, k) => mine.get(key(s[k], t[k], img.slice(3 * k, 3 * k + 3))) ?? -1);
}

const [inputs, outputs] = present
  ? await Promise.all(
    ["inputs.json", "outputs.json"].map(async (f) => JSON.parse(await Deno.readTextFile(new URL(f, DIR)))),
  )
  : [undefined, undefined];

for (const ds of ["perov_5", "mp_20"]) {
  Deno.test({
    name: `GemNetT decoder matches the reference on the ${ds} fixture batch`,
    ignore: !present,
    fn: async (t) => {
      const inp = inputs[ds], out = outputs[ds], tf = out.training_forward;
      const { g, lattices, frac } = rawGraph(inp, tf);
      const graph = buildDecoderGraph(g);
      const refGraph = tf.decoder_graph;
      const map = matchEdges(graph, refGraph);

      await t.step("re-symmetrised graph, D, V, id_swap and triplet count", () => {
        assertEquals(graph.sources.length, map.length, "edge count");
        assert(map.every((e) => e >= 0), "an edge of the reference is missing");
        const d = flat(refGraph.D_st), v = flat(refGraph.V_st);
        close(Array.from(map, (e) => graph.distances[e]), d, 0, 1e-5, "D_st");
        const dir = [...map].flatMap((e) => [0, 1, 2].map((k) => graph.directions[3 * e + k]));
        close(dir, v, 1e-5, 0, "V_st");
        refGraph.id_swap.forEach((r: number, k: number) => assertEquals(graph.idSwap[map[k]], map[r]));
        let triplets = 0;
        for (const c of graph.tripletCounts) triplets += c;
        assertEquals(triplets, refGraph.num_triplets);
      });

      await t.step("our 27-image 20-NN list equals the reference's raw list up to ties at the cap", () => {
        // Only the choice among equidistant neighbours at the 20th place may differ (audit O7: the
        // reference's torch.sort is unstable; ours breaks ties by sender, then image). In noise-free
        // cubic perovskites these are the ±a self-images, and D2 then keeps a different subset.
        const crystals = lattices.map((lattice, b) => ({
          lattice,
          frac: Float64Array.from(frac.slice(3 * g.atomOffsets[b], 3 * g.atomOffsets[b + 1])),
          numbers: g.numbers.slice(g.atomOffsets[b], g.atomOffsets[b + 1]),
        }));
        const nl = neighborListMany(crystals, CDVAE_DECODER_GRAPH);
        for (let i = 0; i < g.atomOffsets[lattices.length]; i++) {
          const ours = [...nl.distances.subarray(nl.offsets[i], nl.offsets[i + 1])].sort((a, b) => a - b);
          const theirs = [...g.distances.subarray(g.edgeOffsets[i], g.edgeOffsets[i + 1])].sort((a, b) =>
            a - b
          );
          close(ours, theirs, 0, 1e-6, `distances of atom ${i}'s neighbours`);
        }
      });

      await t.step("activations, F_st, scores and type logits", async () => {
        const be = await getBackend({ prefer: "wasm" });
        const store = new ParamStore(be, 0);
        const net = new GemNetT(store, GEMNET_T_DEFAULTS, "decoder");
        const { tensors } = decodeSafetensors(await Deno.readFile(new URL("weights.safetensors", DIR)));
        loadIntoStore(store, tensors);
        // The fixture redrew every floating state_dict tensor, the Gaussian centres (buffers) included.
        net.rbfCenters = Float64Array.from(tensors.get("decoder.gemnet.radial_basis.rbf.offset")!.data);
        net.cbfRbfCenters = Float64Array.from(
          tensors.get("decoder.gemnet.cbf_basis3.radial_basis.rbf.offset")!.data,
        );
        const seen = new Map<string, Tensor>();
        const tape = new Tape();
        const res = tape.record(() => {
          const types = indexTensor(be, (tf.noisy_atom_types as number[]).map((z) => z - 1));
          const z = Tensor.from(be, Float32Array.from(flat(out.z)), [out.z.length, out.z[0].length]);
          return net.forward(z, net.prepare(graph), types, (name, x) => seen.set(name, x));
        });
        const read = async (name: string) => Array.from(await seen.get(name)!.read());
        const dec = out.intermediates.decoder;
        const perEdge = (x: number[]) => Array.from(map, (e) => x[e]);
        close(await read("atom_latent_emb"), flat(dec.atom_latent_emb), 1e-5, 1e-4, "atom_latent_emb");
        const edgeRows = await read("edge_emb");
        const rowSums = Array.from(
          map,
          (e) => edgeRows.slice(e * 128, e * 128 + 128).reduce((a, b) => a + b, 0),
        );
        close(rowSums, flat(dec.edge_emb_row_sums), 1e-4, 1e-3, "edge_emb row sums");
        for (let i = 0; i < 4; i++) {
          close(perEdge(await read(`F_${i}`)), dec.out_block_F[i], 1e-4, 1e-3, `F_${i}`);
        }
        for (let i = 1; i <= 3; i++) {
          close(await read(`h_${i}`), flat(dec.h_after_block[i - 1]), 1e-4, 1e-3, `h_${i}`);
        }
        close(await res.scores.read(), flat(tf.pred_cart_coord_diff), 1e-4, 1e-3, "scores");
        close(await res.typeLogits.read(), flat(tf.pred_atom_type_logits), 1e-4, 1e-3, "type logits");
        tape.dispose();
        store.dispose();
      });
    },
  });
}
