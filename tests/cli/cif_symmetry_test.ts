/**
 * `--cif-symmetry` (`generate`, `reconstruct`, `convert`): CIFs written with their space group at
 * `--symprec` instead of P1, P1 for a crystal whose group cannot be found, and a usage error with a
 * format other than CIF.
 */

import { assert, assertEquals, assertMatch } from "../_assert.ts";
import type { Crystal } from "../../src/crystal/crystal.ts";
import { readCif, writeCif } from "../../src/crystal/cif.ts";
import { main } from "../../src/cli/main.ts";
import { writeCrystals } from "../../src/cli/generate.ts";
import { quiet } from "./_cli.ts";

/** CsCl-type cell with one atom 0.03 Å off its site: Pm-3m at 0.1 Å, P4mm at 0.01 Å. */
function nearlyCubic(): Crystal {
  return {
    lattice: new Float64Array([4.1, 0, 0, 0, 4.1, 0, 0, 0, 4.1]),
    frac: new Float64Array([0, 0, 0, 0.5, 0.5, 0.5 + 0.03 / 4.1]),
    numbers: new Uint8Array([55, 17]),
  };
}

const group = (text: string) => /_symmetry_space_group_name_H-M +(\S+)/.exec(text)?.[1];

Deno.test("writeCrystals() with cifSymmetry writes each CIF with its group, P1 where none is found", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const overlapping: Crystal = { ...nearlyCubic(), frac: new Float64Array(6) };
    await writeCrystals([nearlyCubic(), overlapping], `${dir}/sym`, "cif", "gen_", {
      symprec: 0.1,
      cifSymmetry: true,
    });
    const summary = JSON.parse(await Deno.readTextFile(`${dir}/sym/summary.json`));
    assertEquals(summary.cifSymmetry, true);
    assertEquals(summary.crystals.map((r: { cifSymmetry: boolean }) => r.cifSymmetry), [true, false]);
    const first = await Deno.readTextFile(`${dir}/sym/gen_0.cif`);
    assertEquals(group(first), "Pm-3m");
    assertEquals(first.split("\n").filter((l) => /^ {2}\d+ {2}'/.test(l)).length, 48);
    assertEquals(group(await Deno.readTextFile(`${dir}/sym/gen_1.cif`)), "'P");
    // Without the flag the files are P1, as before.
    await writeCrystals([nearlyCubic()], `${dir}/p1`, "cif", "gen_", { symprec: 0.1 });
    assertEquals(await Deno.readTextFile(`${dir}/p1/gen_0.cif`), writeCif(nearlyCubic()));
    const p1 = JSON.parse(await Deno.readTextFile(`${dir}/p1/summary.json`));
    assert(
      !("cifSymmetry" in p1) && !("cifSymmetry" in p1.crystals[0]),
      "no cifSymmetry fields without the flag",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("convert --cif-symmetry writes CIFs with their group at --symprec", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/in.cif`, writeCif(nearlyCubic()));
    let r = await quiet(() => main(["convert", `${dir}/in.cif`, `${dir}/loose.cif`, "--cif-symmetry"]));
    assertEquals(r.value, 0, r.err);
    const loose = await Deno.readTextFile(`${dir}/loose.cif`);
    assertEquals(group(loose), "Pm-3m"); // default --symprec 0.1
    assertEquals(readCif(loose)[0].numbers.length, 2);
    r = await quiet(() =>
      main(["convert", `${dir}/in.cif`, `${dir}/tight/`, "--cif-symmetry", "--symprec", "0.01"])
    );
    assertEquals(r.value, 0, r.err);
    const [file] = [...Deno.readDirSync(`${dir}/tight`)].map((e) => e.name);
    assertEquals(group(await Deno.readTextFile(`${dir}/tight/${file}`)), "P4mm");
    r = await quiet(() => main(["convert", `${dir}/in.cif`, `${dir}/plain.cif`]));
    assertEquals(await Deno.readTextFile(`${dir}/plain.cif`), writeCif(nearlyCubic()));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--cif-symmetry with another format than CIF is a usage error", async () => {
  for (
    const cmd of [
      ["convert", "x.cif", "x.vasp", "--cif-symmetry"],
      ["generate", "--format", "poscar", "--cif-symmetry"],
      ["reconstruct", "--input", "x.cif", "--format", "json", "--cif-symmetry"],
    ]
  ) {
    const r = await quiet(() => main(cmd));
    assertEquals(r.value, 2, `${cmd.join(" ")}: ${r.err}`);
    assertMatch(r.err, /--cif-symmetry writes CIF files/);
  }
});
