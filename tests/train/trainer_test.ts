/** The trainer: checkpoints load back to the same model, and a resumed run equals an uninterrupted one. */

import { assert, assertAlmostEquals, assertEquals } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { loadCustomData, train, type TrainingData } from "../../src/train/trainer.ts";
import { writeCif } from "../../src/crystal/cif.ts";
import { propertyMae, trainPropertyModel } from "../../src/train/property.ts";
import { PropertyModel } from "../../src/model/property.ts";
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

Deno.test("a stop requested from a timer (as a signal listener runs) ends the run after the current batch", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let stop = false;
    const steps: number[] = [];
    const summary = await train({
      backend: be,
      config: tinyConfig(),
      data: data(),
      outDir: dir,
      epochs: 2,
      batchSize: 1, // 6 batches per epoch
      seed: 11,
      onStep: (s) => {
        steps.push(s.batch);
        if (s.batch === 2) setTimeout(() => stop = true, 0);
      },
      shouldStop: () => stop,
    });
    assert(summary.stoppedEarly);
    assertEquals(steps, [1, 2]); // the timer fires between batches, not at the epoch's end
    assertEquals(summary.epochs, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--lr given on resume replaces the run's rate; without it the saved rate continues", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = { backend: be, config: tinyConfig(), data: data(), batchSize: 4, seed: 11 };
    await train({ ...base, outDir: `${dir}/a`, epochs: 1, lr: 2e-3 });
    await train({ ...base, outDir: `${dir}/a`, epochs: 2, resume: true, lr: 5e-4 });
    await train({ ...base, outDir: `${dir}/a`, epochs: 3, resume: true });
    const lrs = (await Deno.readTextFile(`${dir}/a/log.csv`)).trim().split("\n").slice(1).map((l) =>
      Number(l.split(",")[2])
    );
    assertEquals(lrs, [2e-3, 5e-4, 5e-4]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/a/state.json`)).lr, 5e-4);
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
    const [x, y] = [await model.encode(crystals, 1), await again.encode(crystals, 1)];
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

Deno.test("custom data: a folder of CIFs or a CSV is split with the seed; too little data is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const recs = tinyRecords();
    await Deno.mkdir(`${dir}/cifs`);
    for (let i = 0; i < 10; i++) {
      const r = recs[i % 2];
      await Deno.writeTextFile(
        `${dir}/cifs/c${i}.cif`,
        writeCif({ lattice: r.lattice, frac: r.frac, numbers: r.numbers, name: `c${i}` }),
      );
    }
    const a = await loadCustomData(`${dir}/cifs`, { seed: 3 });
    const b = await loadCustomData(`${dir}/cifs`, { seed: 3 });
    assertEquals([a.splits.train.length, a.splits.val.length, a.splits.test.length], [8, 1, 1]);
    assertEquals(a.splits, b.splits);
    assertEquals(a.train.length, 8);
    const all = [...a.splits.train, ...a.splits.val, ...a.splits.test].sort();
    assertEquals(all, Array.from({ length: 10 }, (_, i) => `c${i}.cif`).sort());
    const rows = recs.map((r, i) =>
      `${i},m${i},"${writeCif({ lattice: r.lattice, frac: r.frac, numbers: r.numbers })}",${i + 0.5}`
    );
    await Deno.writeTextFile(
      `${dir}/d.csv`,
      ",material_id,cif,energy\n" + [...rows, ...rows.map((l) => l.replace(/^(\d),m/, "$1,n"))].join("\n") +
        "\n",
    );
    const c = await loadCustomData(`${dir}/d.csv`, {
      property: "energy",
      seed: 1,
      valShare: 0.25,
      testShare: 0.25,
    });
    assertEquals(c.train.length + c.val.length + c.splits.test.length, 4);
    assert(c.train.every((r) => r.property === 0.5 || r.property === 1.5));
    let msg = "";
    await loadCustomData(`${dir}/d.csv`, { property: "nope" }).catch((e) => msg = e.message);
    assert(msg.includes('"nope"'), msg);
    await Deno.mkdir(`${dir}/empty`);
    await loadCustomData(`${dir}/empty`).catch((e) => msg = e.message);
    assert(msg.includes("0 crystals"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("property model: trains, keeps its best weights, loads back with the same predictions", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = tinyRecords();
    const recs = [...r, ...r, ...r].map((x, i) => ({ ...x, id: `p${i}`, property: x.property + 0.1 * i }));
    const res = await trainPropertyModel({
      backend: be,
      config: {
        format: "cdvae-property-config/1",
        dataset: "perov_5",
        property: "heat_ref",
        encoder: tinyConfig().encoder,
        scaler: { mean: [0], std: [1] },
      },
      data: { train: recs, val: r, note: "tiny" },
      outDir: dir,
      epochs: 3,
      batchSize: 3,
    });
    assert(Number.isFinite(res.bestMae) && res.bestEpoch >= 1);
    const cfg = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    assert(Math.abs(cfg.scaler.mean[0] - recs.reduce((s, x) => s + x.property, 0) / recs.length) < 1e-9);
    const crystals = r.map((x) => ({ lattice: x.lattice, frac: x.frac, numbers: x.numbers }));
    const [a, b] = [
      await PropertyModel.load(dir, { backend: be }),
      await PropertyModel.load(dir, { backend: be }),
    ];
    const [pa, pb] = [await a.predict(crystals), await b.predict(crystals)];
    assertEquals(pa, pb);
    assertAlmostEquals(await propertyMae(a, r, 4), res.bestMae, 1e-5);
    a.dispose();
    b.dispose();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
