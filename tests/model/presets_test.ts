/**
 * The shipped presets start well scaled: a freshly initialised decoder's coordinate scores are of
 * order one, as the reference's are. (A `small` preset with 32 radial Gaussians instead of 128 once
 * started with scores ~50× too large on Perov-5 — ~2 700× at the reference's widths — because the
 * Gaussian widths follow the centre spacing while the fitted scale factors assume 128 centres.)
 */

import { assert } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { Tensor } from "../../src/compute/tensor.ts";
import { PRESET_NAMES, PRESETS } from "../../src/model/config.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { buildGraph, packHost } from "../../src/model/graphs.ts";
import { priorLatents } from "../../src/model/sampler.ts";
import { tinyRecords } from "./_tiny.ts";

const be = await getBackend({ prefer: "wasm" });

for (const preset of PRESET_NAMES) {
  Deno.test(`the ${preset} preset's fresh decoder gives scores of order one`, async () => {
    const model = new CDVAE(be, PRESETS[preset]("perov_5"), 0);
    try {
      // Displaced from the hand-made sites, which are inversion centres (zero scores by symmetry).
      const records = tinyRecords();
      const host = packHost(records.map((r) => ({
        lattice: r.lattice,
        frac: r.frac.map((f, i) => (f + 0.04 * Math.sin(7.3 * i + 1)) % 1),
        numbers: r.numbers,
      })));
      const d = model.config.decoder;
      const g = buildGraph(host, { cutoff: d.cutoff, maxNeighbors: d.maxNeighbors, images: "adjacent" });
      const z = Tensor.from(be, priorLatents(records.length, model.config.latentDim, 3), [
        records.length,
        model.config.latentDim,
      ]);
      const out = model.decode(z, g);
      const scores = await out.scores.read();
      let sumSq = 0;
      for (const v of scores) sumSq += v * v;
      const rms = Math.sqrt(sumSq / scores.length);
      assert(rms > 0.01 && rms < 10, `rms of the initial scores is ${rms}`);
      for (const t of [z, out.scores, out.typeLogits]) t.dispose();
    } finally {
      model.dispose();
    }
  });
}
