/** The plateau test of a run's log: the best validation loss over the last 20 epochs. */

import { assertAlmostEquals, assertEquals, assertThrows } from "../_assert.ts";
import { recentImprovement } from "../../src/train/progress.ts";

const log = (vals: (number | "")[]) =>
  ["epoch,step,val_loss", ...vals.map((v, i) => `${i + 1},${10 * (i + 1)},${v}`)].join("\n");

Deno.test("recentImprovement compares the best up to the last epoch with the best 20 epochs before", () => {
  // Best 8 at epoch 5, then nothing better until 7.95 at epoch 25: −0.625 %, a plateau.
  const vals: number[] = Array.from({ length: 25 }, (_, i) => i === 4 ? 8 : 9);
  vals[24] = 7.95;
  const r = recentImprovement(log(vals))!;
  assertEquals([r.epoch, r.best, r.bestBefore, r.plateau], [25, 7.95, 8, true]);
  assertAlmostEquals(r.change, -0.00625, 1e-12);
  // The same run with 7.9 at the end improved 1.25 %: still improving.
  vals[24] = 7.9;
  assertEquals(recentImprovement(log(vals))!.plateau, false);
});

Deno.test("recentImprovement skips epochs without validation and needs a validated epoch 20 back", () => {
  assertEquals(recentImprovement(log(Array(20).fill(5))), undefined);
  const sparse: (number | "")[] = Array.from({ length: 24 }, (_, i) => (i + 1) % 4 === 0 ? 10 - i / 10 : "");
  const r = recentImprovement(log(sparse))!;
  assertEquals([r.best, r.bestBefore], [10 - 2.3, 10 - 0.3]);
  assertThrows(() => recentImprovement("epoch,loss\n1,2"), Error, /val_loss/);
});
