/** The trainer: checkpoints load back to the same model, and a resumed run equals an uninterrupted one. */

import { assert, assertEquals } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { train, type TrainingData } from "../../src/train/trainer.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { decodeSafetensors } from "../../src/model/safetensors.ts";
import { ReduceLROnPlateau } from "../../src/train/schedule.ts";
import { tinyConfig, tinyRecords } from "../model/_tiny.ts";

const be = await getBackend({ prefer: "wasm" });

function data(): TrainingData {
  const r = tinyRecords();
  return { train: [...r, ...r, ...r].map((x, i) => ({ ...x, id: `${x.id}-${i}` })), val: r, note: "tiny" };
}

const run = (outDir: string, epochs: number, resume = false) =>
  train({ backend: be, config: tinyConfig(), data: data(), outDir, epochs, batchSize: 4, resume, seed: 11 });

Deno.test("resuming from the last checkpoint reproduces the uninterrupted run bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const full = await run(`${dir}/full`, 3);
    assertEquals(full.epochs, 3);
    assertEquals(full.steps, 6);
    await run(`${dir}/split`, 1);
    const resumed = await run(`${dir}/split`, 3, true);
    assertEquals(resumed.steps, 6);
    const a = await Deno.readFile(`${dir}/full/last.safetensors`),
      b = await Deno.readFile(`${dir}/split/last.safetensors`);
    assertEquals(a, b);
    const logA = (await Deno.readTextFile(`${dir}/full/log.csv`)).split("\n").map((l) =>
      l.split(",").filter((_, i) => i !== 3)
    );
    const logB = (await Deno.readTextFile(`${dir}/split/log.csv`)).split("\n").map((l) =>
      l.split(",").filter((_, i) => i !== 3)
    );
    assertEquals(logA, logB); // every column but wall time
    assert((await Deno.readTextFile(`${dir}/full/loss.svg`)).includes("<polyline"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a saved model loads back with identical parameters and outputs", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run(dir, 1);
    const saved = decodeSafetensors(await Deno.readFile(`${dir}/best.safetensors`)).tensors;
    const model = await CDVAE.load(dir, { backend: be });
    for (const [name, e] of model.store.entries) {
      const t = saved.get(name)!;
      const ours = (await e.tensor.read()) as Float32Array;
      if (e.layout === "same") assertEquals(ours, Float32Array.from(t.data));
      else assertEquals(ours.length, t.data.length);
    }
    const again = await CDVAE.load(dir, { backend: be });
    const crystals = tinyRecords().map((r) => ({ lattice: r.lattice, frac: r.frac, numbers: r.numbers }));
    const [x, y] = [await model.encodeCrystals(crystals, 1), await again.encodeCrystals(crystals, 1)];
    assertEquals(x.mu, y.mu);
    assertEquals(x.z, y.z);
    model.dispose();
    again.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loading a folder without a model names what is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let msg = "";
    await CDVAE.load(dir, { backend: be }).catch((e) => msg = e.message);
    assert(msg.includes("config.json"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ReduceLROnPlateau: waits `patience` bad epochs, then multiplies by the factor down to the minimum", () => {
  const s = new ReduceLROnPlateau({ factor: 0.6, patience: 2, minLr: 1e-4 });
  let lr = 1e-3;
  const seen = [];
  for (const v of [5, 4, ...Array(30).fill(4)]) seen.push(lr = s.step(v, lr));
  assertEquals(+seen[3].toPrecision(6), 1e-3);
  assertEquals(+seen[4].toPrecision(6), 6e-4);
  assertEquals(seen[seen.length - 1], 1e-4);
});
