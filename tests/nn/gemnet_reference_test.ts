/**
 * The decoder against the reference PyTorch CDVAE (tests/fixtures/cdvae_reference/): the same
 * weights, the same noisy batch and the reference's raw 7 Å / 20-NN graph; compares the
 * re-symmetrised graph (audit D2), intermediate activations, F_st, scores and type logits.
 */

import { getBackend } from "../../src/compute/backend.ts";
import { Tape } from "../../src/compute/tape.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { neighborListMany } from "../../src/core/geometry.ts";
import { loadIntoStore } from "../../src/model/safetensors.ts";
import { GemNetT } from "../../src/nn/gemnet.ts";
import { CDVAE_DECODER_GRAPH, decoderNetworkConfig, defaultConfig } from "../../src/model/config.ts";
import { buildDecoderGraph } from "../../src/nn/gemnet_graph.ts";
import { indexTensor, ParamStore } from "../../src/nn/module.ts";
import { assert, assertAllClose, assertEquals } from "../_assert.ts";
import {
  DATASETS,
  flat,
  gemnetCentres,
  inputs,
  matchEdges,
  outputs,
  present,
  rawDecoderGraph,
  referenceWeights,
} from "../model/_reference_fixture.ts";

for (const ds of DATASETS) {
  Deno.test({
    name: `GemNetT decoder matches the reference on the ${ds} fixture batch`,
    ignore: !present,
    fn: async (t) => {
      const inp = inputs[ds], out = outputs[ds], tf = out.training_forward;
      const { g, lattices, frac } = rawDecoderGraph(inp, tf);
      const graph = buildDecoderGraph(g);
      const refGraph = tf.decoder_graph;
      const map = matchEdges(graph, refGraph);

      await t.step("re-symmetrised graph, D, V, id_swap and triplet count", () => {
        assertEquals(graph.sources.length, map.length, "edge count");
        assert(map.every((e) => e >= 0), "an edge of the reference is missing");
        const d = flat(refGraph.D_st), v = flat(refGraph.V_st);
        assertAllClose(Array.from(map, (e) => graph.distances[e]), d, {
          atol: 0,
          rtol: 1e-5,
          atolOfMax: true,
        }, "D_st");
        const dir = [...map].flatMap((e) => [0, 1, 2].map((k) => graph.directions[3 * e + k]));
        assertAllClose(dir, v, { atol: 1e-5, rtol: 0, atolOfMax: true }, "V_st");
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
          assertAllClose(
            ours,
            theirs,
            { atol: 0, rtol: 1e-6, atolOfMax: true },
            `distances of atom ${i}'s neighbours`,
          );
        }
      });

      await t.step("activations, F_st, scores and type logits", async () => {
        const be = await getBackend({ prefer: "wasm" });
        const store = new ParamStore(be, 0);
        const net = new GemNetT(store, decoderNetworkConfig(defaultConfig("mp_20")), "decoder");
        const tensors = await referenceWeights();
        loadIntoStore(store, tensors);
        // The Gaussian centres are buffers of the reference, not parameters: copy them over.
        ({ rbf: net.rbfCenters, cbf: net.cbfRbfCenters } = gemnetCentres(tensors));
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
        assertAllClose(await read("atom_latent_emb"), flat(dec.atom_latent_emb), {
          atol: 1e-5,
          rtol: 1e-4,
          atolOfMax: true,
        }, "atom_latent_emb");
        const edgeRows = await read("edge_emb");
        const rowSums = Array.from(
          map,
          (e) => edgeRows.slice(e * 128, e * 128 + 128).reduce((a, b) => a + b, 0),
        );
        assertAllClose(
          rowSums,
          flat(dec.edge_emb_row_sums),
          { atol: 1e-4, rtol: 1e-3, atolOfMax: true },
          "edge_emb row sums",
        );
        for (let i = 0; i < 4; i++) {
          assertAllClose(perEdge(await read(`F_${i}`)), dec.out_block_F[i], {
            atol: 1e-4,
            rtol: 1e-3,
            atolOfMax: true,
          }, `F_${i}`);
        }
        for (let i = 1; i <= 3; i++) {
          assertAllClose(await read(`h_${i}`), flat(dec.h_after_block[i - 1]), {
            atol: 1e-4,
            rtol: 1e-3,
            atolOfMax: true,
          }, `h_${i}`);
        }
        assertAllClose(await res.scores.read(), flat(tf.pred_cart_coord_diff), {
          atol: 1e-4,
          rtol: 1e-3,
          atolOfMax: true,
        }, "scores");
        assertAllClose(await res.typeLogits.read(), flat(tf.pred_atom_type_logits), {
          atol: 1e-4,
          rtol: 1e-3,
          atolOfMax: true,
        }, "type logits");
        tape.dispose();
        store.dispose();
      });
    },
  });
}
