/**
 * The model commands end to end on a tiny model trained for one epoch: `generate` writes files our
 * CIF reader reads back with the summary's facts, `evaluate` reports on them, `reconstruct` keeps
 * the ids; bad input gives clear errors.
 */

import { assert, assertEquals } from "../_assert.ts";
import { main } from "../../src/cli/main.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { trainTinyModelFolder } from "../model/_tiny.ts";
import { cli, quiet } from "./_cli.ts";
import { dataDirFor } from "../_datasets.ts";
import { makeHandler } from "../../src/cli/serve.ts";
import { CDVAE } from "../../src/model/cdvae.ts";

Deno.test("generate → files our reader reads back, summary facts, evaluate report", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await trainTinyModelFolder(`${dir}/model`);
    // A one-step schedule on the tiny model, for every sampling command below.
    const fast = ["--steps", "1", "--min-sigma", "1", "--model", `${dir}/model`];
    const gen = await quiet(() =>
      main([
        "generate",
        "-n",
        "3",
        ...fast,
        "--out",
        `${dir}/gen`,
        "--backend",
        "wasm",
        "--render",
      ])
    );
    assertEquals(gen.value, 0, gen.err);
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/gen/summary.json`));
    assertEquals(summary.count, 3);
    for (const k of [0, 1, 2]) {
      assert((await Deno.readTextFile(`${dir}/gen/gen_${k}.svg`)).includes('class="atom"'));
    }
    for (const row of summary.crystals) {
      const [c] = readCif(await Deno.readTextFile(`${dir}/gen/${row.file}`));
      assertEquals(c.numbers.length, row.atoms);
      assert(c.frac.every((f) => f >= 0 && f < 1));
      assertEquals(typeof row.structurallyValid, "boolean");
    }
    const model = await CDVAE.load(`${dir}/model`, { backend: await getBackend({ prefer: "wasm" }) });
    const handle = makeHandler(model);
    const res = await handle(new Request("http://x/generate?n=2&steps=1&seed=3"));
    assertEquals(res.status, 200);
    const body = await res.json();
    assertEquals(body.crystals.length, 2);
    assertEquals(readCif(body.crystals[0].cif)[0].numbers.length, body.crystals[0].summary.atoms);
    assertEquals((await handle(new Request("http://x/generate?n=999"))).status, 400);
    assertEquals((await handle(new Request("http://x/nope"))).status, 404);
    assert((await (await handle(new Request("http://x/"))).text()).includes("<form"));
    model.dispose();
    // A folder of crystals as the input (on the resident loop); evaluate finds the originals through
    // the recorded path.
    const recDir = await quiet(() =>
      main([
        "reconstruct",
        "--input",
        `${dir}/gen`,
        ...fast,
        "--out",
        `${dir}/rec_folder`,
        "--backend",
        "wasm",
        "--loop",
        "resident",
      ])
    );
    assertEquals(recDir.value, 0, recDir.err);
    const rf = JSON.parse(await Deno.readTextFile(`${dir}/rec_folder/summary.json`));
    assertEquals(rf.ids, summary.crystals.map((c: { file: string }) => c.file));
    assertEquals([rf.backend, rf.loop, summary.loop], ["wasm", "resident", "host"]);
    const evf = await quiet(() => main(["evaluate", `${dir}/rec_folder`]));
    assertEquals(evf.value, 0, evf.err);
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${dir}/rec_folder/eval/metrics.json`)).crystals.length,
      3,
    );
    // Against the Perov-5 test split (its committed slice in a bare clone), in a child process with
    // CDVAE_DATA_DIR pointing there.
    const env = { CDVAE_DATA_DIR: await dataDirFor("perov_5", "test") };
    const ev = await cli(["evaluate", `${dir}/gen`, "--dataset", "perov_5"], { env });
    assertEquals(ev.code, 0, ev.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${dir}/gen/eval/metrics.json`));
    assertEquals(report.task, "generation");
    assertEquals(report.crystals.length, 3);
    assert((await Deno.readTextFile(`${dir}/gen/eval/metrics.md`)).includes("CDVAE paper"));
    for (const f of ["density.svg", "num_elements.svg", "metrics.json", "metrics.md"]) {
      assert(ev.stderr.includes(`${dir}/gen/eval/${f}`), `evaluate names ${f}`);
    }
    // Two Perov-5 test crystals through the one-step schedule into OUT.
    const reconstructTest = (out: string, ...extra: string[]) =>
      cli([
        "reconstruct",
        "--input",
        "dataset:perov_5:test",
        "--limit",
        "2",
        ...fast,
        "--out",
        out,
        "--backend",
        "wasm",
        ...extra,
      ], {
        env,
      });
    const rec = await reconstructTest(`${dir}/rec`);
    assertEquals(rec.code, 0, rec.stderr);
    const rs = JSON.parse(await Deno.readTextFile(`${dir}/rec/summary.json`));
    assertEquals(rs.ids.length, 2);
    const ev2 = await cli(["evaluate", `${dir}/rec`], { env });
    assertEquals(ev2.code, 0, ev2.stderr);
    assert(ev2.stdout.includes("match rate"), ev2.stdout);
    // The reference's force_atom_types: the originals' atoms are kept, so every composition is.
    const kept = await reconstructTest(`${dir}/rec_kept`, "--force-atom-types");
    assertEquals(kept.code, 0, kept.stderr);
    const ks = JSON.parse(await Deno.readTextFile(`${dir}/rec_kept/summary.json`));
    assertEquals([ks.forceNumAtoms, ks.forceAtomTypes, ks.loop], [true, true, "host"]);
    const ev3 = await cli(["evaluate", `${dir}/rec_kept`], { env });
    assertEquals(ev3.code, 0, ev3.stderr);
    const km = JSON.parse(await Deno.readTextFile(`${dir}/rec_kept/eval/metrics.json`)).metrics;
    assertEquals([km.compositionKept.atomCount, km.compositionKept.composition], [1, 1]);
    const resident = await quiet(() =>
      main(["reconstruct", "--input", `${dir}/gen`, ...fast, "--force-atom-types", "--loop", "resident"])
    );
    assertEquals(resident.value, 2, resident.err);
    assert(resident.err.includes("--force-atom-types runs on the host loop"), resident.err);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("model commands explain bad input", async () => {
  const missing = await quiet(() => main(["generate", "--model", "/nonexistent/model"]));
  assertEquals(missing.value, 1);
  assert(missing.err.includes("config.json"), missing.err);
  const badN = await quiet(() => main(["generate", "-n", "zero"]));
  assertEquals(badN.value, 2);
  const noInput = await quiet(() => main(["reconstruct"]));
  assertEquals(noInput.value, 2);
  assert(noInput.err.includes("--input"));
  const badSet = await quiet(() => main(["train", "--dataset", "nope"]));
  assertEquals(badSet.value, 2);
  for (
    const [flags, says] of [
      [["--schedule", "linear"], "--schedule"],
      [["--ema", "1"], "--ema"],
      [["--min-lr", "-1"], "--min-lr"],
      [["--warmup", "1.5"], "--warmup"],
      [["--encoder-graph", "knn"], "--encoder-graph"],
      [["--encoder-graph", "radius", "--resume"], "--encoder-graph"],
    ]
  ) {
    const bad = await quiet(() => main(["train", ...flags as string[]]));
    assertEquals(bad.value, 2, String(flags));
    assert(bad.err.includes(says as string), bad.err);
  }
  const noDir = await quiet(() => main(["evaluate", "/nonexistent/dir"]));
  assertEquals(noDir.value, 1);
});
