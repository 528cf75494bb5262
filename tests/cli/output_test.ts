/**
 * The CLI loses nothing and explains itself: output folders are fresh or replaced whole (never a mix
 * of two runs, never a folder that is not an earlier output), an interrupted write leaves the
 * previous folder, `train` never overwrites a run without `--resume`, mistyped options and commands
 * get a suggestion, numeric limits are named, and every error is one line.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "../_assert.ts";
import { main } from "../../src/cli/main.ts";
import { oneLine, UsageError } from "../../src/cli/command.ts";
import { writeCrystals } from "../../src/cli/generate.ts";
import { checkOutputDir, checkRunDir, replaceOutputDir } from "../../src/cli/output_dir.ts";
import { closest, editDistance } from "../../src/cli/suggest.ts";
import { writeCif } from "../../src/crystal/cif.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { quiet } from "./_cli.ts";
import { datasetToTrain } from "../../src/cli/train.ts";

/** Rock salt (conventional cell): a valid crystal to write. */
function nacl(name = "NaCl"): Crystal {
  return {
    lattice: new Float64Array([5.64, 0, 0, 0, 5.64, 0, 0, 0, 5.64]),
    frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5]),
    numbers: new Uint8Array([11, 17]),
    name,
  };
}

/** Names in `dir`, sorted. */
function list(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

/** Runs `fn` in a fresh temporary folder, removed afterwards. */
async function inTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Asserts a failed CLI call printed exactly one line on stderr and no stack trace. */
function assertOneLine(err: string): void {
  assertEquals(err.trimEnd().split("\n").length, 1, err);
  assert(!/\n\s+at /.test(err), err);
}

Deno.test("suggestions: prefixes, typos and transpositions; nothing when nothing is close", () => {
  assertEquals(editDistance("stpes", "steps"), 1);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("kitten", "sitting"), 3);
  const options = ["n", "out", "model", "seed", "steps", "levels", "step-lr", "min-sigma", "batch-size"];
  assertEquals(closest("step", options), "steps");
  assertEquals(closest("stpes", options), "steps");
  assertEquals(closest("batch", options), "batch-size");
  assertEquals(closest("modle", options), "model");
  assertEquals(closest("sed", options), "seed");
  assertEquals(closest("temperature", options), undefined);
  assertEquals(closest("genrate", ["generate", "reconstruct", "evaluate"]), "generate");
});

