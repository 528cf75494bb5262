import { assert, assertEquals } from "../_assert.ts";
import { loadPropertyModel } from "../../src/cli/evaluate.ts";

Deno.test("--property-model picks the paper's evaluator by default, ours on request", async (t) => {
  for (const dataset of ["perov_5", "carbon_24", "mp_20"]) {
    await t.step(dataset, async () => {
      const reference = await loadPropertyModel("reference", dataset);
      const ours = await loadPropertyModel("ours", dataset);
      try {
        assert(reference && ours);
        // The authors' models have the reference encoder (hidden 128, 4 blocks); ours is the small preset.
        assertEquals([reference.config.encoder.hiddenChannels, reference.config.encoder.numBlocks], [128, 4]);
        assertEquals([ours.config.encoder.hiddenChannels, ours.config.encoder.numBlocks], [64, 2]);
        assertEquals(reference.config.property, ours.config.property);
        assertEquals(reference.config.dataset, dataset);
      } finally {
        reference?.dispose();
        ours?.dispose();
      }
    });
  }
  await t.step('"none", and a dataset with nothing shipped', async () => {
    assertEquals(await loadPropertyModel("none", "perov_5"), undefined);
    assertEquals(await loadPropertyModel("reference", "custom"), undefined);
  });
});
