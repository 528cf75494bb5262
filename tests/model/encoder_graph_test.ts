/** Our CrystalNN encoder graph equals the reference's on the fixture crystals (as multisets of edges). */

import { assertEquals } from "../_assert.ts";
import { crystalNNGraph, packHost } from "../../src/model/graphs.ts";
import { type Any, DATASETS, flat, inputs, present } from "./_reference_fixture.ts";

Deno.test({
  name: "CrystalNN encoder graph: the reference's edges (sender, receiver, image) on all 8 fixture crystals",
  ignore: !present,
  fn: () => {
    for (const ds of DATASETS) {
      for (const c of inputs[ds].crystals as Any[]) {
        const crystal = {
          lattice: Float64Array.from(flat(c.lattice)),
          frac: Float64Array.from(flat(c.frac_coords)),
          numbers: Uint8Array.from(c.atom_types as number[]),
        };
        const g = crystalNNGraph(packHost([crystal]));
        const ours: string[] = [];
        for (let i = 0; i + 1 < g.edgeOffsets.length; i++) {
          for (let e = g.edgeOffsets[i]; e < g.edgeOffsets[i + 1]; e++) {
            ours.push(`${g.senders[e]}>${i}@${[...g.images.subarray(3 * e, 3 * e + 3)]}`);
          }
        }
        const [snd, rcv] = c.edge_index as number[][];
        const theirs = snd.map((s, e) => `${s}>${rcv[e]}@${(c.to_jimages as number[][])[e]}`);
        assertEquals(ours.sort(), theirs.sort(), `${ds} ${c.material_id}`);
        for (let e = 0; e < g.distances.length; e++) {
          const v = g.vectors.subarray(3 * e, 3 * e + 3);
          assertEquals(Math.abs(Math.hypot(...v) - g.distances[e]) < 1e-12, true);
        }
      }
    }
  },
});
