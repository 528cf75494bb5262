/**
 * `optimize` end to end on the shipped Perov-5 model with a tiny schedule: files per start and
 * decode that our CIF reader reads back, a summary whose success rates follow from its rows, and
 * clear errors for bad input.
 */

import { assert, assertEquals } from "../_assert.ts";
import { main } from "../../src/cli/main.ts";
import { getBackend } from "../../src/compute/backend.ts";
import { readCif } from "../../src/crystal/cif.ts";
import { cli, quiet } from "./_cli.ts";
import { dataDirFor } from "../_datasets.ts";
import { SR_PERCENTILES, successRates } from "../../src/eval/metrics.ts";
import { CDVAE } from "../../src/model/cdvae.ts";
import { saveWeights } from "../../src/train/checkpoint.ts";
import { tinyConfig } from "../model/_tiny.ts";

const TINY = [
  "--opt-steps",
  "12",
  "--decode-every",
  "5",
  "--levels",
  "2",
  "--steps",
  "1",
  "--backend",
  "wasm",
];

Deno.test("optimize → one file per start and decode, summary with SR from its rows", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await quiet(() => main(["optimize", "--start", "random", "-n", "3", "--out", dir, ...TINY]));
    assertEquals(r.value, 0, r.err);
    const s = JSON.parse(await Deno.readTextFile(`${dir}/summary.json`));
    assertEquals([s.task, s.dataset, s.property, s.count], ["optimization", "perov_5", "heat_ref", 12]);
    assertEquals(s.decodeSteps, [0, 5, 10, 11]);
    assertEquals(s.meanHead.values.length, 12);
    assert(s.meanHead.values.at(-1) < s.meanHead.values[0], "the property head did not go down");
    assertEquals(s.crystals[0].file, "s0_step00.cif");
    assertEquals(s.crystals.map((c: { step: number }) => c.step).slice(0, 4), [0, 5, 10, 11]);
    for (const row of s.crystals) {
      const [c] = readCif(await Deno.readTextFile(`${dir}/${row.file}`));
      assertEquals(c.numbers.length, row.atoms);
      assertEquals(typeof row.valid, "boolean");
      assertEquals(row.predicted === null, !row.valid);
    }
    // SR recomputed from the rows ([decodes][starts], invalid → null).
    const props = s.decodeSteps.map((step: number) =>
      [0, 1, 2].map((j) =>
        s.crystals.find((c: { start: number; step: number }) => c.start === j && c.step === step).predicted
      )
    );
    const sr = successRates(props, SR_PERCENTILES.perov_5);
    for (const k of ["sr5", "sr10", "sr15"] as const) assertEquals(s.successRates[k], sr[k]);
    assert(r.out.includes("SR5") && r.out.includes("heat_ref head"), r.out);
    assert(r.err.includes("4 decodes × 3 crystals × 2 Langevin steps (2 levels)"), r.err);
    // Starts from the Perov-5 test split (its committed slice in a bare clone), in a child process with
    // CDVAE_DATA_DIR pointing there.
    const env = { CDVAE_DATA_DIR: await dataDirFor("perov_5", "test") };
    const d = await cli(["optimize", "-n", "2", "--out", `${dir}/data`, ...TINY], { env });
    assertEquals(d.code, 0, d.stderr);
    const sd = JSON.parse(await Deno.readTextFile(`${dir}/data/summary.json`));
    assertEquals([sd.start, sd.ids.length, sd.count], ["data", 2, 8]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("optimize explains bad input", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("usage errors exit 2", async () => {
      const cases: [string[], string][] = [
        [["--start", "nowhere"], "--start"],
        [["--lr", "0"], "--lr"],
        [["--opt-steps", "0"], "--opt-steps"],
        [["--decode-every", "x"], "--decode-every"],
        [["--format", "pdb"], "format"],
        [["--dataset", "nope", "--start", "random"], "Unknown dataset"],
      ];
      for (const [argv, says] of cases) {
        const r = await quiet(() => main(["optimize", ...argv, "--out", `${dir}/x`]));
        assertEquals(r.value, 2, `${argv.join(" ")}: ${r.err}`);
        assert(r.err.includes(says), r.err);
      }
    });
    await t.step("missing data names CDVAE_DATA_DIR", async () => {
      // A child process: setting the variable here would race with other test files.
      const r = await cli(["optimize", "-n", "1", "--out", `${dir}/x`, ...TINY], {
        env: { CDVAE_DATA_DIR: dir },
      });
      assertEquals(r.code, 1);
      assert(r.stderr.includes("CDVAE_DATA_DIR"), r.stderr);
    });
    await t.step("a model without a property head", async () => {
      const model = new CDVAE(await getBackend({ prefer: "wasm" }), {
        ...tinyConfig(),
        predictProperty: false,
      });
      await Deno.mkdir(`${dir}/noprop`);
      await Deno.writeTextFile(`${dir}/noprop/config.json`, JSON.stringify(model.config));
      await saveWeights(`${dir}/noprop`, "weights", model);
      model.dispose();
      const r = await quiet(() =>
        main(["optimize", "--model", `${dir}/noprop`, "--start", "random", ...TINY])
      );
      assertEquals(r.value, 1);
      assert(r.err.includes("no property head"), r.err);
    });
    await t.step("a property model that cannot be read", async () => {
      const r = await quiet(() =>
        main([
          "optimize",
          "--start",
          "random",
          "--property-model",
          `${dir}/none`,
          "--out",
          `${dir}/x`,
          ...TINY,
        ])
      );
      assertEquals(r.value, 1);
      assert(r.err.includes("config.json"), r.err);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
