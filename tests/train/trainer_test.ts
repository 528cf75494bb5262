/** The trainer: checkpoints load back to the same model, and a resumed run equals an uninterrupted one. */

import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../_assert.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { loadCustomData, train, type TrainingData, type TrainOptions } from "../../src/train/trainer.ts";
import { WeightEma } from "../../src/train/ema.ts";
import { fitModelScalers } from "../../src/data/preprocess.ts";
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

const run = (outDir: string, epochs: number, resume = false, extra: Partial<TrainOptions> = {}) =>
  train({
    backend: be,
    config: tinyConfig(),
    data: data(),
    outDir,
    epochs,
    batchSize: 4,
    resume,
    seed: 11,
    ...extra,
  });

/** log.csv rows without the wall-time column. */
async function logRows(dir: string): Promise<string[][]> {
  const lines = (await Deno.readTextFile(`${dir}/log.csv`)).trim().split("\n");
  return lines.map((l) => l.split(",").filter((_, i) => i !== 3));
}

/** state.json without the wall time. */
async function stateOf(dir: string): Promise<Record<string, unknown>> {
  const s = JSON.parse(await Deno.readTextFile(`${dir}/state.json`));
  delete s.seconds;
  return s;
}

/** The recipes the resume test covers: the reference's, and each new option. */
const RECIPES: Record<string, Partial<TrainOptions>> = {
  "reference (plateau)": {},
  "EMA + warm-up + cosine": { ema: 0.9, schedule: "cosine", warmup: 3, lr: 2e-3, minLr: 1e-4 },
  "constant + warm-up": { schedule: "constant", warmup: 2 },
  "fitted scale factors": { fitScales: true },
};

