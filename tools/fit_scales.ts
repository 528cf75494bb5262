/**
 * GemNet's scale factors fitted for a preset on a dataset (src/train/fit_scales.ts, the procedure
 * of `train --fit-scales`), printed beside the reference's OC20-fitted values: the table of
 * bench/RESULTS.md ("Scale factors fitted to the model").
 *
 *   deno run -A tools/fit_scales.ts PRESET DATASET [LIMIT]     # e.g. small perov_5 640
 *
 * Fresh weights of seed 0 with the dataset's scalers fitted on LIMIT training crystals (default
 * 640), factors fitted on the first LIMIT validation crystals, batch 64, draws of seed 0, one wasm
 * thread.
 *
 * @module
 */

import { createWasmBackend } from "../src/compute/wasm.ts";
import { isDatasetName } from "../src/data/datasets.ts";
import { fitModelScalers } from "../src/data/preprocess.ts";
import { CDVAE } from "../src/model/cdvae.ts";
import { isPresetName, PRESETS } from "../src/model/config.ts";
import { GEMNET_T_SCALE_FACTORS } from "../src/nn/gemnet.ts";
import { fitScaleFactors } from "../src/train/fit_scales.ts";
import { loadTrainingData } from "../src/train/trainer.ts";

const [preset, dataset, limitArg = "640"] = Deno.args;
if (!preset || !isPresetName(preset) || !dataset || !isDatasetName(dataset)) {
  console.error(
    "Usage: deno run -A tools/fit_scales.ts small|medium|reference perov_5|carbon_24|mp_20 [LIMIT]",
  );
  Deno.exit(2);
}
const limit = Number(limitArg);
const be = await createWasmBackend({ threads: 1 });
const data = await loadTrainingData(dataset, { limit, valLimit: limit });
const config = { ...PRESETS[preset](dataset) };
config.scalers = fitModelScalers(data.train);
const model = new CDVAE(be, config, 0);
const t0 = performance.now();
console.log(`| factor | fitted (${preset}, ${dataset}) | reference's (OC20) |`);
console.log("| --- | --- | --- |");
await fitScaleFactors(model, data.val, {
  batchSize: 64,
  onFactor: (key, value) =>
    console.log(`| ${key} | ${value.toFixed(4)} | ${GEMNET_T_SCALE_FACTORS[key].toFixed(4)} |`),
});
console.error(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
model.dispose();
