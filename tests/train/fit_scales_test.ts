/**
 * The scale-factor fit (GemNet's procedure): a factor answers its layer's output variance, the
 * factors the forward pass never evaluates keep their values, and a run trained with fitted
 * factors saves them with its weights.
 */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { decodeSafetensors } from "../../src/model/safetensors.ts";
import { GEMNET_T_SCALE_FACTORS } from "../../src/nn/gemnet.ts";
import { fitScaleFactors } from "../../src/train/fit_scales.ts";
import { train } from "../../src/train/trainer.ts";
import { tinyConfig, tinyRecords } from "../model/_tiny.ts";

const be = await getBackend({ prefer: "wasm" });
const PREFIX = "decoder.gemnet";

async function scalar(model: CDVAE, name: string): Promise<number> {
  return (await model.store.get(name).read())[0];
}

Deno.test("fitScaleFactors: each factor the decoder evaluates, in its order, answers its layer's output variance", async () => {
  const records = tinyRecords();
  const model = new CDVAE(be, tinyConfig(), 3);
  try {
    const first = await fitScaleFactors(model, records, { batchSize: 2, batchesPerFactor: 3, seed: 5 });
    // One block: the output blocks 0 and 1 and the interaction block 1, as the forward meets them.
    assertEquals(Object.keys(first), [
      "OutBlock_0_had",
      "TripInteraction_1_had_rbf",
      "TripInteraction_1_sum_cbf",
      "AtomUpdate_1_sum",
      "OutBlock_1_had",
    ]);
    for (const v of Object.values(first)) assert(Number.isFinite(v) && v > 0, `factor ${v}`);
    assertAlmostEquals(
      await scalar(model, `${PREFIX}.out_blocks.0.scale_rbf_F.scale_factor`),
      first.OutBlock_0_had,
      1e-6,
    );
    // The energy half of the output blocks is never evaluated: its factor keeps the reference's value.
    assertAlmostEquals(
      await scalar(model, `${PREFIX}.out_blocks.0.scale_sum.scale_factor`),
      GEMNET_T_SCALE_FACTORS.OutBlock_0_sum,
      1e-6,
    );

    // Doubling the weights in front of output block 0's factor doubles its output, not its
    // reference input: that factor halves; the others (upstream of it, or apart) stay.
    const name = `${PREFIX}.out_blocks.0.dense_rbf_F.linear.weight`;
    const w = await model.store.get(name).read();
    be.write(model.store.get(name).buffer, Float32Array.from(w, (x) => 2 * x));
    const second = await fitScaleFactors(model, records, { batchSize: 2, batchesPerFactor: 3, seed: 5 });
    assertAlmostEquals(second.OutBlock_0_had / first.OutBlock_0_had, 0.5, 1e-5);
    for (const k of Object.keys(first).filter((k) => k !== "OutBlock_0_had")) {
      assertAlmostEquals(second[k] / first[k], 1, 1e-5, k);
    }
  } finally {
    model.dispose();
  }
});

Deno.test("fitScaleFactors refuses an empty record list", async () => {
  const model = new CDVAE(be, tinyConfig(), 3);
  try {
    let message = "";
    await fitScaleFactors(model, []).catch((e) => message = String(e));
    assert(message.includes("at least one crystal"), message);
  } finally {
    model.dispose();
  }
});

Deno.test("train --fit-scales: the fitted factors are written and travel with the weights", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = tinyRecords();
    const seen: string[] = [];
    await train({
      backend: be,
      config: tinyConfig(),
      data: { train: [...r, ...r], val: r, note: "tiny" },
      outDir: dir,
      epochs: 1,
      batchSize: 2,
      fitScales: true,
      onScaleFactor: (key) => seen.push(key),
    });
    const fitted: Record<string, number> = JSON.parse(await Deno.readTextFile(`${dir}/scale_factors.json`));
    assertEquals(Object.keys(fitted), seen);
    const { tensors } = decodeSafetensors(await Deno.readFile(`${dir}/best.safetensors`));
    const value = tensors.get(`${PREFIX}.int_blocks.0.trip_interaction.scale_rbf.scale_factor`)!;
    assertAlmostEquals(value.data[0], fitted.TripInteraction_1_had_rbf, 1e-6);
    assert(
      Math.abs(fitted.TripInteraction_1_had_rbf - GEMNET_T_SCALE_FACTORS.TripInteraction_1_had_rbf) > 1e-3,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