/** Byte equality without a diff (a failing assertEquals on megabytes would diff them). */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = [await Deno.readFile(a), await Deno.readFile(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Runs to `epochs` but stops (as Ctrl-C would) right after epoch `stopAfter` has been saved. */
async function stoppedRun(outDir: string, epochs: number, stopAfter: number, extra: Partial<TrainOptions>) {
  let stop = false;
  const s = await run(outDir, epochs, false, {
    ...extra,
    onEpoch: (row) => stop = row.epoch >= stopAfter,
    shouldStop: () => stop,
  });
  assert(s.stoppedEarly);
  assertEquals(s.epochs, stopAfter);
}

Deno.test("resuming from the last checkpoint reproduces the uninterrupted run bit for bit", async (t) => {
  for (const [name, extra] of Object.entries(RECIPES)) {
    await t.step(name, async () => {
      const dir = await Deno.makeTempDir();
      try {
        const full = await run(`${dir}/full`, 3, false, extra);
        assertEquals(full.epochs, 3);
        assertEquals(full.steps, 6);
        await stoppedRun(`${dir}/split`, 3, 1, extra);
        // Resumed without the options: the run's saved schedule and EMA continue.
        const resumed = await run(`${dir}/split`, 3, true);
        assertEquals(resumed.steps, 6);
        const files = ["last.safetensors", "best.safetensors", "last.optim.safetensors"];
        if (extra.ema !== undefined) files.push("last.ema.safetensors");
        for (const f of files) assert(await sameFile(`${dir}/full/${f}`, `${dir}/split/${f}`), f);
        assertEquals(await logRows(`${dir}/full`), await logRows(`${dir}/split`)); // every column but wall time
        assertEquals(await stateOf(`${dir}/full`), await stateOf(`${dir}/split`));
        if (extra.ema !== undefined) assertEquals((await stateOf(`${dir}/split`)).emaUpdates, 6);
        assert((await Deno.readTextFile(`${dir}/full/loss.svg`)).includes("<polyline"));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });
  }
});

Deno.test("a checkpoint without schedule and EMA state (written before they existed) resumes as the reference", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await run(`${dir}/full`, 3);
    await run(`${dir}/old`, 1);
    const state = JSON.parse(await Deno.readTextFile(`${dir}/old/state.json`));
    assertEquals(state.schedule.kind, "plateau");
    assertEquals(state.emaDecay, undefined);
    delete state.schedule;
    await Deno.writeTextFile(`${dir}/old/state.json`, JSON.stringify(state, null, 1) + "\n");
    await run(`${dir}/old`, 3, true);
    assertEquals(
      await Deno.readFile(`${dir}/full/last.safetensors`),
      await Deno.readFile(`${dir}/old/last.safetensors`),
    );
    assertEquals(await logRows(`${dir}/full`), await logRows(`${dir}/old`));
    await Deno.stat(`${dir}/old/last.ema.safetensors`).then(
      () => assert(false, "no EMA file without --ema"),
      () => {},
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an EMA saved before its warm-up existed (no emaUpdates) continues with its fixed decay", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await stoppedRun(`${dir}/warm`, 2, 1, { ema: 0.9 });
    const state = JSON.parse(await Deno.readTextFile(`${dir}/warm/state.json`));
    assertEquals(state.emaUpdates, 2);
    await Deno.mkdir(`${dir}/old`);
    for await (const f of Deno.readDir(`${dir}/warm`)) {
      await Deno.copyFile(`${dir}/warm/${f.name}`, `${dir}/old/${f.name}`);
    }
    delete state.emaUpdates;
    await Deno.writeTextFile(`${dir}/old/state.json`, JSON.stringify(state, null, 1) + "\n");
    await run(`${dir}/warm`, 2, true);
    await run(`${dir}/old`, 2, true);
    assertEquals((await stateOf(`${dir}/warm`)).emaUpdates, 4);
    assertEquals((await stateOf(`${dir}/old`)).emaUpdates, undefined);
    // Same weights, different averages: the old run's used 0.9, the warm run's 3/12 and 4/13.
    assert(await sameFile(`${dir}/warm/last.safetensors`, `${dir}/old/last.safetensors`));
    assert(!(await sameFile(`${dir}/warm/last.ema.safetensors`, `${dir}/old/last.ema.safetensors`)));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--warmup scales the rate step by step; cosine falls towards --min-lr over the run", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const lrs = async (d: string) =>
      (await Deno.readTextFile(`${d}/log.csv`)).trim().split("\n").slice(1).map((l) =>
        Number(l.split(",")[2])
      );
    // 2 steps per epoch: the last step of epoch 1 is step 2 of a 4-step warm-up.
    await run(`${dir}/w`, 3, false, { schedule: "constant", warmup: 4, lr: 1e-3 });
    assertEquals(await lrs(`${dir}/w`), [5e-4, 1e-3, 1e-3]);
    await run(`${dir}/c`, 3, false, { schedule: "cosine", lr: 1e-3, minLr: 1e-4 });
    const c = await lrs(`${dir}/c`);
    // The last of 6 steps runs at 5/6 of the half cosine (it reaches --min-lr when the run ends).
    assertAlmostEquals(c[2], 1e-4 + 0.5 * 9e-4 * (1 + Math.cos(5 * Math.PI / 6)), 1e-10);
    assert(c[0] < 1e-3 && c[0] > c[1] && c[1] > c[2], `${c}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WeightEma: each update moves the average by (1 − decay) towards the weights; decay 0 saves the weights", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = new CDVAE(be, { ...tinyConfig(), scalers: fitModelScalers(tinyRecords()) }, 1);
    const ema = await WeightEma.create(be, model, 0.75, undefined);
    const warm = await WeightEma.create(be, model, 0.75, 0);
    const p = model.store.trainable()[0];
    const w0 = (await p.read()).slice() as Float32Array;
    const w1 = w0.map((x) => x + 1);
    be.write(p.buffer, w1);
    await ema.update();
    await warm.update();
    const expect = w0.map((x, i) => 0.75 * x + 0.25 * w1[i]);
    assertEquals(ema.values[0], expect);
    assertEquals((await ema.sync().store.trainable()[0].read()) as Float32Array, expect);
    // Warm-up: update n uses min(decay, (1 + n)/(10 + n)): 0.1 first, the full 0.75 from n = 26 on.
    assertEquals(warm.values[0], w0.map((x, i) => Math.fround(0.1 * x + (1 - 0.1) * w1[i])));
    assertEquals(warm.updates, 1);
    warm.updates = 25;
    assertAlmostEquals(warm.currentDecay, 26 / 35, 1e-12);
    warm.updates = 26;
    assertEquals(warm.currentDecay, 0.75);
    assertEquals(ema.currentDecay, 0.75); // no warm-up: always the decay
    ema.dispose();
    warm.dispose();
    model.dispose();
    // With decay 0 the average is the weights: the saved average equals the last weights.
    await run(`${dir}/e0`, 2, false, { ema: 0 });
    const a = decodeSafetensors(await Deno.readFile(`${dir}/e0/last.safetensors`)).tensors;
    const b = decodeSafetensors(await Deno.readFile(`${dir}/e0/last.ema.safetensors`)).tensors;
    for (const [name, t] of a) assertEquals(b.get(name)!.data, t.data, name);
    let msg = "";
    await WeightEma.create(
      be,
      new CDVAE(be, { ...tinyConfig(), scalers: fitModelScalers(tinyRecords()) }),
      1,
      0,
    )
      .catch((e) => msg = e.message);
    assert(msg.includes("[0, 1)"), msg);
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

Deno.test("a diverging run stops with the epoch it keeps and how to continue, its checkpoint intact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = { backend: be, config: tinyConfig(), data: data(), batchSize: 4, seed: 11, outDir: dir };
    await train({ ...base, epochs: 1 });
    const saved = await Deno.readFile(`${dir}/last.safetensors`);
    // A rate this large sends the weights to infinity within a few steps.
    await assertRejects(
      () => train({ ...base, epochs: 3, resume: true, lr: 1e30, schedule: "constant" }),
      Error,
      /^Training diverged at epoch 2, batch \d+: loss NaN\. The last complete epoch \(1\) is kept in .*: continue it with --resume and a lower --lr$/,
    );
    assertEquals(await Deno.readFile(`${dir}/last.safetensors`), saved);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/state.json`)).epoch, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
