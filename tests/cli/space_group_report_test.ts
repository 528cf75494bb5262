/**
 * Space groups in summary.json (`generate`, `reconstruct`): each crystal's number and symbol at the
 * `--symprec` recorded in the summary, `null` for a crystal the search cannot handle, and a usage
 * error for a bad `--symprec`.
 */

import { assertEquals } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { main } from "../../src/cli/main.ts";
import { REPORT_SYMPREC, reportSpaceGroup, writeCrystals } from "../../src/cli/generate.ts";
import { quiet } from "./_cli.ts";

/** CsCl-type cell with one atom 0.03 Å off its site: Pm-3m at 0.1 Å, lower at 0.01 Å. */
function nearlyCubic(): Crystal {
  return {
    lattice: new Float64Array([4.1, 0, 0, 0, 4.1, 0, 0, 0, 4.1]),
    frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5 + 0.03 / 4.1]),
    numbers: new Uint8Array([55, 17]),
  };
}

Deno.test("writeCrystals() reports each crystal's space group at the summary's symprec", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const overlapping: Crystal = { ...nearlyCubic(), frac: new Float64Array(6) };
    await writeCrystals([nearlyCubic(), overlapping], `${dir}/loose`, "cif", "gen_", { symprec: 0.1 });
    const loose = JSON.parse(await Deno.readTextFile(`${dir}/loose/summary.json`));
    assertEquals(loose.symprec, 0.1);
    assertEquals(loose.crystals.map((r: { spaceGroup: unknown }) => r.spaceGroup), [
      { number: 221, symbol: "Pm-3m" },
      null,
    ]);
    await writeCrystals([nearlyCubic()], `${dir}/tight`, "cif", "gen_", { symprec: 0.01 });
    const tight = JSON.parse(await Deno.readTextFile(`${dir}/tight/summary.json`));
    assertEquals(tight.crystals[0].spaceGroup, { number: 99, symbol: "P4mm" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("reportSpaceGroup() defaults to REPORT_SYMPREC and returns null for a degenerate cell", () => {
  assertEquals(REPORT_SYMPREC, 0.1);
  assertEquals(reportSpaceGroup(nearlyCubic(), REPORT_SYMPREC), { number: 221, symbol: "Pm-3m" });
  const flat = { ...nearlyCubic(), lattice: new Float64Array([1, 0, 0, 0, 1, 0, 1, 1, 0]) };
  assertEquals(reportSpaceGroup(flat, REPORT_SYMPREC), null);
});

Deno.test("generate and reconstruct refuse a --symprec that is not a positive number", async () => {
  for (const cmd of [["generate"], ["reconstruct", "--input", "x.cif"]]) {
    for (const bad of ["0", "-1", "abc"]) {
      const r = await quiet(() => main([...cmd, "--symprec", bad]));
      assertEquals(r.value, 2, `${cmd[0]} --symprec ${bad}: ${r.err}`);
    }
  }
});
