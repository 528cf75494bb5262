/**
 * bench/recipes_report.ts on a made-up bench/recipes.sh folder: CPU time apportioned to the snapshot's
 * epoch, the proxies read from the evaluate reports, "—" where a report is missing.
 */

import { assertAlmostEquals, assertEquals } from "../_assert.ts";
import { recipeRows, recipeTable } from "../../bench/recipes_report.ts";

async function write(path: string, text: string) {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("recipes_report: rows and table of a recipes folder", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ema = `${root}/ema`;
    await write(
      `${ema}/run/log.csv`,
      "epoch,step,lr,seconds,train_loss,val_loss\n1,10,0.001,100,50,40\n2,20,0.001,200,30,25\n",
    );
    // Two sessions of the run (a resume): 3 000 + 600 CPU seconds in all.
    await write(`${ema}/train.cpu`, "2900.5 99.5\nCommand exited with non-zero status 1\n590 10\n");
    await write(`${ema}/snap_e1/config.json`, "{}");
    await write(`${ema}/snap_e2/config.json`, "{}");
    await write(
      `${ema}/rec_e2/eval/metrics.json`,
      JSON.stringify({ metrics: { matchRate: 0.42, meanRms: 0.1 } }),
    );
    await write(
      `${ema}/gen_e2/eval/metrics.json`,
      JSON.stringify({ metrics: { covRecall: 0.3, valid: 0.95 } }),
    );
    const rows = await recipeRows(root);
    assertEquals(rows.map((r) => [r.recipe, r.epoch]), [["ema", 1], ["ema", 2]]);
    assertAlmostEquals(rows[0].cpuHours, 3600 * 0.5 / 3600, 1e-12);
    assertAlmostEquals(rows[1].cpuHours, 1, 1e-12);
    assertEquals([rows[1].valLoss, rows[1].match, rows[1].covR], [25, 0.42, 0.3]);
    const table = recipeTable(rows).split("\n");
    assertEquals(table[2], "| ema | 1 | 0.50 | 40.000 | — | — | — | — |");
    assertEquals(table[3], "| ema | 2 | 1.00 | 25.000 | 42.0 % | 0.100 | 30.0 % | 95.0 % |");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