Deno.test("a mistyped option or command is a one-line usage error (exit 2) that suggests the right one", async () => {
  const cases: [string[], RegExp][] = [
    [["generate", "--step", "20"], /Unknown option --step \(did you mean --steps\?\)/],
    [["generate", "--stpes=20"], /Unknown option --stpes \(did you mean --steps\?\)/],
    [["generate", "-steps", "20"], /Unknown option -steps \(did you mean --steps\?\)/],
    [["train", "--resum"], /did you mean --resume\?/],
    [["generate", "--temperature", "3"], /Unknown option --temperature(?! \()/],
    [["genrate"], /Unknown command "genrate" \(did you mean generate\?\)/],
  ];
  for (const [argv, says] of cases) {
    const r = await quiet(() => main(argv));
    assertEquals(r.value, 2, argv.join(" "));
    assertMatch(r.err, says);
    assertOneLine(r.err);
  }
  // A value that starts with a dash is not taken for an option: the seed's own check answers.
  const negative = await quiet(() => main(["generate", "--seed=-1"]));
  assertEquals(negative.value, 2);
  assertMatch(negative.err, /Invalid --seed "-1": expected an integer in 0…4294967295/);
});

Deno.test("limits are named: -n past what one process holds, seeds past 2^32 − 1, blank numbers", async () => {
  const huge = await quiet(() => main(["generate", "-n", "1000000000", "--model", "/nonexistent"]));
  assertEquals(huge.value, 2);
  assertMatch(
    huge.err,
    /-n 1000000000 makes 1000000000 crystals in one process, more than the 100000 .*--shard i\/K, K ≥ 10000/,
  );
  assertOneLine(huge.err);
  // Split into shards, the same run fits: the check is per process (then the missing model answers).
  const sharded = await quiet(() =>
    main([
      "generate",
      "-n",
      "1000000000",
      "--shard",
      "3/10000",
      "--model",
      "/nonexistent",
      "--backend",
      "wasm",
    ])
  );
  assertEquals(sharded.value, 1, sharded.err);
  assertMatch(sharded.err, /config\.json/);
  for (const cmd of [["generate"], ["reconstruct", "--input", "x.cif"], ["train"], ["optimize"]]) {
    const r = await quiet(() => main([...cmd, "--seed", String(2 ** 32)]));
    assertEquals(r.value, 2, cmd[0]);
    assertMatch(r.err, /Invalid --seed "4294967296": expected an integer in 0…4294967295/);
  }
  // The largest seed is accepted: the run gets as far as loading the (missing) model.
  const largest = await quiet(() =>
    main(["generate", "--seed", String(2 ** 32 - 1), "--model", "/nonexistent", "--backend", "wasm"])
  );
  assertEquals(largest.value, 1, largest.err);
  assertMatch(largest.err, /config\.json/);
  const blank = await quiet(() => main(["generate", "-n", " "]));
  assertEquals(blank.value, 2);
  assertMatch(blank.err, /Invalid -n/);
});

Deno.test("errors are one bounded line: line breaks joined, a huge message cut", async () => {
  assertEquals(oneLine("a\n  b\r\nc"), "a b c");
  const long = oneLine("x".repeat(5000), 100);
  assertEquals(long, `${"x".repeat(100)}… (4900 more characters)`);
  await inTemp(async (dir) => {
    // A CIF whose one token is 2 MB long: the message about it stays short.
    await Deno.writeTextFile(`${dir}/big.cif`, `data_x\n_cell_length_a ${"9".repeat(2_000_000)}\n`);
    const r = await quiet(() => main(["convert", `${dir}/big.cif`, `${dir}/out.vasp`]));
    assertEquals(r.value, 1);
    assertOneLine(r.err);
    assert(r.err.length < 1200, `${r.err.length} characters`);
  });
});

Deno.test("writing crystals into an earlier output replaces it whole: no stale files, no old report", async () => {
  await inTemp(async (dir) => {
    const out = `${dir}/gen`;
    await writeCrystals([nacl(), nacl(), nacl(), nacl()], out, "cif", "gen_");
    await Deno.mkdir(`${out}/eval`);
    await Deno.writeTextFile(`${out}/eval/metrics.json`, "{}");
    assertEquals(list(out), ["eval", "gen_0.cif", "gen_1.cif", "gen_2.cif", "gen_3.cif", "summary.json"]);
    const valid = await writeCrystals([nacl(), nacl()], out, "cif", "gen_");
    assertEquals(valid, 2);
    assertEquals(list(out), ["gen_0.cif", "gen_1.cif", "summary.json"]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${out}/summary.json`)).count, 2);
    assertEquals(list(dir), ["gen"], "no partial or old folder is left beside it");
  });
});

Deno.test("a folder that is not an earlier output is never replaced; a file is no folder", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "keep me");
    const err = await assertRejects(
      () => writeCrystals([nacl()], `${dir}/mine`, "cif", "gen_"),
      UsageError,
    );
    assertMatch(err.message, /holds files but no summary\.json/);
    assertEquals(list(`${dir}/mine`), ["notes.txt"]);
    await Deno.writeTextFile(`${dir}/file`, "x");
    await assertRejects(() => checkOutputDir(`${dir}/file`, "summary.json"), UsageError, /is a file/);
    await assertRejects(() => checkOutputDir(Deno.cwd(), "summary.json"), UsageError, /working folder/);
    await Deno.mkdir(`${dir}/empty`);
    await checkOutputDir(`${dir}/empty`, "summary.json");
    await checkOutputDir(`${dir}/absent/deeper`, "summary.json");
  });
});

Deno.test("an interrupted write leaves the previous output; leftovers of a killed run go at the next write", async () => {
  await inTemp(async (dir) => {
    const out = `${dir}/rec`;
    await writeCrystals([nacl("a"), nacl("b")], out, "cif", "rec_");
    const before = await Deno.readTextFile(`${out}/summary.json`);
    await assertRejects(
      () =>
        replaceOutputDir(out, "summary.json", async (tmp) => {
          await Deno.writeTextFile(`${tmp}/rec_0.cif`, writeCif(nacl("new")));
          throw new Error("interrupted");
        }),
      Error,
      /interrupted/,
    );
    assertEquals(list(out), ["rec_0.cif", "rec_1.cif", "summary.json"]);
    assertEquals(await Deno.readTextFile(`${out}/summary.json`), before);
    assertEquals(list(dir), ["rec"]);
    // A run killed while writing, or between the two renames of its swap, leaves hidden folders.
    await Deno.mkdir(`${dir}/.rec.partial-killed`);
    await Deno.mkdir(`${dir}/.rec.old-killed`);
    await writeCrystals([nacl("c")], out, "cif", "rec_");
    assertEquals(list(dir), ["rec"]);
    assertEquals(list(out), ["rec_0.cif", "summary.json"]);
  });
});

Deno.test("generate refuses a bad --out before sampling (exit 2), leaving it as it was", async () => {
  await inTemp(async (dir) => {
    await Deno.writeTextFile(`${dir}/out.cif`, "x");
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "keep me");
    // With a model that does not exist: the --out check comes first, so the answer is about --out.
    for (const [out, says] of [["out.cif", /is a file/], ["mine", /no summary\.json/]] as const) {
      for (const cmd of [["generate"], ["reconstruct", "--input", `${dir}/out.cif`], ["optimize"]]) {
        const r = await quiet(() => main([...cmd, "--model", "/nonexistent", "--out", `${dir}/${out}`]));
        assertEquals(r.value, 2, `${cmd[0]} → ${out}: ${r.err}`);
        assertMatch(r.err, says);
        assertOneLine(r.err);
      }
    }
    assertEquals(await Deno.readTextFile(`${dir}/out.cif`), "x");
    assertEquals(list(`${dir}/mine`), ["notes.txt"]);
  });
});

Deno.test("evaluate writes its report folder whole and refuses a folder that is not a report", async () => {
  await inTemp(async (dir) => {
    // A reconstruction folder whose originals are a folder of crystal files: no dataset needed.
    await Deno.mkdir(`${dir}/orig`);
    for (const id of ["a", "b"]) await Deno.writeTextFile(`${dir}/orig/${id}.cif`, writeCif(nacl(id)));
    await writeCrystals([nacl("a"), nacl("b")], `${dir}/rec`, "cif", "rec_", {
      input: await Deno.realPath(`${dir}/orig`),
      ids: ["a.cif", "b.cif"],
    });
    await Deno.mkdir(`${dir}/rec/eval`);
    await Deno.writeTextFile(`${dir}/rec/eval/metrics.json`, "{}");
    await Deno.writeTextFile(`${dir}/rec/eval/density.svg`, "<svg/>"); // of an earlier generation report
    const r = await quiet(() => main(["evaluate", `${dir}/rec`]));
    assertEquals(r.value, 0, r.err);
    assertEquals(list(`${dir}/rec/eval`), ["metrics.json", "metrics.md"]);
    assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/rec/eval/metrics.json`)).metrics.count, 2);
    await Deno.mkdir(`${dir}/mine`);
    await Deno.writeTextFile(`${dir}/mine/notes.txt`, "keep me");
    const bad = await quiet(() => main(["evaluate", `${dir}/rec`, "--out", `${dir}/mine`]));
    assertEquals(bad.value, 2, bad.err);
    assertMatch(bad.err, /no metrics\.json/);
    assertEquals(list(`${dir}/mine`), ["notes.txt"]);
  });
});

