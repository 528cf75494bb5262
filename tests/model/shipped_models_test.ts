import { assert, assertEquals, assertRejects } from "../_assert.ts";
import { CDVAE, DEFAULT_MODEL_URL, modelFolderUrl, SHIPPED_MODELS } from "../../src/model/cdvae.ts";

Deno.test("modelFolderUrl: shipped names resolve beside the module, anything else is a folder", () => {
  for (const name of SHIPPED_MODELS) {
    assert(modelFolderUrl(name).href.endsWith(`/data/models/${name}/`), name);
  }
  assertEquals(modelFolderUrl("default").href, DEFAULT_MODEL_URL.href);
  assertEquals(modelFolderUrl("perov_5").href, DEFAULT_MODEL_URL.href);
  // A local folder that shares a shipped name is reached with a path.
  assertEquals(modelFolderUrl("./mp_20").href, new URL(`file://${Deno.cwd()}/./mp_20/`).href);
});

Deno.test("CDVAE.load(name) loads every shipped model, and the name and its dataset agree", async () => {
  const byName = await CDVAE.load("perov_5");
  const byDefault = await CDVAE.load("default");
  try {
    assertEquals(byName.config, byDefault.config);
  } finally {
    byName.dispose();
    byDefault.dispose();
  }
  for (const name of SHIPPED_MODELS) {
    const model = await CDVAE.load(name);
    try {
      assertEquals(model.config.dataset, name);
    } finally {
      model.dispose();
    }
  }
  await assertRejects(() => CDVAE.load("./no-such-model-folder"), Error);
});
