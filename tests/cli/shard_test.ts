/**
 * `generate --shard i/n`: the shards of a run are the unsharded run byte for byte (file names
 * included, whatever the batch size), bad values are usage errors; `evaluate` takes several
 * folders as one set and refuses a set that would hold a crystal twice.
 */

import { assert, assertEquals } from "../_assert.ts";
import { main } from "../../src/cli/main.ts";
import { parseShard } from "../../src/cli/shard.ts";
import { readCrystalSet } from "../../src/cli/crystal_sets.ts";
import { trainTinyModelFolder } from "../model/_tiny.ts";
import { cli, quiet } from "./_cli.ts";
import { dataDirFor } from "../_datasets.ts";

/** File name → contents of the crystal files of a folder (summary.json and eval/ left out). */
async function crystalFiles(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name !== "summary.json") out.set(e.name, await Deno.readTextFile(`${dir}/${e.name}`));
  }
  return out;
}

Deno.test("parseShard() splits N crystals into contiguous ranges that cover them once", () => {
  for (const [total, count] of [[5, 2], [7, 3], [2, 4], [16, 16], [1000, 7]]) {
    const shards = Array.from({ length: count }, (_, i) => parseShard(`${i}/${count}`, total));
    assertEquals(shards[0].first, 0);
    assertEquals(shards[count - 1].end, total);
    shards.slice(1).forEach((s, i) => assertEquals(s.first, shards[i].end, `${total} in ${count}`));
    assert(shards.every((s) => s.end - s.first >= Math.floor(total / count)));
  }
  assertEquals(parseShard(undefined, 9), { index: 0, count: 1, first: 0, end: 9, total: 9 });
});

Deno.test("generate --shard: two shards are the whole run byte for byte; evaluate merges them", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await trainTinyModelFolder(`${dir}/model`);
    const run = async (...args: string[]) => {
      const res = await quiet(() =>
        main([
          "generate",
          "-n",
          "11",
          "--seed",
          "5",
          "--steps",
          "2",
          "--min-sigma",
          "2",
          "--model",
          `${dir}/model`,
          "--backend",
          "wasm",
          ...args,
        ])
      );
      assertEquals(res.value, 0, res.err);
      return res;
    };
    await run("--out", `${dir}/whole`);
    // Batches of 3 in the shards against one batch of 11: batch composition must not matter either.
    await run("--out", `${dir}/s0`, "--shard", "0/2", "--batch-size", "3");
    const s1 = await run("--out", `${dir}/s1`, "--shard", "1/2", "--batch-size", "3");
    assert(s1.err.includes("shard 1/2"), s1.err);

    const whole = await crystalFiles(`${dir}/whole`);
    const [a, b] = [await crystalFiles(`${dir}/s0`), await crystalFiles(`${dir}/s1`)];
    assertEquals([a.size, b.size], [5, 6]);
    assertEquals(new Map([...a, ...b]), whole);
    assertEquals([...a.keys()].sort()[0], "gen_00.cif");
    assertEquals([...b.keys()].sort()[0], "gen_05.cif");
    assert([...whole.values()].some((text) => text !== whole.get("gen_00.cif")), "distinct crystals");
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/s1/summary.json`));
    assertEquals(summary.shard, { index: 1, count: 2, first: 5, end: 11, total: 11 });
    assertEquals(summary.crystals.map((c: { index: number }) => c.index), [5, 6, 7, 8, 9, 10]);

    // The shards, in any order, are the whole run as one set; another seed's crystals join it
    // after them, their clashing file names prefixed with the folder.
    const set = await readCrystalSet([`${dir}/s1`, `${dir}/s0`]);
    assertEquals(set.ids, (await readCrystalSet([`${dir}/whole`])).ids);
    await run("--out", `${dir}/seed6`, "--seed", "6");
    const two = await readCrystalSet([`${dir}/seed6`, `${dir}/whole`]);
    assertEquals(two.crystals.length, 22);
    assertEquals([two.ids[0], two.ids[11]], [`${dir}/seed6/gen_00.cif`, `${dir}/whole/gen_00.cif`]);

    // A set that would count a crystal twice is refused before any work.
    const twice = await quiet(() => main(["evaluate", `${dir}/s0`, `${dir}/s0/`, "--out", `${dir}/e`]));
    assertEquals(twice.value, 1);
    assert(twice.err.includes("given twice"), twice.err);
    const overlap = await quiet(() => main(["evaluate", `${dir}/s1`, `${dir}/whole`, "--out", `${dir}/e`]));
    assertEquals(overlap.value, 1);
    assert(overlap.err.includes("Crystal 5 of model") && overlap.err.includes("overlapping"), overlap.err);
    await run("--out", `${dir}/s1_short`, "--shard", "1/2", "--steps", "1");
    const mixed = await quiet(() => main(["evaluate", `${dir}/s0`, `${dir}/s1_short`, "--out", `${dir}/e`]));
    assertEquals(mixed.value, 1);
    assert(mixed.err.includes("different stepsPerLevel"), mixed.err);
    await run("--out", `${dir}/s1_denoised`, "--shard", "1/2", "--denoise");
    const denoised = await quiet(() =>
      main(["evaluate", `${dir}/s0`, `${dir}/s1_denoised`, "--out", `${dir}/e`])
    );
    assertEquals(denoised.value, 1);
    assert(denoised.err.includes("different denoise"), denoised.err);
    const noOut = await quiet(() => main(["evaluate", `${dir}/s0`, `${dir}/s1`]));
    assertEquals(noOut.value, 2);
    assert(noOut.err.includes("--out"), noOut.err);

    // Against the Perov-5 test split (its committed slice in a bare clone), in a child process with
    // CDVAE_DATA_DIR pointing there.
    const env = { CDVAE_DATA_DIR: await dataDirFor("perov_5", "test") };
    const ev = async (out: string, ...dirs: string[]) => {
      const res = await cli(["evaluate", ...dirs, "--out", out, "--property-model", "none"], { env });
      assertEquals(res.code, 0, res.stderr);
      return { res, metrics: await Deno.readTextFile(`${out}/metrics.json`) };
    };
    const one = await ev(`${dir}/ev_whole`, `${dir}/whole`);
    const both = await ev(`${dir}/ev_shards`, `${dir}/s1`, `${dir}/s0`);
    assertEquals(both.metrics, one.metrics);
    const half = await ev(`${dir}/ev_half`, `${dir}/s0`);
    assert(half.res.stderr.includes("the shards cover 5 of 11 crystals"), half.res.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("generate --shard: values that are not i/n with 0 ≤ i < n are usage errors", async (t) => {
  for (const bad of ["2/2", "1/0", "-1/2", "a/b", "1", "0/2/3", "1.5/3", ""]) {
    await t.step(JSON.stringify(bad), async () => {
      const res = await quiet(() => main(["generate", "--shard", bad, "--model", "/nonexistent/model"]));
      assertEquals(res.value, 2, res.err);
      assert(res.err.includes("--shard"), res.err);
    });
  }
});