Deno.test("train never overwrites a run without --resume, and --resume needs a run", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/run`);
    await Deno.writeTextFile(`${dir}/run/state.json`, JSON.stringify({ epoch: 7 }));
    await Deno.writeTextFile(`${dir}/run/last.safetensors`, "weights");
    const r = await quiet(() => main(["train", "--out", `${dir}/run`, "--epochs", "1"]));
    assertEquals(r.value, 2, r.err);
    assertMatch(r.err, /already holds a training run at epoch 7 .*--resume/);
    assertOneLine(r.err);
    assertEquals(await Deno.readTextFile(`${dir}/run/last.safetensors`), "weights");
    await checkRunDir(`${dir}/run`, true);
    await checkRunDir(`${dir}/fresh`, false);
    const none = await quiet(() => main(["train", "--out", `${dir}/fresh`, "--resume"]));
    assertEquals(none.value, 2, none.err);
    assertMatch(none.err, /holds no training run to continue/);
    await Deno.writeTextFile(`${dir}/file`, "x");
    await assertRejects(() => checkRunDir(`${dir}/file`, false), UsageError, /is a file/);
  });
});

Deno.test("train --resume continues a run on its own dataset and refuses another", async () => {
  await inTemp(async (dir) => {
    await Deno.mkdir(`${dir}/run`);
    await Deno.copyFile(
      new URL("../../data/models/mp_20/config.json", import.meta.url),
      `${dir}/run/config.json`,
    );
    await Deno.writeTextFile(`${dir}/run/state.json`, JSON.stringify({ epoch: 7 }));
    const out = `${dir}/run`;
    assertEquals(await datasetToTrain({ resume: true, out }), "mp_20");
    assertEquals(await datasetToTrain({ resume: true, out, dataset: "mp_20" }), "mp_20");
    assertEquals(await datasetToTrain({ out: `${dir}/new` }), "perov_5");
    assertEquals(await datasetToTrain({ out, dataset: "carbon_24" }), "carbon_24");
    const r = await quiet(() => main(["train", "--out", out, "--resume", "--dataset", "perov_5"]));
    assertEquals(r.value, 2, r.err);
    assertMatch(r.err, /trains on mp_20; --dataset perov_5 would continue it on other data/);
    assertOneLine(r.err);
  });
});
